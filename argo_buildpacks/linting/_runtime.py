"""What Argo refuses of a Workflow only once it runs (or, for arguments, on submission even
in lint mode), ported from Argo v4.1.2's source:

- the entrypoint's input parameters get a value: ``common.ProcessArgs`` (workflow/common/
  util.go line 189, "inputs.parameters.X was not supplied"), which ``validate.Workflow``
  runs with the Workflow's arguments merged with its WorkflowTemplate's (validate.go line
  192) even for ``argo lint``; an argument without a value replaces the input's default
  (``overwriteWithArguments``). A CronWorkflow is validated without lint mode
  (validate.go line 473: ``Opts{}``), so its arguments need values too;
- ``retryStrategy.backoff`` durations parse (``ParseStringToDuration``,
  pkg/apis/workflow/v1alpha1/utils.go line 9, used by workflow/controller/operator.go line
  1081 on the first retry) and a backoff has a ``duration`` (operator.go line 1097);
- ``automountServiceAccountToken: false`` needs an executor account
  (workflow/controller/workflowpod.go line 1856);
- a ``podSpecPatch`` decodes as a PodSpec (workflow/util/util.go line 1694
  ``ApplyPodSpecPatch``): Go's decoder refuses a wrong type and ignores an unknown field;
- a template of a library (the ``CALLER_PROVIDES`` annotation) mounts volumes its caller
  declares; without them the pod is never created ("volume '%s' not found in workflow
  spec", workflowpod.go line 1478).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks._kits import yaml_io
from argo_buildpacks._kits.contract import CALLER_PROVIDES
from argo_buildpacks._kits.cron import is_go_duration
from argo_buildpacks.linting._base import (
    TEMPLATE_KINDS,
    Issue,
    Library,
    caller_provides,
    describe,
    entries,
    find_key,
    key_path,
    listing,
    mapping,
    names_of,
    reachable,
    templates_by_name,
    text,
    workflow_spec,
)
from argo_buildpacks.linting._schema import check_pod_spec

__all__ = ["check_runtime"]

_SECONDS = re.compile(r"[+-]?[0-9]+\Z")


def check_runtime(doc: Mapping[str, Any], library: Library) -> Iterator[Issue]:
    """The checks above, for one Workflow, (Cluster)WorkflowTemplate or CronWorkflow."""
    spec_path, spec = workflow_spec(doc)
    kind = text(doc.get("kind"))
    if kind not in TEMPLATE_KINDS:
        yield from _entrypoint_inputs(spec, spec_path, library)
    if kind == "CronWorkflow":
        for i, param in enumerate(
            map(mapping, entries(mapping(spec.get("arguments")).get("parameters")))
        ):
            if param.get("value") is None and param.get("valueFrom") is None:
                yield Issue(
                    f"{spec_path}.arguments.parameters[{i}]",
                    f'argument "{text(param.get("name"))}" has no value: Argo validates a '
                    "CronWorkflow as a submission (validate.go line 473), which needs one",
                )
    holders = _holders(spec, spec_path)
    for where, holder in holders:
        backoff = mapping(mapping(holder.get("retryStrategy")).get("backoff"))
        yield from _backoff(backoff, key_path(key_path(where, "retryStrategy"), "backoff"))
    yield from _automount(doc, spec, spec_path, library)
    for where, holder in holders:
        yield from _pod_spec_patch(holder.get("podSpecPatch"), key_path(where, "podSpecPatch"))
    yield from _caller_volumes(doc, spec, spec_path, library)


def _holders(spec: Mapping[str, Any], spec_path: str) -> list[tuple[str, Mapping[str, Any]]]:
    """Where template fields live: the spec, ``templateDefaults``, each template and each
    step's or task's ``inline`` template (known places, not a walk of the whole manifest:
    lint runs on every template the client sends)."""
    found = [(spec_path, spec)]
    found.append((key_path(spec_path, "templateDefaults"), mapping(spec.get("templateDefaults"))))
    for i, tmpl in enumerate(map(mapping, entries(spec.get("templates")))):
        found.append((f"{spec_path}.templates[{i}]", tmpl))
    found += [
        (key_path(where, "inline"), mapping(node.get("inline")))
        for where, node in _nodes(spec, spec_path)
        if isinstance(node.get("inline"), Mapping)
    ]
    return found


def _nodes(spec: Mapping[str, Any], spec_path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every step, task and hook, with its path."""
    yield from _hooks(spec, spec_path)
    for i, tmpl in enumerate(map(mapping, entries(spec.get("templates")))):
        path = f"{spec_path}.templates[{i}]"
        nodes = [
            (f"{path}.steps[{g}][{k}]", mapping(step))
            for g, group in enumerate(entries(tmpl.get("steps")))
            for k, step in enumerate(entries(group))
        ]
        tasks = entries(mapping(tmpl.get("dag")).get("tasks"))
        nodes += [(f"{path}.dag.tasks[{k}]", mapping(task)) for k, task in enumerate(tasks)]
        for where, node in nodes:
            yield where, node
            yield from _hooks(node, where)


def _hooks(holder: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for event, hook in mapping(holder.get("hooks")).items():
        yield key_path(key_path(path, "hooks"), event), mapping(hook)


# --------------------------------------------------------------------------- arguments


def _entrypoint_inputs(
    spec: Mapping[str, Any], spec_path: str, library: Library
) -> Iterator[Issue]:
    args = [mapping(p) for p in entries(mapping(spec.get("arguments")).get("parameters"))]
    ref = mapping(spec.get("workflowTemplateRef"))
    templates = templates_by_name(spec)
    entrypoint = text(spec.get("entrypoint"))
    owner_label = ""
    if ref:
        owner = library.find(text(ref.get("name")), cluster_scope=ref.get("clusterScope") is True)
        if owner is None:
            return  # not in the set: reported where the reference is checked
        owner_spec = workflow_spec(owner)[1]
        # util.MergeParameters: the Workflow's arguments first, then the template's.
        names = {text(p.get("name")) for p in args}
        more = [mapping(p) for p in entries(mapping(owner_spec.get("arguments")).get("parameters"))]
        args += [p for p in more if text(p.get("name")) not in names]
        templates = templates_by_name(owner_spec)
        entrypoint = entrypoint or text(owner_spec.get("entrypoint"))
        owner_label = f' of {owner.get("kind")} "{text(ref.get("name"))}"'
    tmpl = templates.get(entrypoint)
    if tmpl is None:
        return
    by_name = {text(p.get("name")): p for p in reversed(args)}
    for param in map(mapping, entries(mapping(tmpl.get("inputs")).get("parameters"))):
        name = text(param.get("name"))
        arg = by_name.get(name)
        if arg is not None:
            given = arg.get("value") is not None or _config_map(arg)
            if given:
                continue
            why = f'the argument "{name}" has no value (which also replaces a default)'
        elif (
            param.get("value") is not None or param.get("default") is not None or _config_map(param)
        ):
            continue
        elif not ref and param.get("valueFrom") is None:
            continue  # _calls.check_call_arguments reports it (input not passed)
        else:
            why = "no argument and no default give it one"
        yield Issue(
            key_path(spec_path, "arguments"),
            f'inputs.parameters.{name} of entrypoint "{entrypoint}"{owner_label} was not '
            f"supplied: {why}; Argo refuses the Workflow, even argo lint (workflow/common/"
            "util.go ProcessArgs)",
        )


def _config_map(param: Mapping[str, Any]) -> bool:
    return mapping(param.get("valueFrom")).get("configMapKeyRef") is not None


# --------------------------------------------------------------------------- pods


def _backoff(backoff: Mapping[str, Any], where: str) -> Iterator[Issue]:
    if not backoff:
        return
    for key in ("duration", "maxDuration", "cap"):
        value = backoff.get(key)
        if not isinstance(value, str) or not value or "{{" in value:
            continue
        if not (_SECONDS.match(value) or is_go_duration(value)):
            yield Issue(
                key_path(where, key),
                f'{key} "{value}" is not a duration: write seconds ("30") or a Go duration '
                '("30s", "1m30s"); Argo fails the retry when it reads it '
                "(operator.go ParseStringToDuration)",
            )
    if not backoff.get("duration"):
        yield Issue(
            key_path(where, "duration"),
            'a backoff needs a duration: Argo fails the first retry with "no base duration '
            'specified for retryStrategy"',
        )


def _executor(holder: Mapping[str, Any]) -> str:
    return text(mapping(holder.get("executor")).get("serviceAccountName"))


def _automount(
    doc: Mapping[str, Any], spec: Mapping[str, Any], spec_path: str, library: Library
) -> Iterator[Issue]:
    """Only a Workflow or CronWorkflow knows its executor account (a template's caller may
    set it): its own templates, its WorkflowTemplate's and those it calls by templateRef."""
    if doc.get("kind") in TEMPLATE_KINDS:
        return
    defaults = mapping(spec.get("templateDefaults"))
    runs: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = [
        (f"{spec_path}.templates[{i}]", mapping(t), spec)
        for i, t in enumerate(entries(spec.get("templates")))
    ]
    ref = mapping(spec.get("workflowTemplateRef"))
    owner = library.find(text(ref.get("name")), cluster_scope=ref.get("clusterScope") is True)
    if ref and owner is not None:
        owner_spec = workflow_spec(owner)[1]
        where = key_path(spec_path, "workflowTemplateRef")
        runs += [(where, mapping(t), owner_spec) for t in entries(owner_spec.get("templates"))]
    for path, call in _calls(spec, spec_path):
        owner = library.find(text(call.get("name")), cluster_scope=call.get("clusterScope") is True)
        if owner is not None:
            owner_templates = templates_by_name(workflow_spec(owner)[1])
            called = list(reachable(owner_templates, [text(call.get("template"))]).values())
            runs += [(path, t, workflow_spec(owner)[1]) for t in called]
    workflow_executor = _executor(spec) or _executor(defaults)
    for where, tmpl, home in runs:
        home_defaults = mapping(home.get("templateDefaults"))
        value = tmpl.get("automountServiceAccountToken")
        if value is None:
            value = home_defaults.get("automountServiceAccountToken")
        if value is None:
            value = spec.get("automountServiceAccountToken")
        if value is None:
            value = home.get("automountServiceAccountToken")
        executor = _executor(tmpl) or _executor(home_defaults) or workflow_executor
        executor = executor or _executor(home)
        if value is False and not executor:
            yield Issue(
                where,
                f'template "{text(tmpl.get("name"))}" runs without a service-account token '
                "(automountServiceAccountToken: false) and no executor account is set: Argo "
                'fails its pod with "executor.serviceAccountName must not be empty if '
                'automountServiceAccountToken is false"; set spec.executor.serviceAccountName',
            )


def _pod_spec_patch(patch: Any, where: str) -> Iterator[Issue]:
    if isinstance(patch, str) and "{{" not in patch and patch.strip():
        for _, message, severity in _patch_problems(patch):
            yield Issue(where, message, severity)


@functools.lru_cache(maxsize=256)
def _patch_problems(patch: str) -> tuple[tuple[str, str, str], ...]:
    """The problems of one patch text (the same patch is on many templates)."""
    try:
        parsed: Any = json.loads(patch)  # the usual form, and far quicker than YAML
    except ValueError:
        documents = yaml_io.read_documents(patch)
        if len(documents) != 1 or documents[0].problem:
            return ()  # _privileged reports a patch it cannot read
        parsed = documents[0].data
    if not isinstance(parsed, Mapping):
        message = (
            f"podSpecPatch is {describe(parsed)}, not a pod spec (a mapping of PodSpec fields): "
            'Argo fails the pod with "invalid podSpecPatch" (workflow/util/util.go)'
        )
        return (("", message, "error"),)
    found = []
    for issue in check_pod_spec(parsed, ""):
        if issue.message.startswith("missing required field"):
            continue  # a patch gives only what it changes
        inside = f" at {issue.path}" if issue.path else ""
        if issue.message.startswith("unknown field"):
            message = (
                f"podSpecPatch{inside}: {issue.message}; Argo ignores it, so it patches nothing"
            )
            found.append((issue.path, message, "warning"))
        else:
            message = (
                f"podSpecPatch{inside}: {issue.message}, so it is not a pod spec: Argo fails the "
                'pod with "invalid podSpecPatch" (workflow/util/util.go)'
            )
            found.append((issue.path, message, "error"))
    return tuple(found)


# --------------------------------------------------------------------------- libraries


def _calls(spec: Mapping[str, Any], spec_path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path, node in _nodes(spec, spec_path):
        ref = node.get("templateRef")
        if isinstance(ref, Mapping):
            yield key_path(path, "templateRef"), ref


def _caller_volumes(
    doc: Mapping[str, Any], spec: Mapping[str, Any], spec_path: str, library: Library
) -> Iterator[Issue]:
    claims = [
        text(mapping(mapping(c).get("metadata")).get("name"))
        for c in entries(spec.get("volumeClaimTemplates"))
    ]
    declared = {n for n in [*names_of(spec.get("volumes")), *claims] if n}
    declared |= caller_provides(doc)
    library_only = doc.get("kind") in TEMPLATE_KINDS and not text(spec.get("entrypoint"))
    for path, ref in _calls(spec, spec_path):
        owner = library.find(text(ref.get("name")), cluster_scope=ref.get("clusterScope") is True)
        provided = caller_provides(owner) if owner is not None else frozenset()
        if owner is None or not provided:
            continue
        owner_templates = templates_by_name(workflow_spec(owner)[1])
        called = list(reachable(owner_templates, [text(ref.get("template"))]).values())
        mounted: set[str] = set()
        for tmpl in called:  # a template's own volumes need nothing of the caller
            own = set(names_of(tmpl.get("volumes")))
            mounts = [
                text(mapping(m).get("name"))
                for ms in find_key(tmpl, "volumeMounts")
                for m in entries(ms)
            ]
            mounted |= set(mounts) - own
        missing = sorted((provided & mounted) - declared)
        if not missing:
            continue
        yield Issue(
            path,
            f'template "{text(ref.get("template"))}" of {owner.get("kind")} '
            f'"{text(ref.get("name"))}" mounts volume{"s" if len(missing) > 1 else ""} '
            f"{listing(missing)}, which its callers provide (annotation {CALLER_PROVIDES}), "
            f"but this {doc.get('kind')} declares none of that name in spec.volumes or "
            f"spec.volumeClaimTemplates (declared: {listing(declared)}): Argo never creates the "
            'pod ("volume not found in workflow spec", workflowpod.go)',
            "warning" if library_only else "error",
        )
