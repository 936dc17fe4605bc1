"""``argo-buildpacks apply``: install every object of a rendered stream (or of the configs
it renders): templates through argo-server, the rest through the Kubernetes API.

Everything is read, rendered and checked (privileged pods, lint, a server-side dry run of
the Kubernetes objects) before the first write, so a bad file in the set changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click

from argo_buildpacks.cli._common import (
    echo_data,
    files_argument,
    files_option,
    gather_files,
    output_option,
)
from argo_buildpacks.cli._config import looks_like_config, read_text, template_options
from argo_buildpacks.cli._server import ServerSettings, server_options
from argo_buildpacks.errors import ConfigError, LintError, PrivilegedError

__all__ = ["apply", "load_objects"]

_TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def load_objects(
    files: Sequence[str], options: Mapping[str, Any], namespace: str
) -> list[tuple[str, dict[str, Any]]]:
    """Every object to install, with the file it came from, checked before anything is sent.

    A build config is rendered to every object it implies (as ``render`` writes them); a
    manifest file gives its documents (a ``List``'s items). A config without a
    ``namespace`` key goes to ``namespace``.

    Raises:
        ConfigError: a file cannot be read or holds something that is not a manifest.
        PrivilegedError: a template gives a pod root on the node without
            ``--allow-privileged``.
        LintError: the objects have lint errors (linted as one set: a Sensor and the
            template it submits, a library and the apps that call it).
    """
    from argo_buildpacks._kits import yaml_io as _yaml
    from argo_buildpacks._kits.yaml_emit import to_manifest
    from argo_buildpacks.client._install import INSTALLED_KINDS
    from argo_buildpacks.linting._lint import lint
    from argo_buildpacks.linting._privileged import privileged_problems
    from argo_buildpacks.model.config import BuildConfig
    from argo_buildpacks.templates.rbac import release_manifests

    items: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        source = "<stdin>" if path == "-" else path
        documents = [d for d in _yaml.load_all(read_text(path), source=source) if d is not None]
        if len(documents) == 1 and looks_like_config(documents[0]):
            config = BuildConfig.from_dict({"namespace": namespace, **documents[0]}, source=source)
            items += [(source, to_manifest(d)) for d in release_manifests(config, **options)]
            continue
        if not documents:
            raise ConfigError(f"{source}: no YAML documents")
        if len(documents) == 1 and isinstance(documents[0], dict) and documents[0].get(
            "kind"
        ) == "List":  # fmt: skip
            documents = list(documents[0].get("items") or [])
        for number, doc in enumerate(documents, start=1):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if not isinstance(doc, dict) or kind not in INSTALLED_KINDS:
                raise ConfigError(
                    f"{source}: document {number} is "
                    f"{'a ' + kind if isinstance(kind, str) else 'not a manifest'}; apply "
                    f"takes build configs and manifests of {', '.join(INSTALLED_KINDS)} (run "
                    "a Workflow with submit)"
                )
            items.append((source, doc))
    if not options.get("allow_privileged"):
        for source, manifest in items:
            issues = privileged_problems(manifest) if manifest["kind"] in _TEMPLATE_KINDS else []
            if issues:
                where = "; ".join(f"{path}: {message}" for path, message in issues)
                raise PrivilegedError(
                    f"{source}: not applied: {manifest['kind']} "
                    f"{(manifest.get('metadata') or {}).get('name')!r} gives a pod root on the "
                    f"node ({where}); pass --allow-privileged to accept it",
                    issues,
                )
    findings = lint([m for _, m in items])
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise LintError(
            f"not applied: {len(errors)} lint error(s): " + "; ".join(map(str, errors)), errors
        )
    return items


def _resource(kind: str) -> str:
    from argo_buildpacks.client._kube import KUBE_KINDS

    found = KUBE_KINDS.get(kind)
    group = found.api_version.rpartition("/")[0] if found else "argoproj.io"
    return f"{kind.lower()}.{group}" if group else kind.lower()


@click.command()
@files_option()
@files_argument("[FILE]...")
@template_options
@server_options
@click.option(
    "--kubeconfig",
    metavar="PATH",
    help="The kubeconfig for the Kubernetes objects (default: $KUBECONFIG, the pod's "
    "service account, ~/.kube/config).",
)
@click.option("--context", "kube_context", metavar="NAME", help="The kubeconfig context.")
@click.option(
    "--force-conflicts",
    is_flag=True,
    help="Take over fields another field manager set to other values (server-side apply's "
    "force; without it such a conflict is refused).",
)
@output_option("text", "json", "yaml", "name", default="text")
def apply(
    file_options: tuple[str, ...],
    files: tuple[str, ...],
    template_options: dict[str, Any],
    server: ServerSettings,
    kubeconfig: str | None,
    kube_context: str | None,
    force_conflicts: bool,
    output: str,
) -> None:
    """Install every object: templates through argo-server, the rest through Kubernetes.

    Each FILE (-f, repeatable, '-' for stdin, or positional) is a build config (rendered
    first, with the template options, to every object it implies) or the manifests
    'render' writes. WorkflowTemplates and ClusterWorkflowTemplates go to the Argo server;
    ServiceAccounts, token Secrets, Roles, RoleBindings, CronWorkflows, EventSources and
    Sensors to the Kubernetes API by server-side apply (field manager argo-buildpacks,
    as 'kubectl apply --server-side'). Nothing is written unless everything can be: a
    privileged pod without --allow-privileged, lint errors, missing credentials, a
    missing CRD or namespace, a forbidden object or a field conflict refuses the whole
    set and says what to run. Prints created, updated or unchanged for each object.

    \b
    Examples:
      argo-buildpacks apply -f app.yaml
      argo-buildpacks render -f app.yaml | argo-buildpacks apply -f -
      argo-buildpacks fleet render apps/ | argo-buildpacks apply -f - -o name
    """
    paths = gather_files(file_options, files)
    if not paths:
        raise click.UsageError("give at least one file: apply -f FILE (or apply FILE...)")
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("namespace") == click.core.ParameterSource.COMMANDLINE
    items = load_objects(paths, template_options, server.namespace)
    from contextlib import ExitStack

    from argo_buildpacks.client._install import ARGO_KINDS, install
    from argo_buildpacks.client._kube import connect_kube, is_kube_error
    from argo_buildpacks.errors import ServerError
    from argo_buildpacks.model.runs import ApplyResult

    objects = [m for _, m in items]
    source = " -f ".join("-" if p == "-" else p for p in paths)

    def report(result: ApplyResult) -> None:
        if output == "text":
            where = f"{result.namespace}/" if result.namespace else ""
            click.echo(
                f"{result.kind} {where}{result.name} {result.action} "
                f"(resourceVersion {result.resource_version})"
            )
        elif output == "name":
            click.echo(f"{_resource(result.kind)}/{result.name}")

    kube = None
    if any(m["kind"] not in ARGO_KINDS for m in objects):
        kube = connect_kube(kubeconfig, context=kube_context, timeout=server.request_timeout)
    kube_failure: ServerError | None = None
    with ExitStack() as stack:
        argo = None
        if any(m["kind"] in ARGO_KINDS for m in objects):
            argo = stack.enter_context(server.connect())
        if kube is not None:
            stack.callback(kube.close)
        try:
            results = install(
                objects,
                argo=argo,
                kube=kube,
                namespace=server.namespace,
                strict_namespace=explicit,
                allow_privileged=template_options["allow_privileged"],
                force_conflicts=force_conflicts,
                source=source,
                on_result=report,
            )
        except ServerError as exc:
            if not is_kube_error(exc):
                raise
            # Raised outside server.connect(), whose hints speak of the Argo server.
            kube_failure = exc
    if kube_failure is not None:
        raise kube_failure
    if output in ("json", "yaml"):
        import dataclasses

        echo_data([dataclasses.asdict(r) for r in results], output)
