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


@fleet_group.command(name="submit")
@_DIR
@_NAME
@server_options
@output_option("text", "json", "name", default="text")
def fleet_submit(directory: str, name: str, server: ServerSettings, output: str) -> None:
    """Start a run of the fleet (install it first: 'fleet render' piped into 'apply -f -').

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
        click.echo(run.name)
    else:
        echo_data({"name": run.name, "namespace": run.namespace, "uid": run.uid}, output)


@fleet_group.command(name="status")
@_DIR
@_NAME
@click.option("--run", "run_name", metavar="RUN", help="This run (default: the newest).")
@server_options
@output_option("text", "json", "yaml", default="text")
def fleet_status(
    directory: str, name: str, run_name: str | None, server: ServerSettings, output: str
) -> None:
    """Show a fleet run's summary: per app, the action, old and new digest and reason.

    The exit status is 0 whenever the status could be read (use -o json in scripts).

    \b
    Examples:
      argo-buildpacks fleet status apps/
      argo-buildpacks fleet status apps/ --run fleet-x7k2p -o json
    """
    from argo_buildpacks.errors import ConfigError
    from argo_buildpacks.templates.fleets import parse_summary

    configs = _load(directory)
    with server.connect() as client:
        run: Any = run_name
        if run is None:
            run = client.latest_run(name)
            if run is None:
                raise ConfigError(f"fleet {name!r} has no run yet: start one with 'fleet submit'")
        current = client.status(run)
    rows = parse_summary(current.outputs.get("summary", ""))
    reported = {r.app for r in rows}
    missing = [c.name for c in configs if c.name not in reported]
    if output != "text":
        echo_data(
            {
                "name": current.name,
                "phase": current.phase,
                "apps": [r.__dict__ for r in rows],
                "not_reported": missing,
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
    if missing:
        click.echo(escape(f"not in the summary (yet): {', '.join(missing)}"))
