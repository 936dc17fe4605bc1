"""The ``argo-buildpacks`` command line: the group, its error handling, and its commands.

Every command is a thin layer over the Python API, in a module per group: `_render`
(render, library, tags, schema), `_lint`, `_apply`, `_runs` (submit,
status, logs) and `_fleet` (fleet render, submit, status). Exit codes: 0
success; 1 failure (lint findings, a run that did not succeed, a server error); 2 usage
errors and bad input (invalid config, version, image or file). Errors are printed as
``Error: ...`` lines on stderr without a traceback (``--debug`` shows it); with no
command, the help is printed and the exit status is 0.

Start-up stays fast: these modules import only click at the top; Hera (and pydantic) are
imported inside the commands that need them, so ``--help``, ``--version`` and ``tags``
never load them.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from argo_buildpacks import __version__
from argo_buildpacks._kits.text import escape
from argo_buildpacks.cli._apply import apply
from argo_buildpacks.cli._common import PROG, BadInput, Failure
from argo_buildpacks.cli._fleet import fleet_group
from argo_buildpacks.cli._lint import lint_command
from argo_buildpacks.cli._pods import pods_command
from argo_buildpacks.cli._render import library_command, render, schema, tags
from argo_buildpacks.cli._runs import logs, status, submit
from argo_buildpacks.errors import ArgoBuildpacksError, ConfigError, LintError

__all__ = ["cli", "main"]

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _as_failure(exc: Exception, debug: bool) -> Failure:
    """The message and exit status for an error that reached the top of a command."""
    if isinstance(exc, LintError):
        errors = [f for f in exc.findings if getattr(f, "severity", "error") == "error"]
        lines = [f"not applied: {len(errors)} lint error(s):"] if errors else [str(exc)]
        return Failure("\n".join(lines + [f"  {finding}" for finding in errors]))
    if isinstance(exc, ConfigError):
        return BadInput(str(exc))
    if isinstance(exc, ArgoBuildpacksError):
        return Failure(str(exc))
    if isinstance(exc, OSError):  # writing --output-file FILE, reading stdin...
        where = f"{exc.filename}: " if exc.filename else ""
        return Failure(f"{where}{exc.strerror or exc}")
    message = f"unexpected {type(exc).__name__}: {exc}"
    if not debug:
        message += f" (run '{PROG} --debug ...' for the traceback)"
    return Failure(message)


class _Group(click.Group):
    """The root group: turns errors into exit codes and ``Error:`` lines, no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report library errors and unexpected ones without a traceback."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # handled in main: the reader went away
            debug = bool(ctx.params.get("debug"))
            if debug:
                traceback.print_exc()
            raise _as_failure(exc, debug) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands in the order of the job: render, lint, apply, submit, status..."""
        return list(self.commands)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; usage errors become one ``Error:`` line and exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else PROG
            message = escape(exc.format_message())
            click.echo(f"Error: {message} (see '{where} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # The reader went away (`... | head`): nothing left to say to it.
            _silence_stdout()
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# --------------------------------------------------------------------------- the group


@click.group(name=PROG, cls=_Group, context_settings=CONTEXT, invoke_without_command=True)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.option(
    "--debug",
    is_flag=True,
    envvar="ARGO_BUILDPACKS_DEBUG",
    show_envvar=True,
    help="Show the traceback of errors.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Build git repositories into OCI images with Cloud Native Buildpacks on Argo Workflows.

    Render a build config to a WorkflowTemplate, check it offline, apply it to an Argo
    server and run it for a version. Server commands read the argo CLI's variables
    (ARGO_SERVER, ARGO_TOKEN, ARGO_NAMESPACE, ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY).

    Exit status: 0 success, 1 failure (lint findings, failed run, server error),
    2 usage error or bad input.

    -o/--output is the output format (json, yaml, name...) and -f/--file an input file,
    as in argo and kubectl.

    \b
    Examples:
      argo-buildpacks render -f app.yaml > app.workflowtemplate.yaml
      argo-buildpacks lint app.workflowtemplate.yaml
      argo-buildpacks apply -f app.yaml
      argo-buildpacks submit my-app --tag 1.4.2 --wait
    """
    if ctx.invoked_subcommand is None:
        # No command: the help, on stdout, and success (as argo and kubectl do).
        click.echo(ctx.get_help())
        ctx.exit(0)


for _command in (
    render,
    library_command,
    lint_command,
    apply,
    submit,
    status,
    logs,
    fleet_group,
    tags,
    schema,
    pods_command,
):
    cli.add_command(_command)


@cli.command("_docs", hidden=True)
def docs_command() -> None:
    """Print docs/cli.md, the reference generated from every command's --help."""
    from argo_buildpacks.cli._docs import reference

    click.echo(reference(cli), nl=False)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script's entry point: run the command line and exit with its status."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)
    raise AssertionError("unreachable: click exits")  # pragma: no cover


if __name__ == "__main__":
    main()
