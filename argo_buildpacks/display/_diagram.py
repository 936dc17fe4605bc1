"""The pipeline diagram behind `argo_buildpacks.display._jupyter`: a manifest read as pods and
their order, drawn as SVG or written as Mermaid.

Works on plain manifest dicts only (standard library, no Hera), so any workflow can be drawn,
including one fetched from a server.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, TypeAlias

from argo_buildpacks.errors import ConfigError

__all__ = ["clip", "identity", "manifest_of", "mermaid", "svg"]

# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class _Box:
    """One container of a pod."""

    name: str
    image: str
    level: int = 0  # run order inside the pod; equal levels may run together
    after: tuple[str, ...] = ()
    sidecar: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Pod:
    """A template that runs as one pod."""

    title: str
    template: str
    kind: str
    boxes: tuple[_Box, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Call:
    """A reference to a template defined elsewhere (``templateRef``, ``workflowTemplateRef``)."""

    title: str
    target: str
    scope: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Group:
    """Steps or DAG tasks: stages run in order, the nodes of one stage side by side.
    ``ordered=False``: independent templates (a library), drawn in rows without arrows.

    ``edges``: for a DAG, its true dependencies as ``(before, after)`` indices into the
    nodes listed stage by stage; ``None`` for steps, where every node of a stage follows
    every node of the stage before it."""

    title: str
    stages: tuple[tuple[_Node, ...], ...]
    ordered: bool = True
    notes: tuple[str, ...] = ()
    edges: tuple[tuple[int, int], ...] | None = None


_Node: TypeAlias = "_Pod | _Call | _Group"
_MAX_DEPTH = 8  # nested steps deeper than this are shown as calls, not expanded


def manifest_of(obj: object) -> dict[str, Any]:
    """A plain manifest from a Hera object (``to_dict``), a mapping or YAML text.

    Raises:
        ConfigError: ``obj`` is none of these, or YAML text the safe loader refuses.
    """
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, str):
        from argo_buildpacks._kits import yaml_io as _yaml

        loaded = _yaml.load(obj, source="YAML text")
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


def _model(manifest: Mapping[str, Any]) -> _Group:
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
        call = _Call("runs", str(ref.get("name", "?")), scope, notes)
        return _Group(title, ((call,),))
    entry = spec.get("entrypoint")
    if entry in templates:
        node = _node(templates[str(entry)], str(entry), templates, ())
        if isinstance(node, _Group):
            return _Group(title, node.stages, edges=node.edges)
        return _Group(title, ((node,),))
    # A library: no entrypoint, every template stands alone.
    nodes = tuple(_node(t, n, templates, ()) for n, t in templates.items())
    return _Group(title, tuple((n,) for n in nodes), ordered=False)


def _node(
    template: Mapping[str, Any], title: str, templates: Mapping[str, Any], path: tuple[str, ...]
) -> _Node:
    name = str(template.get("name") or title)
    if name in path or len(path) > _MAX_DEPTH:
        return _Call(title, name, "template (recursive)")
    inner = (*path, name)
    if "steps" in template:
        groups = template.get("steps") or []
        stages = tuple(
            tuple(_step(s, templates, inner) for s in group or [] if isinstance(s, Mapping))
            for group in groups
        )
        return _Group(title, tuple(s for s in stages if s))
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
        return _Group(
            title,
            tuple(tuple(_step(t, templates, inner) for t in row) for row in by_level),
            edges=edges,
        )
    return _pod(template, title)


def _step(step: Mapping[str, Any], templates: Mapping[str, Any], path: tuple[str, ...]) -> _Node:
    title = str(step.get("name") or "?")
    notes = _step_notes(step)
    ref = step.get("templateRef")
    if isinstance(ref, Mapping):
        scope = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        library = f"{ref.get('name', '?')} / {ref.get('template', '?')}"
        return _Call(title, library, scope, notes)
    inline = step.get("inline")
    target = str(step.get("template"))
    if isinstance(inline, Mapping):
        node = _node(inline, title, templates, path)
    elif target in templates:
        node = _node(templates[target], title, templates, path)
    else:
        return _Call(title, target, "template not found", notes)
    if isinstance(node, _Pod):
        return _Pod(
            node.title, node.template, node.kind, node.boxes, notes + node.notes, node.warnings
        )
    if isinstance(node, _Group):
        return _Group(node.title, node.stages, node.ordered, notes, node.edges)
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


def _pod(template: Mapping[str, Any], title: str) -> _Pod:
    name = str(template.get("name") or title)
    boxes: list[_Box] = []
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
    return _Pod(title, name, kind, tuple(boxes), tuple(notes), tuple(warnings))


def _box(container: Mapping[str, Any], level: int, *, sidecar: bool = False) -> _Box:
    security = container.get("securityContext") or {}
    warnings = []
    if security.get("privileged"):
        warnings.append("privileged")
    if security.get("runAsUser") == 0:
        warnings.append("root")
    return _Box(
        name=str(container.get("name") or "main"),
        image=str(container.get("image") or "?"),
        level=level,
        after=tuple(str(d) for d in container.get("dependencies") or ()),
        sidecar=sidecar,
        warnings=tuple(warnings),
    )


# ----------------------------------------------------------------------------- SVG

_FONT = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
_CHAR = 7.3  # width of one 12px monospace character
_LINE = 16
_PAD = 8
_GAP = 34  # between stages: room for an arrow
_MAX_CHARS = 46
_INK, _MUTED, _ALERT = "#1f2328", "#57606a", "#b3261e"
_ROW = 3  # independent templates per row


@dataclass(frozen=True)
class _Drawn:
    """A laid-out node: its size and how to draw it at a position."""

    width: float
    height: float
    draw: Callable[[float, float], list[str]]


def clip(text: str, limit: int = _MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(x: float, y: float, text: str, *, bold: bool = False, color: str = _INK) -> str:
    weight = ' font-weight="bold"' if bold else ""
    title = f"<title>{escape(text)}</title>" if len(text) > _MAX_CHARS else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" fill="{color}"{weight}>{title}{escape(clip(text))}</text>'
    )


def _rect(
    x: float, y: float, w: float, h: float, fill: str, stroke: str, dashed: bool = False
) -> str:
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" '
        f'fill="{fill}" stroke="{stroke}"{dash}/>'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    if x1 == x2:  # downwards
        head = f"{x2 - 4:.1f},{y2 - 6:.1f} {x2 + 4:.1f},{y2 - 6:.1f} {x2:.1f},{y2:.1f}"
    elif y1 == y2:  # rightwards
        head = f"{x2 - 7:.1f},{y2 - 4:.1f} {x2 - 7:.1f},{y2 + 4:.1f} {x2:.1f},{y2:.1f}"
    else:  # any direction: a head of the same size along the line
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        bx, by = x2 - 7 * ux, y2 - 7 * uy
        head = (
            f"{bx - 4 * uy:.1f},{by + 4 * ux:.1f} {bx + 4 * uy:.1f},{by - 4 * ux:.1f} "
            f"{x2:.1f},{y2:.1f}"
        )
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{_MUTED}"/>'
        f'<polygon points="{head}" fill="{_MUTED}"/>'
    )


def _lines_width(lines: Iterable[str]) -> float:
    return max((len(clip(line)) for line in lines), default=0) * _CHAR + 2 * _PAD


def _layout(node: _Node) -> _Drawn:
    if isinstance(node, _Pod):
        return _layout_pod(node)
    if isinstance(node, _Call):
        return _layout_call(node)
    return _layout_group(node)


def _layout_pod(pod: _Pod) -> _Drawn:
    head = [
        f"pod {pod.title}",
        pod.kind if pod.template == pod.title else f"{pod.kind} {pod.template}",
    ]
    numbered = sum(not b.sidecar for b in pod.boxes) > 1
    rows = [[_box_label(b, numbered), b.image, *b.warnings] for b in pod.boxes]
    tail = [*pod.notes, *pod.warnings]
    width = max(
        _lines_width(head),
        max((_lines_width(r) for r in rows), default=0) + 2 * _PAD,
        _lines_width(tail),
        150,
    )
    row_heights = [len(r) * _LINE + _PAD for r in rows]
    height = 2 * _PAD + 2 * _LINE + sum(h + _PAD for h in row_heights) + len(tail) * _LINE + _PAD

    def draw(x: float, y: float) -> list[str]:
        out = [_rect(x, y, width, height, "#eef4fc", "#4a78c2")]
        out.append(_text(x + _PAD, y + _PAD + 12, head[0], bold=True))
        out.append(_text(x + _PAD, y + _PAD + 12 + _LINE, head[1], color=_MUTED))
        top = y + 2 * _PAD + 2 * _LINE
        for i, (row, box, h) in enumerate(zip(rows, pod.boxes, row_heights, strict=True)):
            inner_w = width - 2 * _PAD
            out.append(_rect(x + _PAD, top, inner_w, h, "#ffffff", "#9bb5dd", dashed=box.sidecar))
            for j, line in enumerate(row):
                color = _INK if j == 0 else _MUTED if j == 1 else _ALERT
                out.append(
                    _text(x + 2 * _PAD, top + 12 + 2 + j * _LINE, line, bold=j == 0, color=color)
                )
            nxt = pod.boxes[i + 1] if i + 1 < len(pod.boxes) else None
            if nxt is not None and not nxt.sidecar and nxt.level > box.level:
                mid = x + width / 2
                out.append(_arrow(mid, top + h, mid, top + h + _PAD))
            top += h + _PAD
        for j, line in enumerate(tail):
            color = _MUTED if j < len(pod.notes) else _ALERT
            out.append(_text(x + _PAD, top + 12 + j * _LINE, line, color=color))
        return out

    return _Drawn(width, height, draw)


def _box_label(box: _Box, numbered: bool) -> str:
    if box.sidecar:
        return f"sidecar {box.name}"
    return f"{box.level + 1}. {box.name}" if numbered else box.name


def _layout_call(call: _Call) -> _Drawn:
    lines = [call.title, f"\u2192 {call.target}", call.scope, *call.notes]
    width = max(_lines_width(lines), 150)
    height = len(lines) * _LINE + 2 * _PAD

    def draw(x: float, y: float) -> list[str]:
        out = [_rect(x, y, width, height, "#fff8e6", "#c28a1e", dashed=True)]
        for j, line in enumerate(lines):
            out.append(
                _text(
                    x + _PAD,
                    y + _PAD + 12 + j * _LINE,
                    line,
                    bold=j == 0,
                    color=_INK if j < 2 else _MUTED,
                )
            )
        return out

    return _Drawn(width, height, draw)


def _layout_group(group: _Group, *, framed: bool = True) -> _Drawn:
    stages = [[_layout(n) for n in stage] for stage in group.stages]
    if not group.ordered:  # independent templates: rows of a few, no arrows
        flat = [d for stage in stages for d in stage]
        rows = [flat[i : i + _ROW] for i in range(0, len(flat), _ROW)]
        return _frame(group, _grid(rows, across=True), framed)
    return _frame(group, _grid(stages, across=False, edges=group.edges), framed)


def _grid(
    stages: list[list[_Drawn]],
    *,
    across: bool,
    edges: tuple[tuple[int, int], ...] | None = None,
) -> _Drawn:
    """``across=False``: stages left to right with arrows, nodes of a stage stacked: one
    arrow between consecutive stages, or with ``edges`` (a DAG) one arrow per dependency,
    from node to node. ``across=True``: each item of ``stages`` is a row of nodes, rows
    stacked, no arrows."""
    if across:
        row_w = [sum(d.width for d in row) + _PAD * (len(row) - 1) for row in stages]
        row_h = [max((d.height for d in row), default=0) for row in stages]
        width = max(row_w, default=0)
        height = sum(row_h) + _PAD * max(len(stages) - 1, 0)

        def draw_rows(x: float, y: float) -> list[str]:
            out: list[str] = []
            for row, h in zip(stages, row_h, strict=True):
                cx = x
                for d in row:
                    out += d.draw(cx, y)
                    cx += d.width + _PAD
                y += h + _PAD
            return out

        return _Drawn(width, height, draw_rows)
    col_w = [max((d.width for d in col), default=0) for col in stages]
    col_h = [sum(d.height for d in col) + _PAD * max(len(col) - 1, 0) for col in stages]
    width = sum(col_w) + _GAP * max(len(stages) - 1, 0)
    height = max(col_h, default=0)

    def draw_cols(x: float, y: float) -> list[str]:
        out: list[str] = []
        mid = y + height / 2
        boxes: list[tuple[float, float, float, float]] = []  # x, y, width, height per node
        for i, (col, w, h) in enumerate(zip(stages, col_w, col_h, strict=True)):
            cy = y + (height - h) / 2
            for d in col:
                boxes.append((x + (w - d.width) / 2, cy, d.width, d.height))
                out += d.draw(x + (w - d.width) / 2, cy)
                cy += d.height + _PAD
            if edges is None and i + 1 < len(stages):
                out.append(_arrow(x + w + 3, mid, x + w + _GAP - 3, mid))
            x += w + _GAP
        for before, after in edges or ():
            bx, by, bw, bh = boxes[before]
            ax, ay, _, ah = boxes[after]
            out.append(_arrow(bx + bw + 3, by + bh / 2, ax - 3, ay + ah / 2))
        return out

    return _Drawn(width, height, draw_cols)


def _frame(group: _Group, body: _Drawn, framed: bool) -> _Drawn:
    if not framed:
        return body
    lines = [group.title, *group.notes]
    width = max(body.width + 2 * _PAD, _lines_width(lines))
    height = body.height + len(lines) * _LINE + 3 * _PAD

    def draw(x: float, y: float) -> list[str]:
        out = [_rect(x, y, width, height, "#f6f8fa", "#afb8c1")]
        for j, line in enumerate(lines):
            out.append(
                _text(
                    x + _PAD,
                    y + _PAD + 12 + j * _LINE,
                    line,
                    bold=j == 0,
                    color=_INK if j == 0 else _MUTED,
                )
            )
        out += body.draw(x + (width - body.width) / 2, y + len(lines) * _LINE + 2 * _PAD)
        return out

    return _Drawn(width, height, draw)


def svg(manifest: Mapping[str, Any]) -> str:
    """The manifest's pipeline as an ``<svg>`` element (see ``display.pipeline_svg``)."""
    root = _model(manifest)
    drawn = _layout_group(root, framed=False)
    width, height = drawn.width + 2 * _PAD, drawn.height + 2 * _PAD
    body = "".join(drawn.draw(_PAD, _PAD))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-family="{_FONT}" '
        f'font-size="12" style="max-width:100%;height:auto">'
        f"<title>{escape(root.title)}</title>{body}</svg>"
    )


# ----------------------------------------------------------------------------- Mermaid


def _mermaid_label(lines: Iterable[str]) -> str:
    def one(text: str) -> str:
        # Mermaid's entity codes keep quotes and brackets from ending the label early.
        return "".join(
            {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;"}.get(c, c) for c in text
        )

    return '"' + "<br/>".join(one(line) for line in lines) + '"'


class _Mermaid:
    """Accumulates Mermaid flowchart lines; node ids are generated, never taken from values."""

    def __init__(self) -> None:
        self.lines = ["flowchart LR"]
        self.count = 0

    def new_id(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def node(self, node: _Node, indent: str) -> str:
        ident = self.new_id()
        if isinstance(node, _Call):
            label = _mermaid_label([node.title, f"\u2192 {node.target}", node.scope, *node.notes])
            self.lines.append(f"{indent}{ident}[[{label}]]")
        elif isinstance(node, _Pod):
            head = [f"pod {node.title}", node.kind, *node.notes, *node.warnings]
            self.lines.append(f"{indent}subgraph {ident}[{_mermaid_label(head)}]")
            self.lines.append(f"{indent}  direction TB")
            ids = {}
            for box in node.boxes:
                ids[box.name] = self.new_id()
                name = ("sidecar " if box.sidecar else "") + box.name
                label = _mermaid_label([name, box.image, *box.warnings])
                self.lines.append(f"{indent}  {ids[box.name]}({label})")
            for box in node.boxes:
                for dep in box.after:
                    if dep in ids:
                        self.lines.append(f"{indent}  {ids[dep]} --> {ids[box.name]}")
            self.lines.append(f"{indent}end")
        else:
            self.lines.append(
                f"{indent}subgraph {ident}[{_mermaid_label([node.title, *node.notes])}]"
            )
            self.lines.append(f"{indent}  direction LR")
            self.stages(node, indent + "  ")
            self.lines.append(f"{indent}end")
        return ident

    def stages(self, group: _Group, indent: str) -> None:
        previous: list[str] = []
        ids: list[str] = []
        for stage in group.stages:
            current = [self.node(n, indent) for n in stage]
            ids += current
            if group.ordered and group.edges is None:
                self.lines += [f"{indent}{a} --> {b}" for a in previous for b in current]
            previous = current
        # A DAG: one arrow per dependency, not every node of a stage to every one of the next.
        self.lines += [f"{indent}{ids[a]} --> {ids[b]}" for a, b in group.edges or ()]


def mermaid(manifest: Mapping[str, Any]) -> str:
    """The manifest's pipeline as a Mermaid flowchart (see ``display.pipeline_mermaid``)."""
    chart = _Mermaid()
    chart.stages(_model(manifest), "  ")
    return "\n".join(chart.lines) + "\n"
