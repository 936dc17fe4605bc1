"""docs/cli.md, generated from the command line's own ``--help`` output.

Regenerate with ``python -m argo_buildpacks.cli._main _docs > docs/cli.md``; the test suite fails
when the file and the real ``--help`` output differ.
"""

from __future__ import annotations

import click

__all__ = ["HELP_COLUMNS", "help_text", "reference"]

#: The terminal width the reference is rendered for: ``COLUMNS=80``.
HELP_COLUMNS = 80
# click fits help into the terminal's columns less 2 (HelpFormatter); an explicit
# terminal_width is used as it is.
_WIDTH = HELP_COLUMNS - 2

_INTRO = """\
# Command line reference

<!-- Generated from the real --help output: do not edit by hand. Regenerate with
     python -m argo_buildpacks.cli._main _docs > docs/cli.md
     (tests/cli/test_cli.py fails when this file and `argo-buildpacks ... --help` differ). -->

`argo-buildpacks` covers the same ground as the Python API: render a build config to a
WorkflowTemplate, lint manifests offline, apply templates to an Argo server, submit runs
and follow them.

Conventions shared by every command:

- `-h`/`--help` on every command, with examples.
- Exit status: `0` success; `1` failure (lint findings, a run that did not succeed, a
  server error); `2` usage error or bad input (invalid config, version, image, unreadable
  file). Errors are printed as `Error: ...` lines on stderr, without a traceback
  (`--debug` or `ARGO_BUILDPACKS_DEBUG=1` shows it). With no command, the help is printed
  and the exit status is `0`.
- `-o`/`--output` is the output *format*, as in argo and kubectl: `-o json` (and
  `-o yaml`) wherever a tool may parse the result, `-o name` for the names of what was
  made (`workflowtemplate.argoproj.io/NAME`, a run's name). Files are written with
  `--output-file FILE` or by redirection.
- `-f`/`--file FILE` names an input file for `render`, `lint` and `apply`; repeat it for
  several (every one is used), or give the files as arguments.
- Text from a server or a container (log lines, error messages) is printed with its
  control characters escaped (`\x1b`...), so it cannot rewrite the terminal.
- The server commands (`apply`, `submit`, `status`, `logs`, `fleet submit`,
  `fleet status`) take the argo CLI's flags and
  environment variables: `-s/--argo-server` (`ARGO_SERVER`), `-n/--namespace`
  (`ARGO_NAMESPACE`), `--token` (`ARGO_TOKEN`), `-e/--secure` (`ARGO_SECURE`),
  `-k/--insecure-skip-verify` (`ARGO_INSECURE_SKIP_VERIFY`), `--argo-base-href`
  (`ARGO_BASE_HREF`).
"""


def help_text(group: click.Group, path: tuple[str, ...] = ()) -> str:
    """The ``--help`` of ``group`` or of its subcommand ``path``, ``COLUMNS`` wide."""
    name = group.name or "argo-buildpacks"
    settings = {**group.context_settings, "terminal_width": _WIDTH}
    ctx = click.Context(group, info_name=name, **settings)
    command: click.Command = group
    for part in path:
        parent = command if isinstance(command, click.Group) else group
        sub = parent.get_command(ctx, part)
        if sub is None:
            raise KeyError(part)
        ctx = click.Context(sub, info_name=part, parent=ctx, **sub.context_settings)
        command = sub
    return command.get_help(ctx)


def reference(group: click.Group) -> str:
    """The whole of docs/cli.md: an introduction, then each command's ``--help``."""
    name = group.name or "argo-buildpacks"
    ctx = click.Context(group, info_name=name)
    sections = [_INTRO, f"## {name}\n\n```text\n{help_text(group)}\n```\n"]
    for sub in group.list_commands(ctx):
        command = group.get_command(ctx, sub)
        if command is None or command.hidden:
            continue
        sections.append(f"## {name} {sub}\n\n```text\n{help_text(group, (sub,))}\n```\n")
        if isinstance(command, click.Group):  # a command group (fleet): each of its commands
            for part in command.list_commands(ctx):
                text = help_text(group, (sub, part))
                sections.append(f"### {name} {sub} {part}\n\n```text\n{text}\n```\n")
    return "\n".join(sections)
