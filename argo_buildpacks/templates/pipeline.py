"""Compose the components into complete WorkflowTemplates, and runs of them.

`workflow_template` is the main entry: one `argo_buildpacks.model.config.BuildConfig`
in, one Hera ``WorkflowTemplate`` (or ``ClusterWorkflowTemplate``) out, meeting the contract
in DESIGN.md: parameters ``tag``/``revision``/``repo``/``image``, the tag checked before any
clone or build, outputs ``image``/``digest``/``tags``/``commit``, production defaults.
`workflow_for` makes the ``Workflow`` that runs one version of an installed template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

from hera.workflows import ClusterWorkflowTemplate, Parameter, Workflow, WorkflowTemplate
from hera.workflows.models import WorkflowTemplateRef

from argo_buildpacks._kits.contract import ALLOW_PULL_REQUESTS_ANNOTATION, LABEL_PREFIX
from argo_buildpacks._kits.git import run_revision
from argo_buildpacks.components._pod import restrict_executors
from argo_buildpacks.components.deploy import add_deploy
from argo_buildpacks.components.pack_build import pack_build
from argo_buildpacks.components.sign import add_sign
from argo_buildpacks.errors import ConfigError, TagError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.tags import SemverTag
from argo_buildpacks.templates import layouts
from argo_buildpacks.templates._workflow import KINDS, Kind, assemble, check_choice, workspace_claim

__all__ = [
    "Layout",
    "Mode",
    "template_reference",
    "workflow_for",
    "workflow_template",
]

Layout: TypeAlias = Literal["single-pod", "steps"]
Mode: TypeAlias = Literal["daemonless", "pack-dind", "pack-socket"]


def workflow_template(
    config: BuildConfig,
    *,
    layout: Layout | None = None,
    mode: Mode | None = None,
    kind: Kind = "WorkflowTemplate",
    allow_privileged: bool = False,
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """Build the WorkflowTemplate for ``config``.

    Args:
        config: the app's build.
        layout: override ``config.layout``: ``single-pod`` (one pod, an Argo containerSet
            on an emptyDir) or ``steps`` (one pod per step on a volumeClaimTemplate).
        mode: override ``config.mode``: ``daemonless`` (default; no privileges) or the
            privileged ``pack-dind`` / ``pack-socket``.
        kind: ``WorkflowTemplate`` (namespaced) or ``ClusterWorkflowTemplate``.
        allow_privileged: required for the ``pack-*`` modes.

    Raises:
        ConfigError: ``config`` is not a `BuildConfig`, an option is not one of the allowed
            values, or a privileged mode was not allowed.
    """
    if not isinstance(config, BuildConfig):
        raise ConfigError(
            f"workflow_template: config must be a BuildConfig, not {type(config).__name__} "
            "(for a dict use BuildConfig.from_dict(...), for a file BuildConfig.from_file(...))"
        )
    check_choice("kind", kind, KINDS)
    config = _with_overrides(config, layout=layout, mode=mode)
    if config.mode != "daemonless" and not allow_privileged:
        # Same message whichever layout; pack_build repeats the check for direct callers.
        pack_build(config, allow_privileged=False)
    templates = (
        layouts.single_pod(config, allow_privileged)
        if config.layout == "single-pod"
        else layouts.steps(config, allow_privileged)
    )
    claims = [workspace_claim(config)] if config.layout == "steps" else None
    assembled = assemble(config, templates, kind=kind, volume_claims=claims)
    # Sign before the deploy: an admission policy that requires the signature admits it.
    template = add_deploy(add_sign(assembled, config), config)
    restrict_executors(template.templates or [], config)  # the sign and deploy pods too
    return template


def _with_overrides(config: BuildConfig, *, layout: str | None, mode: str | None) -> BuildConfig:
    update: dict[str, Any] = {}
    if layout is not None:
        check_choice("layout", layout, ("single-pod", "steps"))
        update["layout"] = layout
    if mode is not None:
        check_choice("mode", mode, ("daemonless", "pack-dind", "pack-socket"))
        update["mode"] = mode
    if not update:
        return config
    return BuildConfig.from_dict({**config.model_dump(mode="json"), **update})


def workflow_for(
    template: WorkflowTemplate | ClusterWorkflowTemplate | str,
    *,
    tag: str | SemverTag | None,
    revision: str | None = None,
    parameters: Mapping[str, str] | None = None,
    namespace: str | None = None,
    cluster_scope: bool | None = None,
) -> Workflow:
    """A ``Workflow`` that runs ``template`` (by ``workflowTemplateRef``) for one version.

    Args:
        template: the template object, or its name.
        tag: the version; validated with `SemverTag.parse` before anything is built.
            ``None`` (or ``""``) only for templates that derive the tag from git.
        revision: the git revision to build (default: the template's): a branch or a tag,
            a commit SHA, or a pull/merge-request ref where the template allows it.
        parameters: further workflow parameters (``repo``, ``image`` where the template's
            config lists them as overridable).
        namespace: the Workflow's namespace (default: the template's, else ``argo``).
        cluster_scope: reference a ClusterWorkflowTemplate (default: by ``template``'s type).

    Raises:
        TagError: ``tag`` is not SemVer 2.0.0.
        ConfigError: a parameter is not one the template declares, or has a value the
            template does not allow (a fixed ``repo``/``image``, a refused revision).
    """
    params: dict[str, str] = {}
    if tag not in (None, ""):
        params["tag"] = str(tag if isinstance(tag, SemverTag) else SemverTag.parse(str(tag)))
    if revision is not None:
        params["revision"] = revision
    for key, value in (parameters or {}).items():
        if key in ("tag", "revision") and key in params:
            raise ConfigError(f"parameter {key!r} is given twice (argument and parameters)")
        params[key] = str(value)
    if "revision" in params:
        allowed: bool | None = None
        if not isinstance(template, str):
            notes = template.annotations or {}
            allowed = notes.get(ALLOW_PULL_REQUESTS_ANNOTATION) == "true"
        try:
            params["revision"] = run_revision(params["revision"], allow_pull_requests=allowed)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    name, ns, cluster = template_reference(
        template, namespace=namespace, cluster_scope=cluster_scope
    )
    if not isinstance(template, str):
        declared = {p.name for p in _template_parameters(template) if p.name}
        unknown = sorted(set(params) - declared)
        if declared and unknown:
            raise ConfigError(
                f"parameter(s) {', '.join(unknown)} are not declared by template {name!r} "
                f"(declared: {', '.join(sorted(declared))})"
            )
        for p in _template_parameters(template):
            if p.name in params and p.enum and params[p.name] not in p.enum:
                raise ConfigError(
                    f"parameter {p.name!r} of template {name!r} is fixed to "
                    f"{', '.join(repr(str(e)) for e in p.enum)}; a run cannot set it to "
                    f"{params[p.name]!r} (the config's 'overridable' lists what a run may change)"
                )
        if "tag" not in params and any(
            p.name == "tag" and p.value is None and p.default is None
            for p in _template_parameters(template)
        ):
            raise TagError(f"template {name!r} needs a tag: it does not derive one from git")
    return Workflow(
        generate_name=f"{name}-",
        namespace=ns or "argo",
        labels={f"{LABEL_PREFIX}/template": name},
        workflow_template_ref=WorkflowTemplateRef(name=name, cluster_scope=cluster or None),
        arguments=[Parameter(name=k, value=v) for k, v in params.items()] or None,
    )


def template_reference(
    template: WorkflowTemplate | ClusterWorkflowTemplate | str,
    *,
    namespace: str | None = None,
    cluster_scope: bool | None = None,
) -> tuple[str, str | None, bool]:
    """``(name, namespace, cluster_scope)`` a Workflow uses to run ``template`` by reference:
    the template's own namespace unless ``namespace`` is given, cluster scope by its kind
    unless ``cluster_scope`` is given."""
    if isinstance(template, str):
        return template, namespace, bool(cluster_scope)
    cluster = (
        isinstance(template, ClusterWorkflowTemplate) if cluster_scope is None else cluster_scope
    )
    return str(template.name), namespace or (None if cluster else template.namespace), cluster


def _template_parameters(template: WorkflowTemplate) -> list[Parameter]:
    args = template.arguments
    items = args if isinstance(args, list) else [args] if args is not None else []
    return [p for p in items if isinstance(p, Parameter)]
