"""How the command line shows runs: status summaries, JSON, and progress while waiting.

While ``submit --wait`` polls, a terminal gets a live table of the run's steps (rich, imported
only then); anything else (a pipe, a CI log) gets one plain line per change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from argo_buildpacks._kits.text import escape

if TYPE_CHECKING:
    from rich.console import RenderableType

    from argo_buildpacks.model.runs import NodeStatus, RunStatus

__all__ = [
    "LiveProgress",
    "PlainProgress",
    "Progress",
    "format_result",
    "format_status",
    "pending_for",
    "progress_for",
    "status_json",
    "steps_of",
]

# Node types that only group other nodes; the steps a user cares about are the rest.
_GROUP_TYPES = frozenset({"Steps", "StepGroup", "DAG", "TaskGroup", "Retry"})
_OUTPUT_ORDER = ("image", "digest", "tags", "commit")
_PHASE_STYLE = {
    "Succeeded": "green",
    "Failed": "red",
    "Error": "red",
    "Running": "yellow",
    "Pending": "dim",
    "Skipped": "dim",
    "Omitted": "dim",
}


def steps_of(status: RunStatus) -> list[NodeStatus]:
    """The nodes that do work (pods, containers), without the grouping nodes, in run order:
    the workflow's tree walked from its root (a pod, then its containers), then any node
    the tree does not reach, in the order the server listed them."""
    by_id = {n.id: n for n in status.nodes}
    ordered: list[NodeStatus] = []
    seen: set[str] = set()
    stack = [n for n in status.nodes if n.name == status.name][:1]
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        ordered.append(node)
        stack += [by_id[c] for c in reversed(node.children) if c in by_id]
    ordered += [n for n in status.nodes if n.id not in seen]
    return [n for n in ordered if n.type not in _GROUP_TYPES and n.name != status.name]


def _label(node: NodeStatus) -> str:
    """A step's name; a container of a one-pod step is indented under its pod."""
    return f"  {node.display_name}" if node.type == "Container" else node.display_name


def status_json(status: RunStatus) -> dict[str, Any]:
    """``status`` as JSON-ready data (times in ISO 8601), with ``finished``/``succeeded``."""
    data = dataclasses.asdict(status)
    for key in ("started_at", "finished_at", "created_at"):
        value = data[key]
        data[key] = value.isoformat() if isinstance(value, datetime) else None
    data["finished"] = status.finished
    data["succeeded"] = status.succeeded
    return data


def _outputs(status: RunStatus) -> list[tuple[str, str]]:
    names = [n for n in _OUTPUT_ORDER if n in status.outputs]
    names += sorted(n for n in status.outputs if n not in _OUTPUT_ORDER)
    rows = []
    for name in names:
        value = ", ".join(status.tags) if name == "tags" else status.outputs[name]
        rows.append((name, value))
    return rows


def _duration(status: RunStatus) -> str:
    if status.started_at is None:
        return ""
    end = status.finished_at or datetime.now(timezone.utc)
    return _span((end - status.started_at).total_seconds())


def pending_for(status: RunStatus, now: datetime | None = None) -> str:
    """How long a Pending run has waited since it was submitted (``45s``, ``2m05s``); empty
    for a run in another phase or whose submission time is unknown."""
    if status.phase != "Pending" or status.created_at is None:
        return ""
    return _span(((now or datetime.now(timezone.utc)) - status.created_at).total_seconds())


def _phase(status: RunStatus) -> str:
    """``Running``, or ``Pending for 45s`` while it waits."""
    waited = pending_for(status)
    return f"{status.phase} for {waited}" if waited else status.phase


def _span(total: float) -> str:
    seconds = max(0, int(total))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else ""


def format_status(status: RunStatus) -> str:
    """A run's status as ``argo get`` shows it: fields, then steps, then outputs."""
    fields = [
        ("Name", status.name),
        ("Namespace", status.namespace),
        ("Phase", _phase(status)),
        ("Progress", status.progress),
        ("Started", _time(status.started_at)),
        ("Finished", _time(status.finished_at)),
        ("Duration", _duration(status)),
        ("Message", status.message),
    ]
    lines = [f"{label + ':':<11} {value}" for label, value in fields if value]
    steps = steps_of(status)
    if steps:
        width = max(len("STEP"), *(len(_label(n)) for n in steps))
        lines += ["", f"{'STEP':<{width}}  {'PHASE':<9}  MESSAGE"]
        lines += [f"{_label(n):<{width}}  {n.phase:<9}  {n.message}".rstrip() for n in steps]
    outputs = _outputs(status)
    if outputs:
        lines += ["", "Outputs:"]
        lines += [f"  {name:<7} {value}" for name, value in outputs]
    return "\n".join(lines)


def format_result(status: RunStatus) -> str:
    """The last word on a finished run: its phase (and why), then its outputs."""
    head = f"{status.namespace}/{status.name} {status.phase}"
    duration = _duration(status)
    if duration:
        head += f" in {duration}"
    if status.message:
        head += f": {status.message}"
    lines = [head]
    lines += [f"  {name:<7} {value}" for name, value in _outputs(status)]
    return "\n".join(lines)


class Progress(Protocol):
    """Shows a run's progress: called with each new status, closed at the end."""

    def __call__(self, status: RunStatus) -> None:
        """Show ``status``."""

    def __enter__(self) -> Progress:
        """Start showing."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop showing."""


class PlainProgress:
    """One line when the run's phase or progress changes, and one per step that changes;
    while the run is Pending, a line every ``pending_every`` seconds says for how long, so a
    CI log shows a wait (no node, no quota) rather than silence.

    Args:
        echo: writes one line.
        pending_every: seconds between the lines of a Pending run.
        now: the clock (tests).
    """

    def __init__(
        self,
        echo: Callable[[str], None],
        *,
        pending_every: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._echo = echo
        self._run: tuple[str, str] | None = None
        self._steps: dict[str, str] = {}
        self._pending_every = pending_every
        self._now = now
        self._pending_said = 0.0

    def __call__(self, status: RunStatus) -> None:
        """Print what changed since the last status."""
        run = (status.phase, status.progress)
        waited = pending_for(status, self._now())
        if run != self._run:
            self._run = run
            self._pending_said = 0.0
            phase = f"{status.phase} for {waited}" if waited else status.phase
            self._echo(escape(f"{status.name}  {phase}  {status.progress}".rstrip()))
        elif waited and status.created_at is not None:
            seconds = (self._now() - status.created_at).total_seconds()
            if seconds - self._pending_said >= self._pending_every:
                self._pending_said = seconds
                self._echo(escape(f"{status.name}  still Pending after {waited}"))
        for node in steps_of(status):
            if self._steps.get(node.id) != node.phase:
                self._steps[node.id] = node.phase
                message = f"  {node.message}" if node.message else ""
                self._echo(escape(f"  {node.display_name:<20} {node.phase}{message}"))

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LiveProgress:
    """A live table of the run's steps on a terminal (rich), left on screen at the end.

    Args:
        stream: the terminal to draw on.
        force_terminal: draw even if ``stream`` is not a terminal (tests).
    """

    def __init__(self, stream: TextIO, *, force_terminal: bool | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(file=stream, force_terminal=force_terminal)
        self._live = Live(console=self._console, refresh_per_second=8, transient=False)

    def __call__(self, status: RunStatus) -> None:
        """Redraw the table for ``status``."""
        self._live.update(self._render(status), refresh=True)

    def _render(self, status: RunStatus) -> RenderableType:
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        title = Text.assemble(
            (escape(f"{status.namespace}/{status.name}"), "bold"),
            "  ",
            (_phase(status), _PHASE_STYLE.get(status.phase, "")),
            f"  {status.progress}  {_duration(status)}".rstrip(),
        )
        table = Table(box=None, pad_edge=False)
        table.add_column("")
        table.add_column("STEP")
        table.add_column("PHASE")
        table.add_column("MESSAGE", overflow="fold")
        for node in steps_of(status):
            style = _PHASE_STYLE.get(node.phase, "")
            mark: RenderableType
            if node.phase == "Running":
                mark = Spinner("dots", style="yellow")
            else:
                mark = Text({"Succeeded": "✔", "Failed": "✖", "Error": "✖"}.get(node.phase, "·"))
                mark.stylize(style)
            table.add_row(
                mark,
                Text(escape(_label(node))),
                Text(node.phase, style=style),
                Text(escape(node.message)),
            )
        return Group(title, table)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def progress_for(stream: TextIO, echo: Callable[[str], None]) -> Progress:
    """A live display when ``stream`` is a terminal, plain lines through ``echo`` otherwise."""
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return LiveProgress(stream)
    return PlainProgress(echo)
