"""A pipeline read from its manifest: the pods it runs, the calls it makes, and their order.

What `argo_buildpacks.display._diagram` draws. A ``containerSet`` is one `Pod` whose
containers (each a `Box`) are in run order; ``steps`` and ``dag`` are a `Group` of stages; a
``templateRef`` or ``workflowTemplateRef`` is a `Call`. Works on plain manifest dicts (standard
library and the safe YAML reader, no Hera), so any workflow can be read, including one
fetched from a server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from argo_buildpacks._kits import yaml_io
from argo_buildpacks.errors import ConfigError

__all__ = ["Box", "Call", "Group", "Node", "Pod", "identity", "manifest_of", "pipeline_of"]


@dataclass(frozen=True)
class Box:
    """One container of a pod."""

    name: str
    image: str
    level: int = 0  # run order inside the pod; equal levels may run together
    after: tuple[str, ...] = ()
    sidecar: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pod:
    """A template that runs as one pod."""

    title: str
    template: str
    kind: str
    boxes: tuple[Box, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    """A reference to a template defined elsewhere (``templateRef``, ``workflowTemplateRef``)."""

    title: str
    target: str
    scope: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """Steps or DAG tasks: stages run in order, the nodes of one stage side by side.
    ``ordered=False``: independent templates (a library), drawn in rows without arrows.

    ``edges``: for a DAG, its true dependencies as ``(before, after)`` indices into the
    nodes listed stage by stage; ``None`` for steps, where every node of a stage follows
    every node of the stage before it."""

    title: str
    stages: tuple[tuple[Node, ...], ...]
    ordered: bool = True
    notes: tuple[str, ...] = ()
    edges: tuple[tuple[int, int], ...] | None = None


Node: TypeAlias = "Pod | Call | Group"
_MAX_DEPTH = 8  # nested steps deeper than this are shown as calls, not expanded


def manifest_of(obj: object) -> dict[str, Any]:
    """A plain manifest from a Hera object (``to_dict``), a mapping or YAML text.

    Raises:
        ConfigError: ``obj`` is none of these, or YAML text the safe loader refuses.
    """
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, str):
        loaded = yaml_io.load(obj, source="YAML text")
        if isinstance(loaded, dict):
            return loaded
        raise ConfigError("YAML text to display must hold one manifest (a mapping)")
    to_dict = getattr(obj, "to_dict", None)
    result = to_dict() if callable(to_dict) else None
    if isinstance(result, dict):
        return result
    raise ConfigError(
        f"cannot display {type(obj).__name__}: expected a Hera workflow or template, "
        "a manifest dict or its YAML"
    )


def identity(manifest: Mapping[str, Any]) -> tuple[str, str]:
    """The manifest's kind and name (its ``generateName`` when it has no name)."""
    meta = manifest.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or "?"
    return str(manifest.get("kind") or "manifest"), str(name)


def pipeline_of(manifest: Mapping[str, Any]) -> Group:
    """The manifest's pipeline as one unframed group: the entrypoint's stages, the call of a
    workflow that runs a template, or (a library, no entrypoint) every template alone."""
    kind, name = identity(manifest)
    spec = manifest.get("spec") or {}
    if kind == "CronWorkflow":
        spec = spec.get("workflowSpec") or {}
    templates = {
        str(t["name"]): t
        for t in spec.get("templates") or []
        if isinstance(t, Mapping) and t.get("name")
    }
    title = f"{kind} {name}"
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, Mapping):
        scope = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        params = (spec.get("arguments") or {}).get("parameters") or []
        notes = tuple(f"{p.get('name')}={p.get('value', '')}" for p in params)
        call = Call("runs", str(ref.get("name", "?")), scope, notes)
        return Group(title, ((call,),))
    entry = spec.get("entrypoint")
    if entry in templates:
        node = _node(templates[str(entry)], str(entry), templates, ())
        if isinstance(node, Group):
            return Group(title, node.stages, edges=node.edges)
        return Group(title, ((node,),))
    # A library: no entrypoint, every template stands alone.
    nodes = tuple(_node(t, n, templates, ()) for n, t in templates.items())
    return Group(title, tuple((n,) for n in nodes), ordered=False)


def _node(
    template: Mapping[str, Any], title: str, templates: Mapping[str, Any], path: tuple[str, ...]
) -> Node:
    name = str(template.get("name") or title)
    if name in path or len(path) > _MAX_DEPTH:
        return Call(title, name, "template (recursive)")
    inner = (*path, name)
    if "steps" in template:
        groups = template.get("steps") or []
        stages = tuple(
            tuple(_step(s, templates, inner) for s in group or [] if isinstance(s, Mapping))
            for group in groups
        )
        return Group(title, tuple(s for s in stages if s))
    if "dag" in template:
        tasks = [t for t in (template["dag"] or {}).get("tasks") or [] if isinstance(t, Mapping)]
        names = [str(t.get("name", "")) for t in tasks]
        deps = {str(t.get("name", "")): _task_deps(t, names) for t in tasks}
        levels = _levels(names, deps)
        depth = max(levels.values(), default=-1) + 1
        by_level = [[t for t in tasks if levels[str(t["name"])] == i] for i in range(depth)]
        index = {str(t["name"]): i for i, t in enumerate(t for row in by_level for t in row)}
        edges = tuple(
            (index[dep], index[name])
            for name in index
            for dep in deps[name]
            if dep in index and levels[dep] < levels[name]
        )
        return Group(
            title,
            tuple(tuple(_step(t, templates, inner) for t in row) for row in by_level),
            edges=edges,
        )
    return _pod(template, title)


def _step(step: Mapping[str, Any], templates: Mapping[str, Any], path: tuple[str, ...]) -> Node:
    title = str(step.get("name") or "?")
    notes = _step_notes(step)
    ref = step.get("templateRef")
    if isinstance(ref, Mapping):
        scope = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        library = f"{ref.get('name', '?')} / {ref.get('template', '?')}"
        return Call(title, library, scope, notes)
    inline = step.get("inline")
    target = str(step.get("template"))
    if isinstance(inline, Mapping):
        node = _node(inline, title, templates, path)
    elif target in templates:
        node = _node(templates[target], title, templates, path)
    else:
        return Call(title, target, "template not found", notes)
    if isinstance(node, Pod):
        return Pod(
            node.title, node.template, node.kind, node.boxes, notes + node.notes, node.warnings
        )
    if isinstance(node, Group):
        return Group(node.title, node.stages, node.ordered, notes, node.edges)
    return node


def _step_notes(step: Mapping[str, Any]) -> tuple[str, ...]:
    notes = []
    if step.get("when"):
        notes.append(f"when {step['when']}")
    for key in ("withItems", "withParam", "withSequence"):
        if step.get(key):
            notes.append(f"for each of {key}")
    return tuple(notes)


_TASK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _task_deps(task: Mapping[str, Any], names: Sequence[str]) -> tuple[str, ...]:
    deps = [str(d) for d in task.get("dependencies") or []]
    # `depends` is an expression ("a.Succeeded && (b || c)"): any task name in it orders us.
    deps += [w for w in _TASK_NAME.findall(str(task.get("depends") or "")) if w in names]
    return tuple(dict.fromkeys(deps))


def _levels(names: Sequence[str], deps: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Run order: 0 for what depends on nothing, else one more than its latest dependency.
    Unknown dependencies are ignored and a cycle is cut where it closes."""
    levels: dict[str, int] = {}

    def level(name: str, seen: tuple[str, ...]) -> int:
        if name in levels:
            return levels[name]
        before = [d for d in deps.get(name, ()) if d in deps and d not in seen]
        result = 1 + max((level(d, (*seen, name)) for d in before), default=-1)
        levels[name] = result
        return result

    for name in names:
        level(name, ())
    return levels


def _pod(template: Mapping[str, Any], title: str) -> Pod:
    name = str(template.get("name") or title)
    boxes: list[Box] = []
    if "containerSet" in template:
        kind = "containerSet"
        nodes = list((template["containerSet"] or {}).get("containers") or [])
        names = [str(c.get("name", "")) for c in nodes]
        deps = {str(c.get("name", "")): tuple(c.get("dependencies") or ()) for c in nodes}
        levels = _levels(names, deps)
        ordered = sorted(nodes, key=lambda c: levels[str(c.get("name", ""))])
        boxes += [_box(c, levels[str(c.get("name", ""))]) for c in ordered]
    elif "container" in template or "script" in template:
        kind = "container" if "container" in template else "script"
        boxes.append(_box({"name": "main", **(template.get(kind) or {})}, 0))
    else:
        kind = next(
            (k for k in ("resource", "suspend", "http", "data", "plugin") if k in template),
            "template",
        )
    boxes += [_box(s, 0, sidecar=True) for s in template.get("sidecars") or []]
    warnings = [
        f"hostPath {v['hostPath'].get('path', '?')}"
        for v in template.get("volumes") or []
        if isinstance(v, Mapping) and isinstance(v.get("hostPath"), Mapping)
    ]
    notes = []
    retry = template.get("retryStrategy") or {}
    if retry.get("limit"):
        notes.append(f"retries {retry['limit']}")
    set_retry = (template.get("containerSet") or {}).get("retryStrategy") or {}
    if str(set_retry.get("retries", "")).isdigit() and int(set_retry["retries"]) > 1:
        # Argo counts attempts there (argoexec: Backoff{Steps: retries}).
        notes.append(f"in-pod retries {int(set_retry['retries']) - 1}")
    return Pod(title, name, kind, tuple(boxes), tuple(notes), tuple(warnings))


def _box(container: Mapping[str, Any], level: int, *, sidecar: bool = False) -> Box:
    security = container.get("securityContext") or {}
    warnings = []
    if security.get("privileged"):
        warnings.append("privileged")
    if security.get("runAsUser") == 0:
        warnings.append("root")
    return Box(
        name=str(container.get("name") or "main"),
        image=str(container.get("image") or "?"),
        level=level,
        after=tuple(str(d) for d in container.get("dependencies") or ()),
        sidecar=sidecar,
        warnings=tuple(warnings),
    )
