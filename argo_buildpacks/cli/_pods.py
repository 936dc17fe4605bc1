"""``argo-buildpacks pods``: the pods Argo's controller would create from each template."""

from __future__ import annotations

import sys

import click

from argo_buildpacks._kits.text import escape, escape_lines
from argo_buildpacks.cli._common import (
    BadInput,
    echo_data,
    files_argument,
    files_option,
    gather_files,
    output_option,
)
from argo_buildpacks.cli._lint import _ArgoVersion, _load
from argo_buildpacks.errors import ConfigError

__all__ = ["pods_command"]

_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")


@click.command("pods")
@files_option()
@files_argument("[FILE]...")
@click.option(
    "--argo-version",
    type=_ArgoVersion(["3.6", "3.7", "4.0", "4.1"]),
    default="4.1",
    show_default=True,
    help="The Argo release whose controller builds the pods.",
)
@click.option(
    "--initless",
    is_flag=True,
    help="The 4.1 controller's initlessPod.enabled: no init container, a supervisor for wait.",
)
@click.option(
    "--archive-logs",
    is_flag=True,
    help="The artifact repository's archiveLogs (3.7 and later: resource pods get wait).",
)
@click.option(
    "--executor-user",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The uid the controller's argoexec image runs as: 0 for argoexec, 8737 for "
    "argoexec-nonroot.",
)
@click.option("--template", "only", metavar="NAME", help="Show only this template's pod.")
@output_option("text", "json", "yaml", default="text")
def pods_command(
    file_options: tuple[str, ...],
    files: tuple[str, ...],
    argo_version: str,
    initless: bool,
    archive_logs: bool,
    executor_user: int,
    only: str | None,
    output: str,
) -> None:
    """Show the pod(s) Argo would create from each template, offline.

    Each FILE (-f, repeatable, or positional) holds Argo manifests or a build config (rendered
    first). For every container, script, containerSet, resource and data template it shows
    the pod the workflow-controller builds (workflow/controller/workflowpod.go of the chosen
    release): Argo's init and wait containers (or 4.1's init-less supervisor), every
    container with its image, uid and mounts (/var/run/argo and the executor's token
    included), the env size, the podSpecPatch applied, which containers can write each
    output's source, and what Argo, the API server or the kubelet would refuse (a patch
    naming a container the pod lacks, runAsNonRoot on a root argoexec image). -o yaml/json
    gives the pod specs themselves. Exit status 1 when a pod would be refused.

    \b
    Examples:
      argo-buildpacks pods build/app.workflowtemplate.yaml
      argo-buildpacks pods --argo-version 4.1 --initless -f app.yaml
      argo-buildpacks render -f app.yaml | argo-buildpacks pods - -o yaml
    """
    from argo_buildpacks.display._podview import pods_data, pods_text

    paths = gather_files(file_options, files)
    if not paths:
        raise click.UsageError("give at least one file: pods FILE... or -f FILE")
    if initless and argo_version != "4.1":
        raise click.BadParameter(
            f"--initless needs --argo-version 4.1 (got {argo_version}): the init-less pod "
            "layout exists from Argo 4.1 on",
            param_hint="--initless",
        )
    shown: list[dict[str, object]] = []
    for path in paths:
        try:
            documents, _ = _load(path)
        except ConfigError as exc:
            raise BadInput(str(exc)) from None
        for doc in documents:
            if not isinstance(doc, dict) or doc.get("kind") not in _KINDS:
                continue
            name = str((doc.get("metadata") or {}).get("name") or "")
            for pod in pods_data(
                doc,
                argo_version=argo_version,
                initless=initless,
                archive_logs=archive_logs,
                executor_user=executor_user,
            ):
                if only is None or pod["template"] == only:
                    shown.append({"file": path, "document": f"{doc['kind']}/{name}", **pod})
    if only is not None and not shown:
        raise BadInput(f"--template {only!r}: no template of that name makes a pod in the files")
    if output != "text":
        echo_data(shown, output)
    else:
        for document in dict.fromkeys(str(p["document"]) for p in shown):
            click.echo(escape(f"{document}:"))
            click.echo(escape_lines(pods_text([p for p in shown if p["document"] == document])))
    if any(p["problems"] for p in shown):
        sys.exit(1)
