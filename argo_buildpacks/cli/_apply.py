"""``argo-buildpacks apply``: create or update templates on the Argo server.

Everything is read, rendered and checked (privileged pods, lint) before the first request,
so a bad file in the set sends nothing at all.
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

__all__ = ["apply", "load_templates"]

_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")
# What a rendered stream also holds for its templates (templates/rbac.py): Kubernetes
# objects, not the Argo server's to create; apply names them for kubectl instead.
_KUBERNETES_KINDS = ("ServiceAccount", "Secret", "Role", "RoleBinding")


def _describe(doc: Mapping[str, Any]) -> str:
    found = doc.get("metadata")
    meta: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{doc.get('kind')} {where}{meta.get('name')}"


def load_templates(
    files: Sequence[str],
    options: Mapping[str, Any],
    namespace: str,
    explicit: bool,
    skipped: list[str] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Every template manifest to apply, checked before anything is sent.

    The Kubernetes objects a rendered stream (or a config) also implies, such as the
    executor's ServiceAccount, are not the Argo server's to create: each is described in
    ``skipped`` (when given) for the caller to name.

    A build config without a ``namespace`` key, like a manifest without
    ``metadata.namespace``, goes to ``namespace``; one given ``explicit``-ly on the command
    line must agree with the namespace a file names.

    Raises:
        ConfigError: a file cannot be read, is not a config or template, or a namespace
            disagrees.
        PrivilegedError: a template gives a pod root on the node without
            ``--allow-privileged``.
        LintError: a template has lint errors.
    """
    from argo_buildpacks._kits import yaml_io as _yaml
    from argo_buildpacks._kits.yaml_emit import to_manifest
    from argo_buildpacks.linting._lint import lint
    from argo_buildpacks.linting._privileged import privileged_problems
    from argo_buildpacks.model.config import BuildConfig
    from argo_buildpacks.templates.pipeline import workflow_template
    from argo_buildpacks.templates.rbac import rbac_objects

    skipped = [] if skipped is None else skipped

    items: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        source = "<stdin>" if path == "-" else path
        documents = [d for d in _yaml.load_all(read_text(path), source=source) if d is not None]
        if len(documents) == 1 and looks_like_config(documents[0]):
            data = {"namespace": namespace, **documents[0]}
            config = BuildConfig.from_dict(data, source=source)
            items.append((source, to_manifest(workflow_template(config, **options))))
            skipped += [_describe(d) for d in rbac_objects(config)]
            continue
        if not documents:
            raise ConfigError(f"{source}: no YAML documents")
        for number, doc in enumerate(documents, start=1):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if kind in _KUBERNETES_KINDS and isinstance(doc, dict):
                skipped.append(_describe(doc))
                continue
            if kind not in _KINDS:
                raise ConfigError(
                    f"{source}: document {number} is {'a ' + kind if kind else 'not a manifest'}"
                    "; apply takes build configs and WorkflowTemplate or "
                    "ClusterWorkflowTemplate manifests (run a template with submit)"
                )
            items.append((source, doc))
    if explicit:
        for source, manifest in items:
            given = (manifest.get("metadata") or {}).get("namespace")
            if manifest["kind"] == "WorkflowTemplate" and given and given != namespace:
                raise ConfigError(
                    f"{source}: {manifest['kind']} {manifest['metadata'].get('name')!r} is in "
                    f"namespace {given!r}, not {namespace!r} given by -n/--namespace"
                )
    if not options.get("allow_privileged"):
        for source, manifest in items:
            issues = privileged_problems(manifest)
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
    return f"{kind.lower()}.argoproj.io"


@click.command()
@files_option()
@files_argument("[FILE]...")
@template_options
@server_options
@output_option("text", "json", "yaml", "name", default="text")
def apply(
    file_options: tuple[str, ...],
    files: tuple[str, ...],
    template_options: dict[str, Any],
    server: ServerSettings,
    output: str,
) -> None:
    """Create or update WorkflowTemplates on the Argo server.

    Each FILE (-f, repeatable, or positional) is a build config (rendered first, with the
    template options) or YAML manifests of WorkflowTemplates / ClusterWorkflowTemplates.
    The ServiceAccounts, token Secrets, Roles and RoleBindings a rendered stream also
    holds are Kubernetes objects: apply names them (for kubectl apply) and sends none.
    Everything is checked before anything is sent: a pod that would get root on the node
    (privileged, host paths, host namespaces, root user) is refused without
    --allow-privileged, and lint errors are refused. Prints created, updated or unchanged
    for each template.

    \b
    Examples:
      argo-buildpacks apply -f app.yaml
      argo-buildpacks apply build/*.workflowtemplate.yaml -n ci -o json
      argo-buildpacks render -f app.yaml | argo-buildpacks apply -f -
    """
    paths = gather_files(file_options, files)
    if not paths:
        raise click.UsageError("give at least one file: apply -f FILE (or apply FILE...)")
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("namespace") == click.core.ParameterSource.COMMANDLINE
    skipped: list[str] = []
    items = load_templates(paths, template_options, server.namespace, explicit, skipped)
    results = []
    with server.connect() as client:
        for _, manifest in items:
            result = client.apply(manifest, allow_privileged=template_options["allow_privileged"])
            results.append(result)
            if output == "text":
                where = f"{result.namespace}/" if result.namespace else ""
                click.echo(
                    f"{result.kind} {where}{result.name} {result.action} "
                    f"(resourceVersion {result.resource_version})"
                )
            elif output == "name":
                click.echo(f"{_resource(result.kind)}/{result.name}")
    if output in ("json", "yaml"):
        import dataclasses

        echo_data([dataclasses.asdict(r) for r in results], output)
    if skipped:
        click.echo(
            "not applied (Kubernetes objects the templates need; apply them with "
            "'argo-buildpacks render ... | kubectl apply -f -'): " + ", ".join(skipped),
            err=True,
        )
