"""Compose the components into complete WorkflowTemplates, runs of them, and YAML.

`workflow_template` is the main entry: one `argo_buildpacks.model.config.BuildConfig`
in, one Hera ``WorkflowTemplate`` (or ``ClusterWorkflowTemplate``) out, meeting the contract
in DESIGN.md: parameters ``tag``/``revision``/``repo``/``image``, the tag checked before any
clone or build, outputs ``image``/``digest``/``tags``/``commit``, production defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import yaml
from hera.workflows import (
    ClusterWorkflowTemplate,
    Container,
    ContainerNode,
    ContainerSet,
    Parameter,
    Workflow,
    WorkflowTemplate,
)
from hera.workflows.models import (
    Arguments,
    Backoff,
    EmptyDirVolumeSource,
    ExecutorConfig,
    Mutex,
    PersistentVolumeClaim,
    PodGC,
    Synchronization,
    Template,
    Toleration,
    TTLStrategy,
    ValueFrom,
    Volume,
    WorkflowStep,
    WorkflowTemplateRef,
)
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import Parameter as ModelParameter
from hera.workflows.models import RetryStrategy as ModelRetryStrategy

from argo_buildpacks.components import _pod
from argo_buildpacks.components._pod import as_node
from argo_buildpacks.components.buildpacks_build import (
    BUILD_OUTPUT_NAMES,
    PHASES,
    layers_volume,
    lifecycle_phase,
    phase_node,
    registry_secret_volume,
    retry_strategy,
    sbom_artifact,
)
from argo_buildpacks.components.deploy import add_deploy
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.components.pack_build import COMMIT_EPOCH_INPUT, pack_build
from argo_buildpacks.components.sign import add_sign
from argo_buildpacks.components.tag_check import tag_check
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.tags import SemverTag
from argo_buildpacks.templates.compose import mark_global
from argo_buildpacks.templates.compose import workspace_claim as _workspace_claim

__all__ = [
    "Layout",
    "Mode",
    "assemble",
    "render",
    "to_manifest",
    "workflow_for",
    "workflow_template",
]

Layout: TypeAlias = Literal["single-pod", "steps"]
Mode: TypeAlias = Literal["daemonless", "pack-dind", "pack-socket"]
Kind: TypeAlias = Literal["WorkflowTemplate", "ClusterWorkflowTemplate"]
AnyTemplate: TypeAlias = "WorkflowTemplate | ClusterWorkflowTemplate"

#: The workflow outputs (``globalName``) of every generated template.
WORKFLOW_OUTPUTS = ("image", "digest", "tags", "commit")
LABEL_PREFIX = "argo-buildpacks.io"
#: Set on templates whose runs may build pull/merge-request refs (``workflow_for`` reads it).
ALLOW_PULL_REQUESTS_ANNOTATION = f"{LABEL_PREFIX}/allow-pull-requests"
_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


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
    _check_choice("kind", kind, _KINDS)
    config = _with_overrides(config, layout=layout, mode=mode)
    if config.mode != "daemonless" and not allow_privileged:
        # Same message whichever layout; pack_build repeats the check for direct callers.
        pack_build(config, allow_privileged=False)
    templates = (
        _single_pod(config, allow_privileged)
        if config.layout == "single-pod"
        else _steps(config, allow_privileged)
    )
    claims = [workspace_claim(config)] if config.layout == "steps" else None
    assembled = assemble(config, templates, kind=kind, volume_claims=claims)
    # Sign before the deploy: an admission policy that requires the signature admits it.
    return add_deploy(add_sign(assembled, config), config)


def workspace_claim(config: BuildConfig | None = None) -> PersistentVolumeClaim:
    """The steps layout's shared workspace: a per-run volume claim (deleted with the run),
    sized, classed and with the access modes of ``config.workspace`` (without a config: the
    defaults, 2Gi ReadWriteOnce of the default class). Same as
    `argo_buildpacks.templates.compose.workspace_claim`."""
    return _workspace_claim(config)


def assemble(
    config: BuildConfig,
    templates: list[Any],
    *,
    kind: Kind = "WorkflowTemplate",
    volume_claims: list[PersistentVolumeClaim] | None = None,
    labels: Mapping[str, str] | None = None,
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """A template with ``templates`` and everything workflow-wide from ``config``: the
    contract's parameters, pod security (Argo's executor containers included), no
    service-account token for any container but the executor's, deadline, pod GC, TTL,
    mutex, scheduling.

    This is how the generated and library templates are made; to put components into a
    Hera workflow of your own, use `argo_buildpacks.templates.compose.compose`.
    """
    _check_choice("kind", kind, _KINDS)
    cls = WorkflowTemplate if kind == "WorkflowTemplate" else ClusterWorkflowTemplate
    security = _pod.pod_security(config.builder, non_root=config.mode == "daemonless")
    return cls(
        name=config.name,
        namespace=config.namespace if kind == "WorkflowTemplate" else None,
        labels={
            "app.kubernetes.io/managed-by": "argo-buildpacks",
            f"{LABEL_PREFIX}/layout": config.layout,
            f"{LABEL_PREFIX}/mode": config.mode,
            **(labels or {}),
        },
        annotations={
            f"{LABEL_PREFIX}/image": str(config.image),
            **(
                {ALLOW_PULL_REQUESTS_ANNOTATION: "true"}
                if config.source.allow_pull_requests
                else {}
            ),
        },
        entrypoint="main",
        arguments=_workflow_parameters(config),
        templates=templates,
        volume_claim_templates=volume_claims,
        security_context=security,
        service_account_name=config.service_account,
        node_selector=dict(config.node_selector) or None,
        tolerations=[
            Toleration(
                key=t.key,
                operator=t.operator,
                value=t.value,
                effect=t.effect,
                toleration_seconds=t.toleration_seconds,
            )
            for t in config.tolerations
        ]
        or None,
        active_deadline_seconds=config.active_deadline_seconds,
        pod_gc=PodGC(strategy=config.pod_gc),
        ttl_strategy=TTLStrategy(
            seconds_after_success=config.ttl.after_success,
            seconds_after_failure=config.ttl.after_failure,
        ),
        synchronization=(
            Synchronization(mutexes=[Mutex(name=mutex_name(config))]) if config.mutex else None
        ),
        # No container of the run gets a service-account token; Argo's executor (init/wait)
        # gets its own account's token through the executor config.
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=executor_account(config)),
        pod_spec_patch=_pod.executor_patch() if config.executor_security == "patch" else None,
    )


def executor_account(config: BuildConfig) -> str:
    """The ServiceAccount of Argo's executor containers (the only ones with a token)."""
    return _pod.executor_account(config)


def mutex_name(config: BuildConfig) -> str:
    """The mutex serialising builds of one image (they share its cache image)."""
    return "argo-buildpacks-" + re.sub(r"[^a-z0-9-]+", "-", config.image.name.lower()).strip("-")


def _check_choice(what: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ConfigError(f"{what} {value!r} is not allowed; use one of: {', '.join(allowed)}")


def _with_overrides(config: BuildConfig, *, layout: str | None, mode: str | None) -> BuildConfig:
    update: dict[str, Any] = {}
    if layout is not None:
        _check_choice("layout", layout, ("single-pod", "steps"))
        update["layout"] = layout
    if mode is not None:
        _check_choice("mode", mode, ("daemonless", "pack-dind", "pack-socket"))
        update["mode"] = mode
    if not update:
        return config
    return BuildConfig.from_dict({**config.model_dump(mode="json"), **update})


def _workflow_parameters(config: BuildConfig) -> list[Parameter]:
    tag = Parameter(
        name="tag",
        description="SemVer 2.0.0 version to build (one leading 'v' allowed)"
        + ("; empty: derive it from `git describe`" if config.tag.from_git else ""),
    )
    if config.tag.from_git:
        tag.value = ""
    return [
        tag,
        Parameter(
            name="revision", value=config.source.revision, description="Branch, tag or commit"
        ),
        _fixed_or_free(config, "repo", config.source.url, "Git repository URL"),
        _fixed_or_free(config, "image", str(config.image), "Image repository (no tag)"),
    ]


def _fixed_or_free(config: BuildConfig, name: str, value: str, description: str) -> Parameter:
    """``repo``/``image``: shown per run; Argo refuses another value at submission (``enum``)
    unless the config lists the parameter as overridable."""
    if name in config.overridable:
        return Parameter(name=name, value=value, description=description)
    return Parameter(
        name=name,
        value=value,
        enum=[value],
        description=f"{description}; fixed when the template was installed",
    )


def _workflow_args(names: Iterable[str]) -> Arguments:
    return Arguments(
        parameters=[
            ModelParameter(name=n, value="{{workflow.parameters." + n + "}}") for n in names
        ]
    )


def _steps_template(calls: list[tuple[str, str, Arguments]]) -> Template:
    """The ``main`` steps template: one step group per call, in order."""
    return Template(
        name="main",
        steps=[
            [WorkflowStep(name=step, template=tmpl, arguments=args)] for step, tmpl, args in calls
        ],
    )


def _output_params(names: Mapping[str, str]) -> list[Parameter]:
    return [
        Parameter(name=name, value_from=ValueFrom(path=path), global_name=name)
        for name, path in names.items()
    ]


def _run_args(config: BuildConfig) -> list[str]:
    """The workflow parameters the build templates take: what a run may set."""
    return ["tag", "revision", *(n for n in ("repo", "image") if n in config.overridable)]


def _single_pod(config: BuildConfig, allow_privileged: bool) -> list[Any]:
    """One pod: a containerSet (tag-check -> git-clone [-> version] -> the lifecycle's
    phases) on an emptyDir workspace, with the provenance on an ``out`` volume that only the
    containers running no app code mount."""
    paths = _pod.build_paths(config)
    parts = _prepare_parts(config, out_volume=True)
    nodes: list[ContainerNode | ModelContainerNode] = []
    previous: str | None = None
    for part in parts:
        nodes.append(as_node(part, dependencies=[previous] if previous else None))
        previous = part.name
    volumes: list[Volume] = [
        Volume(name=_pod.WORKSPACE_VOLUME, empty_dir=EmptyDirVolumeSource()),
        Volume(name=_pod.OUT_VOLUME, empty_dir=EmptyDirVolumeSource()),
    ]
    for part in parts:
        volumes += _model_volumes(part.volumes)
    sidecars = None
    if config.mode == "daemonless":
        # Argo saves containerSet outputs from the container named "main": the export.
        for phase in PHASES:
            node = phase_node(
                config,
                phase,
                name="main" if phase == "export" else phase,
                dependencies=[previous] if previous else None,
            )
            nodes.append(node)
            previous = node.name
        volumes.append(layers_volume())
        secret = registry_secret_volume(config)
        if secret is not None:
            volumes.append(secret)
    else:
        pack = pack_build(
            config,
            allow_privileged=allow_privileged,
            name="build",
            claim_workspace=False,
            out_volume=True,
        )
        for pack_node in pack.containers:
            if isinstance(pack_node, ContainerNode) and not pack_node.dependencies and previous:
                pack_node.dependencies = [previous]
            nodes.append(pack_node)
        volumes += _model_volumes(pack.volumes)
        sidecars = pack.sidecars
    names = _run_args(config)
    build_set = ContainerSet(
        name="build",
        containers=nodes,
        sidecars=sidecars,
        volumes=volumes,
        inputs=[Parameter(name=n) for n in names],
        outputs=[
            *_output_params({name: f"{paths.out}/{name}" for name in WORKFLOW_OUTPUTS}),
            *([sbom_artifact(config, global_name=True)] if config.sbom else []),
        ],
        # In-pod retries: a failed container (a push, a fetch) re-runs in place after 30 s;
        # Argo counts attempts there, so this is retries.push + 1.
        container_set_retry_strategy=retry_strategy(config),
        # Self-contained: the same pod security when another workflow calls it by
        # templateRef (fsGroup: the Secret volumes are 0440).
        **_pod.template_pod(config.builder, config, non_root=config.mode == "daemonless"),
    )
    main = _steps_template([("build", "build", _workflow_args(names))])
    return [main, build_set]


def _prepare_parts(config: BuildConfig, *, out_volume: bool = False) -> list[Container]:
    """tag-check, git-clone and (when the tag may come from git) version, in run order."""
    parts = [
        tag_check(config, name="tag-check", out_volume=out_volume),
        git_clone(config, name="git-clone", out_volume=out_volume),
    ]
    if config.tag.from_git:
        parts.append(tag_check(config, mode="describe", name="version", out_volume=out_volume))
    return parts


def _model_volumes(volumes: object) -> list[Volume]:
    if volumes is None:
        return []
    items = volumes if isinstance(volumes, list) else [volumes]
    return [v for v in items if isinstance(v, Volume)]


def _steps(config: BuildConfig, allow_privileged: bool) -> list[Any]:
    """One pod per step on a shared volumeClaimTemplate. The daemonless build is two pods:
    ``build`` (analyze, detect, restore, build) and ``export`` (the push), which takes the
    tags and commit date as parameters from the earlier steps, never from the claim the
    app's code could write."""
    parts = _prepare_parts(config)
    check, clone = parts[0], parts[1]
    version = parts[2] if len(parts) > 2 else check
    mark_global(version, ["tags"])
    mark_global(clone, ["commit"])
    retry = None
    if config.retries.push:
        retry = ModelRetryStrategy(
            limit=config.retries.push,
            retry_policy="Always",
            backoff=Backoff(duration="30s", factor=2),
        )
    overridable = [n for n in ("repo", "image") if n in config.overridable]
    version_step = "version" if len(parts) > 2 else "tag-check"
    tags_arg = ModelParameter(
        name="tags", value="{{steps." + version_step + ".outputs.parameters.tags}}"
    )
    epoch_arg = ModelParameter(
        name="commit-epoch", value="{{steps.git-clone.outputs.parameters.commit-epoch}}"
    )
    calls: list[tuple[str, str, Arguments]] = [
        ("tag-check", "tag-check", _workflow_args(["tag"])),
        (
            "git-clone",
            "git-clone",
            _workflow_args(["revision", *[n for n in overridable if n == "repo"]]),
        ),
    ]
    if len(parts) > 2:
        calls.append(("version", "version", _workflow_args(["tag"])))
    image_args = [n for n in overridable if n == "image"]
    templates: list[Any]
    if config.mode == "daemonless":
        build, export = _steps_build(config)
        export.retry_strategy = retry
        mark_global(export, ["image", "digest"])
        build_args = _workflow_args(image_args)
        build_args.parameters = [*(build_args.parameters or []), tags_arg]
        export_args = _workflow_args(image_args)
        export_args.parameters = [*(export_args.parameters or []), tags_arg]
        if config.creation_time == "commit":
            export_args.parameters.append(epoch_arg)
        calls += [("build", "build", build_args), ("export", "export", export_args)]
        templates = [build, export]
    else:
        epoch = COMMIT_EPOCH_INPUT if config.creation_time == "commit" else None
        pack = pack_build(
            config,
            allow_privileged=allow_privileged,
            name="build",
            creation_epoch=epoch,
            claim_workspace=True,
        )
        # A template retryStrategy (a new pod per attempt), not the in-pod one.
        pack.container_set_retry_strategy = None
        pack.retry_strategy = retry
        mark_global(pack, ["image", "digest"])
        args = _workflow_args(["tag", *image_args])
        if config.creation_time == "commit":
            args.parameters = [*(args.parameters or []), epoch_arg]
        calls.append(("build", "build", args))
        templates = [pack]
    return [_steps_template(calls), *parts, *templates]


def _steps_build(config: BuildConfig) -> tuple[ContainerSet, Container]:
    """The steps layout's two build pods: the phases that may run app code (and the two
    registry reads before them) on the claim, then the export on its own pod."""
    tags = "{{inputs.parameters.tags}}"
    paths = _pod.build_paths(config)
    pod = _pod.template_pod(config.builder, config)
    nodes: list[ContainerNode | ModelContainerNode] = []
    previous: str | None = None
    for phase in PHASES[:-1]:  # all but export
        node = phase_node(
            config,
            phase,
            layers_dir=paths.layers,
            tags=tags,
            workspace_mount=False,
            out_mount=False,
            dependencies=[previous] if previous else None,
        )
        nodes.append(node)
        previous = node.name
    secret = registry_secret_volume(config)
    image_input = [Parameter(name="image")] if "image" in config.overridable else []
    build = ContainerSet(
        name="build",
        containers=nodes,
        # Argo adds a workflow-level claim to a containerSet pod only when the containerSet's
        # own volumeMounts name it; they apply to every container of the set.
        volume_mounts=[_pod.workspace_mount()],
        volumes=[secret] if secret is not None else None,
        inputs=[*image_input, Parameter(name="tags")],
        **pod,
    )
    export = lifecycle_phase(
        config,
        "export",
        layers_dir=paths.layers,
        tags=tags,
        commit_epoch="{{inputs.parameters.commit-epoch}}",
    )
    export.name = "export"
    # The outputs go to a fresh emptyDir over /workspace/out, not to the claim.
    export.volumes = [
        Volume(name=_pod.OUT_VOLUME, empty_dir=EmptyDirVolumeSource()),
        *([secret] if secret is not None else []),
    ]
    export.inputs = [
        *image_input,
        Parameter(name="tags"),
        *([Parameter(name="commit-epoch")] if config.creation_time == "commit" else []),
    ]
    export.outputs = [
        *(
            Parameter(name=k, value_from=ValueFrom(path=f"{paths.out}/{k}"))
            for k in BUILD_OUTPUT_NAMES
        ),
        *([sbom_artifact(config, global_name=True)] if config.sbom else []),
    ]
    for key, value in pod.items():
        setattr(export, key, value)
    return build, export


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
        from argo_buildpacks._kits.names import run_revision

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
            from argo_buildpacks.errors import TagError

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


def render(objs: Any) -> str:
    """Render one object or several as YAML (``---``-separated), in a stable key order.

    Accepts Hera workflows/templates, anything with ``to_dict()``, or plain dicts. Keys are
    ordered as Kubernetes users read them (``apiVersion``, ``kind``, ``metadata``,
    ``spec``) and then alphabetically, so diffs in git stay small.
    """
    items = objs if isinstance(objs, (list, tuple)) else [objs]
    docs = [to_manifest(o) for o in items]
    return "---\n".join(
        yaml.dump(
            _ordered(d),
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=100,
        )
        for d in docs
    )


def to_manifest(obj: Any) -> dict[str, Any]:
    """A plain dict manifest from a Hera object, a pydantic model or a dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, dict):
            return result
    raise ConfigError(f"cannot render {type(obj).__name__}: expected a Hera workflow or a dict")


_TOP = ("apiVersion", "kind", "metadata", "spec", "status")


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = [k for k in _TOP if k in value] + sorted(k for k in value if k not in _TOP)
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML through libyaml when present (10x faster than pure Python)."""


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Scripts and other multi-line strings as literal blocks: readable and diffable.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)
