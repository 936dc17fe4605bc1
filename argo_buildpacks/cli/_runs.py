"""The commands about runs: ``submit`` (and wait), ``status`` and ``logs``.

Everything a server or a container wrote is escaped before it reaches the terminal
(`argo_buildpacks._kits.text.escape`): a log line cannot clear the screen or rewrite what
was printed before it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from argo_buildpacks._kits.text import escape, escape_lines
from argo_buildpacks.cli._common import (
    PROG,
    echo_data,
    output_option,
    run_argument,
    run_resource,
)
from argo_buildpacks.cli._server import ServerSettings, server_options
from argo_buildpacks.errors import WaitTimeoutError

__all__ = ["logs", "status", "submit"]


_RUN = click.argument(
    "run", metavar="RUN", callback=lambda _ctx, _param, value: run_argument(value)
)


def _key_values(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=f"'{option}'")
        if key in pairs:
            raise click.BadParameter(f"{key!r} is given twice", param_hint=f"'{option}'")
        pairs[key] = value
    return pairs


@click.command()
@click.argument("name", metavar="NAME")
@click.option("--tag", metavar="VERSION", help="Version to build (SemVer; omit with tag.from_git).")
@click.option(
    "--release",
    metavar="GIT_TAG",
    help="Build the git tag GIT_TAG as its version: sets tag and revision (e.g. v1.4.2).",
)
@click.option(
    "-p", "--parameter", "parameters", metavar="KEY=VALUE", multiple=True,
    help="Workflow parameter the template declares, e.g. revision=v1.4.2 (repeatable).",
)  # fmt: skip
@click.option(
    "-l", "--label", "labels", metavar="KEY=VALUE", multiple=True,
    help="Label for the workflow (repeatable).",
)  # fmt: skip
@click.option("--cluster", is_flag=True, help="Run a ClusterWorkflowTemplate.")
@click.option("--wait", is_flag=True, help="Wait for the run to finish, showing its progress.")
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    help="With --wait: give up after this long (default 3600).",
)
@click.option(
    "--poll-interval",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="With --wait: seconds between status reads.",
)
@server_options
@output_option("text", "json", "yaml", "name", default="text")
def submit(
    name: str,
    tag: str | None,
    release: str | None,
    parameters: tuple[str, ...],
    labels: tuple[str, ...],
    cluster: bool,
    wait: bool,
    timeout: float | None,
    poll_interval: float,
    server: ServerSettings,
    output: str,
) -> None:
    """Run the WorkflowTemplate NAME for a version.

    The template is read first: a parameter it does not declare is refused (a typo such
    as revison=main would otherwise run with the default), and so is a missing --tag
    unless the template derives the tag from git. With --wait, show the steps until the
    run finishes and print its outputs (image, digest, tags, commit); the exit status is 0
    only if it succeeded. The live display is drawn on a terminal; otherwise one line is
    printed per change. -o name prints the run as kubectl does (workflow.argoproj.io/NAME),
    which status, logs and kubectl take.

    \b
    Examples:
      argo-buildpacks submit my-app --tag 1.4.2
      argo-buildpacks submit my-app --tag v1.5.0-rc.1 -p revision=release-1.5 --wait
      argo-buildpacks submit my-app --tag 1.4.2 --wait --timeout 1800 -o json
      argo-buildpacks submit my-app --release v1.4.2 --wait
    """
    from argo_buildpacks.model.tags import SemverTag

    if timeout is not None and not wait:
        raise click.UsageError("--timeout needs --wait")
    if tag is not None:
        tag = str(SemverTag.parse(tag))  # before connecting: bad input is exit 2 either way
    params = _key_values(parameters, "--parameter")
    if release is not None:  # before connecting: a conflict is bad input (exit 2)
        from argo_buildpacks.model.release import release_arguments

        tag, params = release_arguments(release, tag=tag, parameters=params)
    label_map = _key_values(labels, "--label")
    with server.connect() as client:
        run = client.submit(name, tag, params, cluster=cluster, labels=label_map)
        if not wait:
            if output == "name":
                click.echo(run_resource(run.name))
            elif output != "text":
                echo_data(dataclasses.asdict(run), output)
            else:
                click.echo(f"submitted {run.namespace}/{run.name}")
                click.echo(f"  follow it: {PROG} status {run.name} -n {run.namespace}", err=True)
            return
        status_now = _wait(client, run, timeout or 3600.0, poll_interval, output)
    _finish(status_now, output)


def _wait(client: Any, run: Any, timeout: float, poll_interval: float, output: str) -> Any:
    from argo_buildpacks.cli._progress import progress_for

    # Progress goes where the result does not: stdout for text, stderr otherwise.
    err = output != "text"
    stream = sys.stderr if err else sys.stdout
    if not err:
        click.echo(f"submitted {run.namespace}/{run.name}")
    try:
        with progress_for(stream, lambda line: click.echo(line, err=err)) as progress:
            return client.wait(
                run, timeout=timeout, poll_interval=poll_interval, on_update=progress
            )
    except WaitTimeoutError as exc:
        raise WaitTimeoutError(
            f"{exc}; the run goes on: {PROG} status {run.name} -n {run.namespace}",
            last_phase=exc.last_phase,
        ) from exc
    except KeyboardInterrupt:
        click.echo(
            f"stopped waiting; the run goes on: {PROG} status {run.name} -n {run.namespace}",
            err=True,
        )
        sys.exit(130)


def _finish(status_now: Any, output: str) -> NoReturn:
    from argo_buildpacks.cli._progress import format_result, status_json

    if output == "name":
        click.echo(run_resource(status_now.name))
    elif output != "text":
        echo_data(status_json(status_now), output)
    else:
        click.echo(escape_lines(format_result(status_now)))
        if not status_now.succeeded:
            click.echo(
                f"  see why: {PROG} logs {status_now.name} -n {status_now.namespace} "
                f"(or {PROG} status {status_now.name})",
                err=True,
            )
    sys.exit(0 if status_now.succeeded else 1)


@click.command()
@_RUN
@server_options
@output_option("text", "json", "yaml", "name", default="text")
def status(run: str, server: ServerSettings, output: str) -> None:
    """Show a run's phase, steps (every container of a one-pod run) and outputs.

    RUN is the run's name, or workflow.argoproj.io/NAME as '-o name' prints it. A run not
    started yet shows how long it has been Pending. The exit status is 0 whenever the
    status could be read, whatever the phase (use the JSON output's "phase" or "succeeded"
    in scripts); -o name prints the run as kubectl does, once it could be read.

    \b
    Examples:
      argo-buildpacks status my-app-x7k2p
      argo-buildpacks status my-app-x7k2p -n ci -o json
      argo-buildpacks submit my-app --tag 1.4.2 -o name | xargs argo-buildpacks status
    """
    from argo_buildpacks.cli._progress import format_status, status_json

    with server.connect() as client:
        current = client.status(run)
    if output == "name":
        click.echo(run_resource(current.name))
    elif output == "text":
        click.echo(escape_lines(format_status(current)))
    else:
        echo_data(status_json(current), output)


@click.command()
@_RUN
@click.option("-f", "--follow", is_flag=True, help="Keep streaming until the pods finish.")
@click.option(
    "-c",
    "--container",
    metavar="NAME",
    help="Only this container (e.g. git-clone); every container by default.",
)
@click.option("--pod", metavar="POD", help="Only this pod's lines.")
@server_options
@output_option("text", "json", default="text")
def logs(
    run: str,
    follow: bool,
    container: str | None,
    pod: str | None,
    server: ServerSettings,
    output: str,
) -> None:
    """Print a run's logs, every container's, as `POD/CONTAINER: LINE`.

    RUN is the run's name, or workflow.argoproj.io/NAME as '-o name' prints it.

    A one-pod run (the single-pod layout) has a container per step: tag-check, git-clone
    and main (the build); -c picks one. Control characters in a line are printed as
    escapes (\\x1b...), so a line cannot rewrite the terminal. -o json prints one JSON
    object a line, the content as written.

    \b
    Examples:
      argo-buildpacks logs my-app-x7k2p
      argo-buildpacks logs my-app-x7k2p --follow -c git-clone
    """
    with server.connect() as client:
        lines = client.logs(run, follow=follow, container=container, pod_name=pod)
        try:
            for line in lines:
                if output == "json":
                    data = {
                        "pod_name": line.pod_name,
                        "container": line.container,
                        "content": line.content,
                    }
                    click.echo(json.dumps(data))
                else:
                    where = escape(f"{line.pod_name}/{line.container}")
                    click.echo(f"{where}: {escape(line.content)}")
        except KeyboardInterrupt:
            sys.exit(130)
        finally:
            close = getattr(lines, "close", None)
            if callable(close):
                close()
