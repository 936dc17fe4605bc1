"""The pipeline diagram behind `argo_buildpacks.display._jupyter`: the pods, calls and stages
of `argo_buildpacks.display._pods` drawn as inline SVG or written as a Mermaid flowchart.

Every value drawn is escaped (SVG) or entity-coded (Mermaid), so no value can break the markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from argo_buildpacks.display._pods import Box, Call, Group, Node, Pod, pipeline_of

__all__ = ["clip", "mermaid", "svg"]

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


def _layout(node: Node) -> _Drawn:
    if isinstance(node, Pod):
        return _layout_pod(node)
    if isinstance(node, Call):
        return _layout_call(node)
    return _layout_group(node)


def _layout_pod(pod: Pod) -> _Drawn:
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


def _box_label(box: Box, numbered: bool) -> str:
    if box.sidecar:
        return f"sidecar {box.name}"
    return f"{box.level + 1}. {box.name}" if numbered else box.name


def _layout_call(call: Call) -> _Drawn:
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


def _layout_group(group: Group, *, framed: bool = True) -> _Drawn:
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


def _frame(group: Group, body: _Drawn, framed: bool) -> _Drawn:
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
    root = pipeline_of(manifest)
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

    def node(self, node: Node, indent: str) -> str:
        ident = self.new_id()
        if isinstance(node, Call):
            label = _mermaid_label([node.title, f"\u2192 {node.target}", node.scope, *node.notes])
            self.lines.append(f"{indent}{ident}[[{label}]]")
        elif isinstance(node, Pod):
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

    def stages(self, group: Group, indent: str) -> None:
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
    chart.stages(pipeline_of(manifest), "  ")
    return "\n".join(chart.lines) + "\n"
