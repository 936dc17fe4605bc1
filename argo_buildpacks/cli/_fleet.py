"""``argo-buildpacks fleet render|submit|status DIR``: every config in DIR as one fleet.

Only click is imported at the top; the library and rich load inside the commands. Bad
configs in DIR are reported one line each (``Error: FILE: problem``), exit status 2.
"""

from __future__ import annotations

from typing import Any

import click

from argo_buildpacks._kits.text import escape
from argo_buildpacks.cli._common import (
    BadInput,
    echo_data,
    output_file_option,
    output_option,
    run_argument,
    run_resource,
    summary,
    write,
)
from argo_buildpacks.cli._server import ServerSettings, server_options

__all__ = ["fleet_group"]

_DIR = click.argument("directory", metavar="DIR")
_NAME = click.option(
    "--name", default="fleet", show_default=True, help="The fleet's WorkflowTemplate name."
)


def _load(directory: str) -> list[Any]:
    from argo_buildpacks.templates.fleets import FleetError, load_fleet

    try:
        return load_fleet(directory)
    except FleetError as exc:
        raise BadInput("\n".join(exc.problems)) from None


@click.group(name="fleet")
def fleet_group() -> None:
    """Keep every app of a directory patched: one workflow rebases or rebuilds them all.

    Every config (*.yaml, *.yml) in DIR is an app of the fleet. The fleet's workflow starts
    each app's rebase (rebase onto the current run image when it changed, rebuild when the
    builder changed, otherwise nothing), at most --parallelism at a time; one app's failure
    stops no other. Its "summary" output (app, action, old and new digest, reason) is what
    'fleet status' shows.

    \b
    Examples:
      argo-buildpacks fleet render apps/ | argo-buildpacks apply -f -
      argo-buildpacks fleet submit apps/
      argo-buildpacks fleet status apps/
    """


@fleet_group.command(name="render")
@_DIR
@_NAME
@click.option(
    "--parallelism",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    help="How many apps at most at once.",
)
@click.option(
    "--schedule",
    metavar="CRON",
    help="The fleet CronWorkflow's schedule (default: the apps' common rebase.schedule).",
)
@output_option("yaml", "json", default="yaml")
@output_file_option
def fleet_render(
    directory: str,
    name: str,
    parallelism: int,
    schedule: str | None,
    output: str,
    output_file: str | None,
) -> None:
    """Write every object of the fleet (each app's build and rebase templates and RBAC, the
    fleet's RBAC, template and CronWorkflow) as one stream that apply installs.

    \b
    Examples:
      argo-buildpacks fleet render apps/ | argo-buildpacks apply -f -
      argo-buildpacks fleet render apps/ --parallelism 10 --schedule "0 4 * * *"
    """
    import json

    from argo_buildpacks.templates.fleets import fleet_manifests

    configs = _load(directory)
    docs = fleet_manifests(configs, name=name, parallelism=parallelism, schedule=schedule)
    if output == "json":
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2) + "\n"
    else:
        from argo_buildpacks._kits.yaml_emit import render

        text = render(docs)
    write(text, output_file)
    if output_file not in (None, "-"):
        click.echo(f"wrote {output_file}: {summary(docs)}", err=True)


@fleet_group.command(name="submit")
@_DIR
@_NAME
@server_options
@output_option("text", "json", "name", default="text")
def fleet_submit(directory: str, name: str, server: ServerSettings, output: str) -> None:
    """Start a run of the fleet (install it first: 'fleet render' piped into 'apply -f -').

    -o name prints the run as kubectl does (workflow.argoproj.io/NAME), which 'fleet
    status --run' takes.

    \b
    Examples:
      argo-buildpacks fleet submit apps/
    """
    _load(directory)  # bad configs fail here, before any request
    with server.connect() as client:
        run = client.submit(name)
    if output == "text":
        click.echo(f"submitted {run.name} in namespace {run.namespace}")
    elif output == "name":
        click.echo(run_resource(run.name))
    else:
        echo_data({"name": run.name, "namespace": run.namespace, "uid": run.uid}, output)


@fleet_group.command(name="status")
@_DIR
@_NAME
@click.option(
    "--run",
    "run_name",
    metavar="RUN",
    callback=lambda _ctx, _param, value: None if value is None else run_argument(value),
    help="This run (NAME or workflow.argoproj.io/NAME; default: the newest).",
)
@server_options
@output_option("text", "json", "yaml", default="text")
def fleet_status(
    directory: str, name: str, run_name: str | None, server: ServerSettings, output: str
) -> None:
    """Show a fleet run's summary: per app, the action, old and new digest and reason.

    Every app of DIR the summary does not report is named, with why (the run is not
    finished, it failed before its summary, the app is newer than the run), and so is a
    summary line that cannot be read. The exit status is 0 whenever the status could be
    read (use -o json in scripts: "not_reported" and "problems").

    \b
    Examples:
      argo-buildpacks fleet status apps/
      argo-buildpacks fleet status apps/ --run fleet-x7k2p -o json
    """
    from argo_buildpacks.errors import ConfigError

    configs = _load(directory)
    with server.connect() as client:
        run: Any = run_name
        if run is None:
            run = client.latest_run(name)
            if run is None:
                raise ConfigError(f"fleet {name!r} has no run yet: start one with 'fleet submit'")
        current = client.status(run)
    rows, problems = _read_summary(current, [c.name for c in configs])
    missing = [c.name for c in configs if c.name not in {r.app for r in rows}]
    if output != "text":
        echo_data(
            {
                "name": current.name,
                "phase": current.phase,
                "apps": [r.__dict__ for r in rows],
                "not_reported": missing,
                "problems": problems,
            },
            output,
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=escape(f"{current.name}: {current.phase}"))
    for column in ("app", "phase", "action", "old digest", "new digest", "reason"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            *(escape(x) for x in (r.app, r.phase, r.action, r.old_digest, r.new_digest, r.reason))
        )
    Console(soft_wrap=True).print(table)
    for problem in problems:
        click.echo(escape(problem))


def _read_summary(current: Any, apps: list[str]) -> tuple[list[Any], list[str]]:
    """The rows of a fleet run's summary and, one line each, what could not be read: a
    line of another shape, an app of DIR the summary does not report, and why."""
    from argo_buildpacks.templates.fleets import parse_summary

    text = current.outputs.get("summary")
    rows = parse_summary(text or "")
    problems = [
        f"summary line {n} unreadable (not six tab-separated fields): {line[:120]!r}"
        for n, line in enumerate((text or "").splitlines(), 1)
        if line.strip() and not parse_summary(line)
    ]
    reported = {r.app for r in rows}
    if not current.finished:
        why = f"the run is {current.phase}: its summary comes when every app is done"
    elif text is None:
        detail = f": {current.message}" if current.message else ""
        why = f"the run {current.phase} before its summary step wrote one{detail}"
    else:
        why = "not in this run's summary: added to DIR after the run started?"
    problems += [f"{app}: not reported: {why}" for app in apps if app not in reported]
    return rows, problems
