"""What the command modules share: errors, the ``-o`` output format, ``-f`` files, writing.

Habits of the argo and kubectl command lines: ``-o/--output`` is always the output
*format* (``json``, ``yaml``, ``name``...; files are written with ``--output-file`` or by
redirection), and ``-f/--file`` names an input file, repeatable, as do positional files.
Only click is imported here, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any, TypeVar

import click

from argo_buildpacks._kits.text import escape

__all__ = [
    "PROG",
    "BadInput",
    "Failure",
    "echo_data",
    "files_argument",
    "files_option",
    "gather_files",
    "output_file_option",
    "output_option",
    "resource_name",
    "run_argument",
    "run_resource",
    "summary",
    "write",
]

PROG = "argo-buildpacks"
F = TypeVar("F", bound=Callable[..., Any])
#: How ``-o name`` and RUN arguments spell an Argo Workflow (kubectl's form, see
#: `resource_name`); ``workflow/NAME`` and ``workflows/NAME`` are accepted as kubectl does.
WORKFLOW = "workflow.argoproj.io"
_RUN_PREFIXES = (f"{WORKFLOW}/", "workflows.argoproj.io/", "workflow/", "workflows/", "wf/")


class Failure(click.ClickException):
    """An error already phrased for the user: ``Error: <line>`` per line; exit status 1.

    Every line is escaped (see `argo_buildpacks._kits.text.escape`): a message that quotes a
    server's answer or a file cannot move the cursor or clear the terminal.
    """

    def show(self, file: IO[Any] | None = None) -> None:
        """Print one ``Error:`` line per line of the message."""
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"Error: {escape(line)}", file=file or sys.stderr)


class BadInput(Failure):
    """Bad input (an invalid config, version, image or file): exit status 2."""

    exit_code = 2


class _Format(click.Choice):  # type: ignore[type-arg]
    """A format choice whose error says how to write a file instead."""

    def fail(
        self, message: str, param: click.Parameter | None = None, ctx: click.Context | None = None
    ) -> Any:
        hint = " (-o is the output format; write a file with --output-file FILE or '>')"
        super().fail(
            message + (hint if "--output-file" in _command_options(ctx) else ""), param, ctx
        )


def _command_options(ctx: click.Context | None) -> list[str]:
    if ctx is None:
        return []
    return [opt for param in ctx.command.params for opt in getattr(param, "opts", [])]


def output_option(*formats: str, default: str) -> Callable[[F], F]:
    """``-o/--output FORMAT`` (the command receives ``output``)."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=_Format(formats),
        default=default,
        show_default=True,
        help="Output format.",
    )


def output_file_option(func: F) -> F:
    """``--output-file FILE`` (the command receives ``output_file``)."""
    return click.option(
        "--output-file",
        "output_file",
        metavar="FILE",
        help="Write to FILE (parent directories are created) instead of stdout.",
    )(func)


def files_option(metavar: str = "FILE") -> Callable[[F], F]:
    """``-f/--file FILE``, repeatable (the command receives ``file_options``)."""
    return click.option(
        "-f",
        "--file",
        "file_options",
        metavar=metavar,
        multiple=True,
        help="Input file ('-' reads stdin); repeat it for several. Positional files work too.",
    )


def files_argument(metavar: str = "[FILE]...") -> Callable[[F], F]:
    """Positional input files (the command receives ``files``)."""
    return click.argument("files", nargs=-1, metavar=metavar)


def gather_files(options: Sequence[str], positional: Sequence[str]) -> list[str]:
    """The files of ``-f`` (in order) then the positional ones; ``-`` at most once."""
    paths = [*options, *positional]
    if paths.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read only once")
    return paths


def resource_name(api_version: str, kind: str, name: str) -> str:
    """An object as ``kubectl -o name`` prints it: the lower-cased kind, then ``.GROUP``
    unless the group is the core one (``apiVersion: v1``), then ``/NAME``:
    ``serviceaccount/x``, ``workflowtemplate.argoproj.io/x``,
    ``role.rbac.authorization.k8s.io/x`` (k8s.io/cli-runtime pkg/printers/name.go,
    printObj)."""
    group, _, _ = api_version.rpartition("/")
    return f"{kind.lower()}.{group}/{name}" if group else f"{kind.lower()}/{name}"


def run_resource(name: str) -> str:
    """A run as ``-o name`` prints it: ``workflow.argoproj.io/NAME``."""
    return resource_name("argoproj.io/v1alpha1", "Workflow", name)


def run_argument(value: str) -> str:
    """The Workflow name in a RUN argument: ``NAME``, or ``workflow.argoproj.io/NAME`` as
    ``-o name`` prints it (``workflow/NAME`` too), so ``submit -o name`` pipes into
    ``status``, ``logs`` and kubectl alike.

    Raises:
        click.BadParameter: another kind of object (``serviceaccount/x``).
    """
    for prefix in _RUN_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    if "/" in value:
        raise click.BadParameter(
            f"{value!r} is not a workflow: give NAME or {WORKFLOW}/NAME", param_hint="'RUN'"
        )
    return value


def summary(manifests: Sequence[Any]) -> str:
    """``5 objects (ServiceAccount/a, ..., WorkflowTemplate/app)``: what a file holds, for
    the ``wrote FILE: ...`` line of the commands that write one."""
    names = [f"{m.get('kind')}/{(m.get('metadata') or {}).get('name')}" for m in manifests]
    count = f"{len(names)} object{'s' * (len(names) != 1)}"
    return f"{count} ({', '.join(names)})"


def write(text: str, path: str | None) -> None:
    """Write ``text`` to ``path`` (parent directories created), or to stdout."""
    if path is None or path == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def echo_data(data: Any, output: str) -> None:
    """Print ``data`` as JSON (``output == "json"``) or YAML."""
    if output == "json":
        click.echo(json.dumps(data, indent=2))  # ASCII: no raw control character
    else:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
