"""Vocabulary shared by the lint checks: issues, JSONPath-like paths, tolerant accessors, the
set of manifests linted together and the template a call resolves to.

Nothing here trusts the shape of its input: the accessors return an empty value of the
expected type for anything else, because the strict-decoding pass reports wrong types.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

# The annotation by which a library template declares the volumes and workflow parameters
# only its callers provide (names separated by commas or spaces): lint need not warn of them.
from argo_buildpacks._kits.contract import CALLER_PROVIDES
from argo_buildpacks.errors import ConfigError

TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
TEMPLATE_TYPES = (
    "container", "containerSet", "steps", "script", "resource",
    "dag", "suspend", "data", "http", "plugin",
)  # fmt: skip
#: Template types that run a pod of their own (they have {{pod.name}}).
POD_TYPES = frozenset({"container", "containerSet", "script", "resource", "data"})
#: Template types with an outputs.result and exitCode (Argo's Template.HasOutput).
RESULT_TYPES = frozenset({"container", "containerSet", "script", "data", "http", "plugin"})

# workflow/validate/validate.go (v4): workflowFieldNameFmt and workflowFieldMaxLength for
# template, step and task names; paramOrArtifactNameRegex for parameters and artifacts.
_FIELD_NAME = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*\Z")
_FIELD_NAME_MAX = 128
PARAM_NAME = re.compile(r"[-a-zA-Z0-9_]+\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


#: The Argo releases ``lint`` can target, oldest first. Nothing older: see `older_argo`.
ARGO_VERSIONS = ("3.6", "3.7", "4.0", "4.1")
_RELEASE = re.compile(r"v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?\Z")


def older_argo(version: str) -> str | None:
    """Why ``version`` (``"3.5"``, ``"v3.4.8"``...) is refused when it is an Argo release
    that mounts the executor's token into every main container, else ``None``.

    Argo 3.4.8 to 3.5.11 mount the executor account's token into the main containers when
    ``automountServiceAccountToken`` is false (argoproj/argo-workflows#10945, in 3.4.8 and
    3.5.0; reverted by #13820 in 3.5.12 and 3.6.0): the app's code, run by buildpacks in a
    main container, would hold the token that may create and patch WorkflowTaskResults.
    The templates rely on that token being absent, so ``lint`` targets 3.6 and later.
    """
    found = _RELEASE.match(version.strip()) if isinstance(version, str) else None
    if found is None:
        return None
    major, minor = int(found[1]), int(found[2])
    patch = int(found[3]) if found[3] is not None else None
    leaky = (major, minor) == (3, 4) and (patch is None or patch >= 8)
    leaky |= (major, minor) == (3, 5) and (patch is None or patch <= 11)
    if not leaky:
        return None
    return (
        f"argo_version {describe(version)} is refused: Argo 3.4.8 to 3.5.11 mount the "
        "executor's service-account token into every main container even with "
        "automountServiceAccountToken: false (argoproj/argo-workflows#10945, reverted by "
        "#13820 in 3.5.12 and 3.6.0), so the app's code run by buildpacks would hold the "
        "token that may create and patch WorkflowTaskResults (forge a step's outputs); "
        f"upgrade Argo and use one of {', '.join(ARGO_VERSIONS)}"
    )


def parse_version(version: str) -> tuple[int, int]:
    """``"4.1"`` as ``(4, 1)``; `ConfigError` for a release ``lint`` cannot target (one
    that leaks the executor's token into the main containers says so: `older_argo`)."""
    leak = older_argo(version)
    if leak is not None:
        raise ConfigError(leak)
    if version not in ARGO_VERSIONS:
        raise ConfigError(
            f"argo_version {describe(version)} is not supported; use one of "
            f"{', '.join(ARGO_VERSIONS)}"
        )
    major, minor = version.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Options:
    """How to lint: the Argo release targeted and the optional stricter modes."""

    argo_version: tuple[int, int] = (4, 1)
    restricted: bool = False
    submit: bool = False


class Issue(NamedTuple):
    """One problem, before it is tied to a document."""

    path: str
    message: str
    severity: str = "error"


def mapping(value: Any) -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def entries(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """Return ``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def key_path(path: str, key: object) -> str:
    """Extend a JSONPath-like ``path`` by a mapping key (quoted when it is not a plain word)."""
    name = str(key)
    if _PLAIN_KEY.match(name):
        return f"{path}.{name}" if path else name
    return f"{path}[{json.dumps(name)}]"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``; did you mean "x"?`` suffix naming the closest choice, or ``""``."""
    options = list(choices)
    same = [c for c in options if c.lower() == word.lower()]
    close = same or difflib.get_close_matches(word, options, n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


def listing(names: Iterable[str]) -> str:
    """Names for a message: sorted, de-duplicated, at most twelve."""
    unique = sorted({n for n in names if n})
    if not unique:
        return "none"
    more = f", ... ({len(unique) - 12} more)" if len(unique) > 12 else ""
    return ", ".join(unique[:12]) + more


def describe(value: object) -> str:
    """A value for a message: JSON for scalars, "a mapping" or "a list" for the others."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def names_of(value: Any) -> list[str]:
    """The ``name`` of each entry of a list of mappings (``""`` where it has none)."""
    return [text(mapping(entry).get("name")) for entry in entries(value)]


def find_key(value: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key`` at any depth (not looking inside those values)."""
    found: list[Any] = []
    _find_key(value, key, found)
    # Collected by a plain recursion: nested generators cost a frame per level per value.
    return iter(found)


#: The types of a manifest's scalars: a walk skips them by type before an ``isinstance``
#: against ``Mapping`` (an ABC check, several times slower), and most values are scalars.
LEAVES = frozenset({str, int, float, bool, type(None)})


def _find_key(value: Any, key: str, found: list[Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == key:
                found.append(v)
            elif type(v) not in LEAVES:
                _find_key(v, key, found)
    elif isinstance(value, list):
        for v in value:
            if type(v) not in LEAVES:
                _find_key(v, key, found)


#: A path not yet spelled out: a path, or ``(parent, key or index, is it an index?)``. Walks
#: over every value pass these down and spell one only for a finding (`spell`): spelling
#: each path was a large part of lint's time.
Where = str | tuple["Where", object, bool]


def spell(where: Where) -> str:
    """The path ``where`` stands for, as `key_path` and ``[index]`` spell it."""
    steps: list[tuple[object, bool]] = []
    while not isinstance(where, str):
        where, step, index = where
        steps.append((step, index))
    path = where
    for step, index in reversed(steps):
        path = f"{path}[{step}]" if index else key_path(path, step)
    return path


def workflow_spec(doc: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The path and value of a manifest's WorkflowSpec (a CronWorkflow nests it)."""
    spec = mapping(doc.get("spec"))
    if doc.get("kind") == "CronWorkflow":
        return "spec.workflowSpec", mapping(spec.get("workflowSpec"))
    return "spec", spec


def reachable(
    templates: Mapping[str, Mapping[str, Any]], start: Iterable[str]
) -> dict[str, Mapping[str, Any]]:
    """The templates ``start`` names and every one they call (``template:`` at any depth),
    by name; names that are not among ``templates`` are skipped."""
    reached: dict[str, Mapping[str, Any]] = {}
    pending = list(start)
    while pending:
        name = pending.pop()
        if name in reached or name not in templates:
            continue
        reached[name] = templates[name]
        pending.extend(text(t) for t in find_key(templates[name], "template"))
    return reached


def templates_by_name(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """A spec's templates by name (the first of duplicates wins, as in Argo)."""
    found: dict[str, Mapping[str, Any]] = {}
    for tmpl in entries(spec.get("templates")):
        name = text(mapping(tmpl).get("name"))
        if name:
            found.setdefault(name, mapping(tmpl))
    return found


def template_type(tmpl: Mapping[str, Any]) -> str:
    """The first template type a template sets, or ``""``."""
    return next((t for t in TEMPLATE_TYPES if tmpl.get(t) is not None), "")


def field_name_problem(name: str) -> str:
    """Why ``name`` is not a valid template, step or task name (``""`` if it is)."""
    problems = []
    if len(name) > _FIELD_NAME_MAX:
        problems.append(f"it is {len(name)} characters long, the limit is {_FIELD_NAME_MAX}")
    if not _FIELD_NAME.match(name):
        problems.append(
            "it must consist of alpha-numeric characters or '-' and start with an "
            "alpha-numeric character"
        )
    return "; ".join(problems)


def caller_provides(doc: Mapping[str, Any]) -> frozenset[str]:
    """The names a (Cluster)WorkflowTemplate declares its callers provide."""
    if doc.get("kind") not in TEMPLATE_KINDS:
        return frozenset()
    value = text(mapping(mapping(doc.get("metadata")).get("annotations")).get(CALLER_PROVIDES))
    return frozenset(value.replace(",", " ").split())


class Library:
    """The WorkflowTemplates and ClusterWorkflowTemplates linted together, by name."""

    def __init__(
        self, documents: Iterable[Mapping[str, Any]], *, missing_severity: str = "warning"
    ) -> None:
        """Index ``documents`` (other kinds are ignored; the first of a name wins).

        ``missing_severity`` is how bad a reference to a template outside the set is:
        ``"warning"`` when linting, ``"error"`` in submit mode (Argo's server refuses it).
        """
        self.missing_severity = missing_severity
        self._by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._objects: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for doc in documents:
            kind = doc.get("kind")
            name = text(mapping(doc.get("metadata")).get("name"))
            if kind in TEMPLATE_KINDS and name:
                self._by_key.setdefault((str(kind), name), doc)
            elif isinstance(kind, str) and name:
                self._objects.setdefault((kind, name), []).append(doc)

    def find(self, name: str, *, cluster_scope: bool) -> Mapping[str, Any] | None:
        """The (Cluster)WorkflowTemplate called ``name``, if it is in the set."""
        return self._by_key.get((ref_kind(cluster_scope), name))

    def has_kind(self, kind: str) -> bool:
        """Whether any object of ``kind`` (not a template kind) is in the set."""
        return any(k == kind for k, _ in self._objects)

    def objects(self, kind: str, name: str, namespace: str = "") -> list[Mapping[str, Any]]:
        """The other objects of ``kind`` called ``name`` (a ServiceAccount, a Secret, an
        EventBus) in ``namespace``; an object or a ``namespace`` left unset matches any."""
        return [
            doc
            for doc in self._objects.get((kind, name), [])
            if not namespace
            or not (ns := text(mapping(doc.get("metadata")).get("namespace")))
            or ns == namespace
        ]


def ref_kind(cluster_scope: bool) -> str:
    """The kind a ``templateRef`` or ``workflowTemplateRef`` names."""
    return TEMPLATE_KINDS[1] if cluster_scope else TEMPLATE_KINDS[0]


@dataclass(frozen=True)
class Target:
    """The template a step, task or hook calls; ``template`` is ``None`` when not checkable."""

    label: str
    template: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Node:
    """A step or task as references to it see it: what it calls and whether it loops."""

    target: Target | None
    looped: bool
