"""Per-app resources in library mode, within maxima the library sets.

Argo decodes a container's ``resources`` before it substitutes variables, so a library
template cannot take a quantity as an input there; a template's ``podSpecPatch`` is a
string, substituted per pod (workflow/controller/workflowpod.go ``processPodSpecPatch``)
and then merged into the pod by container name. Each tunable quantity therefore reaches the
pod through the library template's own ``podSpecPatch`` as the Argo expression
``sprig.regexFind('^(QUANTITY)$', inputs.parameters['...'])``: whatever a submitter passes,
only a whole Kubernetes quantity (``QUANTITY_PATTERN``) or nothing comes out, so no input can
add a key, a container or a securityContext to the pod (nothing fails open: an empty
quantity makes Argo refuse the pod). The containers keep the library's own values as their
``resources``; the patch sets the same keys.

The maxima are checked when the app is rendered (`check_app_resources`), where the error
can name the app, the phase, the value and the maximum; in the cluster a run may pass any
quantity, as it may set any Workflow field, so a namespace's LimitRange or ResourceQuota is
what bounds a hostile submitter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from argo_buildpacks._kits.quantity import QUANTITY_INPUT, quantity_input
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.pods import Resources, quantity_value

__all__ = [
    "PHASES",
    "PHASE_OF_CONTAINER",
    "QUANTITY_INPUT",
    "Maxima",
    "app_resource_values",
    "check_app_resources",
    "input_name",
    "library_maxima",
    "quantity_input",
    "resource_inputs",
    "resource_patch",
]

PHASES = ("build", "clone", "tag_check")
PARTS = ("requests", "limits")
#: The library's containers (a containerSet node's name, else the template's) -> the
#: ``resources`` phase they run with.
PHASE_OF_CONTAINER = {
    "tag-check": "tag_check",
    "version": "tag_check",
    "git-clone": "clone",
    "analyze": "build",
    "detect": "build",
    "restore": "build",
    "build": "build",
    "main": "build",  # the export: `main` of the build containerSet
    "buildpacks-build": "build",
    "buildpacks-export": "build",
}
_KEY = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

Maxima = dict[str, dict[str, dict[str, str]]]


def input_name(phase: str, part: str, key: str) -> str:
    """``resources-build-limits-memory``: the library input of one tunable quantity."""
    return f"resources-{phase.replace('_', '-')}-{part}-{key}"


def library_maxima(resources: Resources, given: Mapping[str, Any] | None) -> Maxima:
    """The library's maxima: ``given`` (``{phase: {requests|limits: {name: quantity}}}``)
    over the library's own resources per key; a phase, part or name not given is capped at
    the library's value (an app may ask less, never more).

    Raises:
        ConfigError: an unknown phase or part, a name the library sets no value for, a bad
            quantity, or a maximum below the library's own value.
    """
    own = resources.model_dump(mode="json")
    maxima: Maxima = {phase: {part: dict(own[phase][part]) for part in PARTS} for phase in PHASES}
    for phase, parts in (given or {}).items():
        if phase not in PHASES or not isinstance(parts, Mapping):
            raise ConfigError(
                f"max_resources: {phase!r} is not a phase with resources "
                f"(allowed: {', '.join(PHASES)}; each {{requests: ..., limits: ...}})"
            )
        for part, values in parts.items():
            if part not in PARTS or not isinstance(values, Mapping):
                raise ConfigError(
                    f"max_resources.{phase}: {part!r} is not requests or limits (a mapping)"
                )
            for key, value in values.items():
                where = f"max_resources.{phase}.{part}.{key}"
                if key not in own[phase][part]:
                    raise ConfigError(
                        f"{where}: the library sets no {part} {key!r} for {phase}; give it "
                        "one in resources first (the maximum bounds a value the library has)"
                    )
                try:
                    top = quantity_value(str(value))
                except ValueError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
                if top < quantity_value(own[phase][part][key]):
                    raise ConfigError(
                        f"{where}: {value!r} is below the library's own {own[phase][part][key]!r}"
                    )
                maxima[phase][part][key] = str(value)
    return maxima


def _tunable(maxima: Maxima, phase: str) -> list[tuple[str, str]]:
    return [(part, key) for part in PARTS for key in maxima[phase][part] if _KEY.fullmatch(key)]


def resource_inputs(
    template_name: str, nodes: list[str | None], maxima: Maxima, own: Resources
) -> tuple[dict[str, str], str | None]:
    """The inputs (name -> the library's value) and the ``podSpecPatch`` part (JSON of
    ``{"containers": [...]}``, or ``None``) of one library template: ``nodes`` are its
    containerSet's node names, or ``[None]`` for a container template (Argo names its
    container ``main``)."""
    inputs: dict[str, str] = {}
    patched: list[dict[str, Any]] = []
    values = own.model_dump(mode="json")
    for node in nodes:
        phase = PHASE_OF_CONTAINER.get(node or template_name)
        if phase is None:  # a new container must say which resources it runs with
            raise ConfigError(
                f"library template {template_name!r}: container {node!r} has no phase"
            )
        resources: dict[str, dict[str, str]] = {}
        for part, key in _tunable(maxima, phase):
            name = input_name(phase, part, key)
            inputs[name] = values[phase][part][key]
            resources.setdefault(part, {})[key] = quantity_input(name)
        if resources:
            patched.append({"name": node or "main", "resources": resources})
    return inputs, (json.dumps({"containers": patched}) if patched else None)


def resource_patch(existing: str | None, extra: str | None) -> str | None:
    """The template's ``podSpecPatch``: ``existing`` (the executor's) with ``extra``'s
    containers added."""
    if extra is None:
        return existing
    patch = json.loads(existing) if existing else {}
    patch["containers"] = [*patch.get("containers", []), *json.loads(extra)["containers"]]
    return json.dumps(patch, sort_keys=True, separators=(",", ":"))


def check_app_resources(
    app: str, library: str, resources: Resources, settings: Mapping[str, Any]
) -> None:
    """Refuse resources the library cannot give the app: above a maximum (naming app,
    phase, value and maximum), a name the library has no input for, or a value the library
    sets that the app removed.

    A library recorded before it had maxima fixes its resources: its maxima are its values.
    """
    own = settings.get("resources") or {}
    maxima = settings.get("max_resources") or own
    mine = resources.model_dump(mode="json")
    for phase in PHASES:
        for part in PARTS:
            theirs = (own.get(phase) or {}).get(part) or {}
            tops = (maxima.get(phase) or {}).get(part) or {}
            for key, value in mine[phase][part].items():
                setting = f"resources.{phase}.{part}.{key}"
                if key not in tops or not _KEY.fullmatch(key):
                    if theirs.get(key) == value:
                        continue
                    raise ConfigError(
                        f"app {app!r}: {setting} = {value!r}, but library {library!r} takes no "
                        f"{phase} {part} {key!r} per app (it sets: "
                        f"{', '.join(sorted(tops)) or 'none'}); use workflow_template, or a "
                        "library that sets it"
                    )
                if quantity_value(value) > quantity_value(tops[key]):
                    raise ConfigError(
                        f"app {app!r}: {setting} = {value!r} is above the maximum library "
                        f"{library!r} sets for the {phase} phase, {tops[key]!r}; ask at most "
                        "that, or "
                        "have the platform raise max_resources"
                    )
            for key, value in theirs.items():
                if key not in mine[phase][part]:
                    raise ConfigError(
                        f"app {app!r}: resources.{phase}.{part} has no {key!r}, but library "
                        f"{library!r} sets {value!r} for every app; give a value (at most "
                        f"{tops.get(key, value)!r})"
                    )


def app_resource_values(resources: Resources, settings: Mapping[str, Any]) -> dict[str, str]:
    """The resource inputs where the app differs from the library's values."""
    own = settings.get("resources") or {}
    mine = resources.model_dump(mode="json")
    found: dict[str, str] = {}
    for phase in PHASES:
        for part in PARTS:
            theirs = (own.get(phase) or {}).get(part) or {}
            for key, value in mine[phase][part].items():
                if theirs.get(key) != value and _KEY.fullmatch(key):
                    found[input_name(phase, part, key)] = value
    return found
