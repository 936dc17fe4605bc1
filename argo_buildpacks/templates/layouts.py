"""The two layouts of a build, as lists of templates: ``single-pod`` (one pod, an Argo
containerSet on an emptyDir) and ``steps`` (one pod per step on a volume claim).

Both run tag-check, then git-clone (then ``version`` when the tag may come from git; the
daemonless single pod then skips the early tag-check: ``version`` checks the tag), then the
build: the lifecycle's phases (daemonless) or ``pack`` (the privileged modes), then
``provenance``: a pod of its own that reads the pushed image back from the registry and alone
publishes the run's outputs (``image``, ``digest``, ``tags``, ``commit``). The build's own
outputs are claims (in one pod the app's code can write them through ``/var/run/argo``), so
they carry no ``globalName``: deploy and sign read only what provenance published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hera.workflows import Container, ContainerNode, ContainerSet, Parameter
from hera.workflows.models import (
    Arguments,
    Backoff,
    EmptyDirVolumeSource,
    Template,
    UserContainer,
    ValueFrom,
    Volume,
    WorkflowStep,
)
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import Parameter as ModelParameter
from hera.workflows.models import RetryStrategy as ModelRetryStrategy

from argo_buildpacks.components import _ca, _pod
from argo_buildpacks.components._pod import as_node
from argo_buildpacks.components.buildpacks_build import (
    BUILD_OUTPUT_NAMES,
    PHASES,
    SBOM_PHASE,
    layers_volume,
    lifecycle_phase,
    phase_node,
    pod_phases,
    registry_secret_volume,
    sbom_artifact,
)
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.components.pack_build import COMMIT_EPOCH_INPUT, pack_build
from argo_buildpacks.components.provenance import (
    CLAIMS,
    PROVENANCE_OUTPUTS,
    PROVENANCE_TEMPLATE,
    provenance_template,
)
from argo_buildpacks.components.tag_check import tag_check
from argo_buildpacks.model.config import BuildConfig

__all__ = ["WORKFLOW_OUTPUTS", "provenance_call", "single_pod", "steps"]

#: The workflow outputs (``globalName``) of every generated template: the provenance step's.
WORKFLOW_OUTPUTS = PROVENANCE_OUTPUTS


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
    # No globalName: a claim for the provenance step, not the run's output.
    return [Parameter(name=name, value_from=ValueFrom(path=path)) for name, path in names.items()]


def provenance_call(
    claims: Mapping[str, str], config: BuildConfig, *, image: str | None = None
) -> tuple[str, str, Arguments]:
    """The ``provenance`` step of ``main``: ``claims`` maps each of `PROVENANCE_OUTPUTS` to
    the expression of the step output that claims it; ``image`` is the repository argument
    when the config lets a run override it (default: the workflow parameter)."""
    params = [ModelParameter(name=CLAIMS[k], value=v) for k, v in claims.items()]
    if "image" in config.overridable:
        value = image or "{{workflow.parameters.image}}"
        params.insert(0, ModelParameter(name="image", value=value))
    return PROVENANCE_TEMPLATE, PROVENANCE_TEMPLATE, Arguments(parameters=params)


def _claims(step: str, names: Iterable[str] = PROVENANCE_OUTPUTS) -> dict[str, str]:
    return {n: "{{steps." + step + ".outputs.parameters." + n + "}}" for n in names}


def _run_args(config: BuildConfig) -> list[str]:
    """The workflow parameters the build templates take: what a run may set."""
    return [
        "tag",
        "revision",
        "expected-commit",
        *(n for n in ("repo", "image") if n in config.overridable),
    ]


def single_pod(
    config: BuildConfig, allow_privileged: bool, *, early_tag_check: bool | None = None
) -> list[Any]:
    """One pod: a containerSet (tag-check -> git-clone [-> version] -> the lifecycle's
    phases) on an emptyDir workspace, with the provenance on an ``out`` volume that only the
    containers running no app code mount.

    ``early_tag_check``: run ``tag-check`` before the clone also where ``version`` checks the
    tag after it (the version may come from git). Default: only in the pack modes, whose
    refused tag fails in seconds; the daemonless pod carries one copy of the tag rules. The
    library passes ``True``: its run chooses ``from-git``."""
    paths = _pod.build_paths(config)
    parts = _prepare_parts(config, out_volume=True)
    if early_tag_check is None:
        early_tag_check = config.mode != "daemonless"
    if config.tag.from_git and not early_tag_check:
        # `version` checks a given tag by the same rules before any phase or push: a second
        # copy of them ahead of the clone would cost ~6 KB of every pod's ARGO_TEMPLATE, and
        # the clone fetches the same thing whatever the tag (docs/security.md).
        parts = parts[1:]
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
        for phase in pod_phases(config):
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
        volumes += _ca.registry_volumes(config)
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
        # expected-commit is optional: callers from before it existed pass tag and revision.
        inputs=[Parameter(name=n, default="" if n == "expected-commit" else None) for n in names],
        outputs=[
            *_output_params({name: f"{paths.out}/{name}" for name in WORKFLOW_OUTPUTS}),
            *([sbom_artifact(config, global_name=True)] if config.sbom else []),
        ],
        # No in-pod retries: argoexec re-runs any failed container of the set (a refused tag,
        # the clone's whole fetch loop), 30 s apart. The daemonless phases and the clone retry
        # in their scripts, after their checks. pack (no shell in its image) cannot, and no
        # template retryStrategy can tell its failed push from a refusal here: the controller
        # sees only `main`'s exit, 64 after any failed container (docs/pipelines.md).
        container_set_retry_strategy=None,
        # Self-contained: the same pod security when another workflow calls it by
        # templateRef (fsGroup: the Secret volumes are 0440).
        **_pod.template_pod(config.builder, config, non_root=config.mode == "daemonless"),
    )
    main = _steps_template(
        [("build", "build", _workflow_args(names)), provenance_call(_claims("build"), config)]
    )
    return [main, build_set, provenance_template(config)]


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


def steps(config: BuildConfig, allow_privileged: bool) -> list[Any]:
    """One pod per step on a shared volumeClaimTemplate. The daemonless build is two pods:
    ``build`` (analyze, detect, restore, build) and ``export`` (the push), which takes the
    tags and commit date as parameters from the earlier steps, never from the claim the
    app's code could write."""
    parts = _prepare_parts(config)
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
    commit_arg = ModelParameter(
        name="commit", value="{{steps.git-clone.outputs.parameters.commit}}"
    )
    # The tags and the commit come from the pods that made them (no app code ran there).
    trusted = {
        "tags": str(tags_arg.value),
        "commit": str(commit_arg.value),
    }
    calls: list[tuple[str, str, Arguments]] = [
        ("tag-check", "tag-check", _workflow_args(["tag"])),
        (
            "git-clone",
            "git-clone",
            _workflow_args(
                ["revision", "expected-commit", *[n for n in overridable if n == "repo"]]
            ),
        ),
    ]
    if len(parts) > 2:
        calls.append(("version", "version", _workflow_args(["tag"])))
    image_args = [n for n in overridable if n == "image"]
    templates: list[Any]
    if config.mode == "daemonless":
        build, export = _steps_build(config)
        # The export retries its push in its script; a new pod only when the pod itself
        # errored (evicted, deleted), never for a failed (refused) run: operator.go 1158.
        export.retry_strategy = (
            retry.model_copy(update={"retry_policy": "OnError"}) if retry is not None else None
        )
        build_args = _workflow_args(image_args)
        build_args.parameters = [*(build_args.parameters or []), tags_arg]
        export_args = _workflow_args(image_args)
        export_args.parameters = [*(export_args.parameters or []), tags_arg, commit_arg]
        if config.creation_time == "commit":
            export_args.parameters.append(epoch_arg)
        claims = {**_claims("export", ("image", "digest")), **trusted}
        calls += [
            ("build", "build", build_args),
            ("export", "export", export_args),
            provenance_call(claims, config),
        ]
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
        # A template retryStrategy (a new pod per attempt), not the in-pod one: the tag and
        # the revision were checked in pods of their own, which no retry repeats.
        pack.container_set_retry_strategy = None
        pack.retry_strategy = retry
        args = _workflow_args(["tag", *image_args])
        if config.creation_time == "commit":
            args.parameters = [*(args.parameters or []), epoch_arg]
        claims = {**_claims("build", ("image", "digest")), **trusted}
        calls += [("build", "build", args), provenance_call(claims, config)]
        templates = [pack]
    return [_steps_template(calls), *parts, *templates, provenance_template(config)]


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
        volumes=[*([secret] if secret is not None else []), *_ca.registry_volumes(config)] or None,
        inputs=[*image_input, Parameter(name="tags")],
        **pod,
    )
    export = lifecycle_phase(
        config,
        "export",
        layers_dir=paths.layers,
        tags=tags,
        commit_epoch="{{inputs.parameters.commit-epoch}}",
        commit="{{inputs.parameters.commit}}",
    )
    export.name = "export"
    if config.sbom:
        # The SBOMs (files the app's code wrote) are copied before the push by an init
        # container that mounts no credential, into the pod's own out volume.
        collect = phase_node(config, SBOM_PHASE, layers_dir=paths.layers, name=SBOM_PHASE)
        export.init_containers = [
            UserContainer(**collect.model_dump(exclude={"dependencies"}, exclude_none=True))
        ]
    # The outputs go to a fresh emptyDir over /workspace/out, not to the claim.
    export.volumes = [
        Volume(name=_pod.OUT_VOLUME, empty_dir=EmptyDirVolumeSource()),
        *([secret] if secret is not None else []),
        *_ca.registry_volumes(config),
    ]
    export.inputs = [
        *image_input,
        Parameter(name="tags"),
        Parameter(name="commit", default=""),
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
