"""The daemonless build: the builder image runs the lifecycle's phases directly.

No Docker daemon, no privileged pod. ``scripts/buildpacks_build.sh PHASE`` runs one phase
per container, as kpack does, so that credentials and app code never meet:

==========  ===============================================  ===================  ========
phase       what it does                                     registry credential  app code
==========  ===============================================  ===================  ========
analyze     writes the platform env and order, reads the     yes                  no
            previous image and the cache's metadata
detect      runs the buildpacks' ``bin/detect``              no                   yes
restore     restores cached layers from ``cache_image``      yes                  no
build       runs the buildpacks' ``bin/build`` (``pip        no                   yes
            install``...)
sbom        copies the SBOMs the build wrote, as data        no                   no
            (``sbom: true``; after build, before export; the
            shell image, ``scripts/sbom_collect.sh``)
export      pushes the image and its tags, records the       yes                  no
            digest
==========  ===============================================  ===================  ========

Registry credentials come from ``registry_secret`` (a ``kubernetes.io/dockerconfigjson``
Secret) mounted as ``$DOCKER_CONFIG/config.json`` in analyze, restore and export only; the
tags and the commit date are given as values (or read from the trusted outputs directory), and
the image and its digest are written to an ``out`` volume the detect and build containers do
not mount. Every path is the build's own (``/workspace/<config.name>/...``).

The export records the workflow's uid (``RUN_ID``) and the commit in the image's project
metadata, from a file on the ``out`` volume (never the layers directory the app's code can
write). What the build reports (``image``, ``digest``) is a *claim*: in one pod every
container can write Argo's ``/var/run/argo``, where outputs and exit codes live, so the run's
outputs come from `argo_buildpacks.components.provenance`, which checks the claim against the
registry in a pod of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from hera.workflows import Artifact, Container, ContainerNode, ContainerSet, Parameter
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import (
    ContainerSetRetryStrategy,
    EmptyDirVolumeSource,
    EnvVar,
    KeyToPath,
    SecretVolumeSource,
    ValueFrom,
    Volume,
    VolumeMount,
)

from argo_buildpacks.components import _ca, _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.model.config import BuildConfig

__all__ = [
    "BUILD_OUTPUT_NAMES",
    "PHASES",
    "REGISTRY_PHASES",
    "REGISTRY_SECRET_DIR",
    "RUN_ID",
    "SBOM_ARTIFACT",
    "SBOM_PHASE",
    "Phase",
    "buildpacks_build",
    "lifecycle_phase",
    "phase_node",
    "pod_phases",
    "registry_secret_volume",
    "retry_strategy",
    "sbom_artifact",
]

REGISTRY_SECRET_DIR = "/var/run/secrets/argo-buildpacks/registry"
REGISTRY_SECRET_VOLUME = "registry-credentials"
Phase = Literal["analyze", "detect", "restore", "build", "sbom", "export"]
#: The lifecycle's phases, in run order.
PHASES: tuple[Phase, ...] = ("analyze", "detect", "restore", "build", "export")
#: The SBOM collection (``sbom: true``): a container of its own between build and export,
#: with no credential, since it reads files the app's code wrote.
SBOM_PHASE: Phase = "sbom"
#: The run's identity, recorded in the image by the export: Argo's literal workflow uid.
RUN_ID = "{{workflow.uid}}"
#: The phases that talk to the registry (and so get its credential); the others run app code.
REGISTRY_PHASES = frozenset({"analyze", "restore", "export"})

#: The export phase's outputs, each a file of the same name in the build's ``out`` directory.
BUILD_OUTPUT_NAMES = ("image", "digest")
#: The build's output artifact (``sbom: true``): the buildpacks' SBOMs, ``launch/**/sbom.
#: {cdx,spdx,syft}.json`` as in the image's SBOM layer, and ``skipped.txt``, collected by the
#: ``sbom`` container.
SBOM_ARTIFACT = "sbom"


def pod_phases(config: BuildConfig, *, export: bool = True) -> list[Phase]:
    """The containers of a build pod, in run order: the lifecycle's phases, with the ``sbom``
    collection after build (``sbom: true`` and ``export``), and without export unless
    ``export``."""
    phases: list[Phase] = [p for p in PHASES if p != "export"]
    if export:
        phases += [SBOM_PHASE, "export"] if config.sbom else ["export"]
    return phases


def sbom_dir(config: BuildConfig) -> str:
    """Where the ``sbom`` container copies the SBOMs: ``sbom`` in the build's ``out``
    directory."""
    return f"{_pod.build_paths(config).out}/sbom"


def sbom_artifact(config: BuildConfig, *, global_name: bool = False) -> Artifact:
    """The build's ``sbom`` output artifact (saved to the workflow's artifact repository;
    a tarball of `sbom_dir`). With ``global_name``, also the workflow output ``sbom``."""
    return Artifact(
        name=SBOM_ARTIFACT,
        path=sbom_dir(config),
        global_name=SBOM_ARTIFACT if global_name else None,
    )


def retry_strategy(config: BuildConfig) -> ContainerSetRetryStrategy | None:
    """In-pod retries of a failed container, 30 s apart: for a containerSet whose program
    cannot retry its own push (``pack build``). The daemonless build does not use it.

    Argo's ``containerSet.retryStrategy.retries`` is the number of *attempts* (argoexec
    runs each container under ``Backoff{Steps: retries}``), so ``config.retries.push``
    retries render as ``push + 1``; ``None`` when no retry is configured. It applies to
    every container of the set and to any non-zero exit (``cmd/argoexec/commands/
    emissary.go`` 223-228 retries on every error): a refused input fails only after all
    attempts. Hence the daemonless phases retry in their script instead
    (``RETRIES``, 30 s times the attempt apart).
    """
    if not config.retries.push:
        return None
    return ContainerSetRetryStrategy(retries=config.retries.push + 1, duration="30s")


def registry_access(config: BuildConfig) -> tuple[dict[str, str], list[Volume], list[VolumeMount]]:
    """What a crane or cosign step needs to reach the registry: the push credential (read-only,
    as ``DOCKER_CONFIG``) and the private CA and insecure registries (`_ca`), as environment,
    volumes and mounts."""
    env: dict[str, str] = {}
    volumes: list[Volume] = []
    mounts: list[VolumeMount] = []
    registry = registry_secret_volume(config)
    if registry is not None:
        env["DOCKER_CONFIG"] = REGISTRY_SECRET_DIR
        volumes.append(registry)
        mounts.append(
            VolumeMount(name=str(registry.name), mount_path=REGISTRY_SECRET_DIR, read_only=True)
        )
    env.update(_ca.registry_env(config))
    return env, volumes + _ca.registry_volumes(config), mounts + _ca.registry_mounts(config)


def registry_secret_volume(config: BuildConfig) -> Volume | None:
    """The push credentials as a Docker ``config.json``, or ``None`` without a secret."""
    if config.registry_secret is None:
        return None
    return Volume(
        name=REGISTRY_SECRET_VOLUME,
        secret=SecretVolumeSource(
            secret_name=config.registry_secret,
            items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
            default_mode=0o440,
        ),
    )


def layers_volume() -> Volume:
    """The lifecycle's scratch ``/layers`` (pod-local; the cache lives in ``cache_image``)."""
    return Volume(name=_pod.LAYERS_VOLUME, empty_dir=EmptyDirVolumeSource())


def image_value(config: BuildConfig) -> str:
    """The image repository a template pushes to: literal, or the ``image`` input when the
    config lets a run override it."""
    return "{{inputs.parameters.image}}" if "image" in config.overridable else str(config.image)


def lifecycle_phase(
    config: BuildConfig,
    phase: Phase,
    *,
    layers_dir: str = _pod.LAYERS,
    name: str | None = None,
    tags: str | None = None,
    commit_epoch: str | None = None,
    commit: str | None = None,
    workspace_mount: bool = True,
    out_mount: bool = True,
    image_prefixes: Sequence[str] = (),
) -> Container:
    """One lifecycle phase as a container template.

    Args:
        config: the build.
        phase: ``analyze``, ``detect``, ``restore``, ``build``, ``export``, or ``sbom`` (the
            SBOM collection, no credential).
        layers_dir: the lifecycle's layers directory (its own volume at ``/layers``, or a
            directory of a shared claim).
        name: the container's name (default: the phase).
        tags: the tags as a value or expression (``{{inputs.parameters.tags}}``) instead of
            the file tag-check wrote; for layouts where app code ran on the same volume.
        commit_epoch: likewise for the commit date (``creation_time: commit``).
        commit: likewise for the built commit (the export's project metadata).
        workspace_mount: mount the workspace in the container (``False`` where the
            containerSet mounts it for every container).
        out_mount: mount the trusted outputs volume (analyze, sbom and export only).
        image_prefixes: registries (``host[:port][/path]``) the image and cache image must
            be under (library mode: fixed when the library is installed).

    Only analyze, restore and export get the registry credential; detect and build get no
    Secret, no credential variable and not the outputs volume.
    """
    container = _phase(
        config,
        phase,
        layers_dir=layers_dir,
        name=name,
        tags=tags,
        commit_epoch=commit_epoch,
        commit=commit,
        workspace_mount=workspace_mount,
        out_mount=out_mount,
        image_prefixes=image_prefixes,
    )
    if not isinstance(container, Container):  # pragma: no cover - _phase's contract
        raise TypeError("expected a Container")
    return container


def phase_node(
    config: BuildConfig,
    phase: Phase,
    *,
    dependencies: list[str] | None = None,
    **options: Any,
) -> ModelContainerNode:
    """`lifecycle_phase` as a ``containerSet`` node (Argo's plain model, which never
    registers itself as a template in a Hera context)."""
    node = _phase(config, phase, as_node=True, dependencies=dependencies, **options)
    if not isinstance(node, ModelContainerNode):  # pragma: no cover - _phase's contract
        raise TypeError("expected a ContainerNode")
    return node


def _phase(
    config: BuildConfig,
    phase: Phase,
    *,
    layers_dir: str = _pod.LAYERS,
    name: str | None = None,
    tags: str | None = None,
    commit_epoch: str | None = None,
    commit: str | None = None,
    workspace_mount: bool = True,
    out_mount: bool = True,
    image_prefixes: Sequence[str] = (),
    as_node: bool = False,
    dependencies: list[str] | None = None,
) -> Container | ModelContainerNode:
    if phase == SBOM_PHASE:
        return _sbom_collector(
            config,
            layers_dir=layers_dir,
            name=name,
            out_mount=out_mount,
            as_node=as_node,
            dependencies=dependencies,
        )
    builder = config.builder
    paths = _pod.build_paths(config)
    registry = phase in REGISTRY_PHASES
    # PLATFORM_DIR (paths.platform) is the script's default, $WORKSPACE/platform, and info
    # its default log level: left out, as each costs bytes in every phase of every pod spec.
    values: dict[str, str | None] = {
        "WORKSPACE": paths.root,
        "SUBPATH": config.source.subpath,
        "LAYERS_DIR": layers_dir,
        "BUILD_UID": str(builder.uid),
        "BUILD_GID": str(builder.gid),
        "LOG_LEVEL": config.log_level if config.log_level != "info" else None,
        "CNB_PLATFORM_API": builder.platform_api,
    }
    if phase in ("analyze", "export"):
        values.update(
            IMAGE=image_value(config),
            OUT_DIR=paths.out,
            TAGS=tags,
            IMAGE_PREFIXES="\n".join(image_prefixes) or None,
        )
    if phase == "analyze":
        values.update(
            BUILDPACKS=",".join(config.buildpacks) or None,
            RUN_IMAGE=str(config.run_image) if config.run_image else None,
            PREVIOUS_IMAGE=str(config.previous_image) if config.previous_image else None,
        )
    if phase == "export":
        values.update(
            CREATION_TIME=config.creation_time,
            COMMIT_EPOCH=commit_epoch if config.creation_time == "commit" else None,
            COMMIT=commit,
            RUN_ID=RUN_ID,
        )
    if phase in ("analyze", "restore", "export") and config.cache_image:
        values["CACHE_IMAGE"] = str(config.cache_image)
    if registry and config.retries.push:
        # Retried in the script, after its checks: a refused input fails at once.
        values["RETRIES"] = str(config.retries.push)
    mounts: list[VolumeMount] = [_pod.workspace_mount()] if workspace_mount else []
    if layers_dir == _pod.LAYERS:
        mounts.append(VolumeMount(name=_pod.LAYERS_VOLUME, mount_path=_pod.LAYERS))
    if out_mount and phase in ("analyze", "export"):
        mounts.append(_pod.out_mount(paths))
    if registry and config.registry_secret:
        values["DOCKER_CONFIG"] = REGISTRY_SECRET_DIR
        mounts.append(
            VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)
        )
    if registry:  # the private CA and insecure registries (components/_ca.py)
        values.update(_ca.registry_env(config, lifecycle=True))
        mounts += _ca.registry_mounts(config)
    # Build env vars travel as NAME VALUE argument pairs: data, never script text.
    pairs = [item for key in sorted(config.env) for item in (key, config.env[key])]
    fields: dict[str, Any] = {
        "name": name or phase,
        "image": _pod.image(builder.image),
        "image_pull_policy": "IfNotPresent",
        # Only this phase's part of the script (the size of the pod spec: docs/performance.md).
        "command": ["/bin/sh", "-c", load("buildpacks_build.sh", phase), "buildpacks-build", phase],
        "args": (pairs or None) if phase == "analyze" else None,
        "volume_mounts": mounts or None,
        "security_context": _pod.container_security(builder),
        "resources": _pod.resources(config.resources.build),
    }
    if as_node:
        return ModelContainerNode(
            **fields,
            env=[EnvVar(name=k, value=v) for k, v in values.items() if v is not None],
            dependencies=dependencies,
        )
    return Container(**fields, env=_pod.env(values))


def _sbom_collector(
    config: BuildConfig,
    *,
    layers_dir: str,
    name: str | None,
    out_mount: bool,
    as_node: bool,
    dependencies: list[str] | None,
) -> Container | ModelContainerNode:
    """The ``sbom`` container: ``scripts/sbom_collect.sh`` in the shell image, as the
    builder's uid, with the layers and the ``out`` volume and nothing else (no Secret)."""
    values = {"LAYERS_DIR": layers_dir, "SBOM_DIR": sbom_dir(config)}
    mounts: list[VolumeMount] = []
    if layers_dir == _pod.LAYERS:
        mounts.append(VolumeMount(name=_pod.LAYERS_VOLUME, mount_path=_pod.LAYERS))
    else:  # the layers are on the workspace (the steps layout)
        mounts.append(_pod.workspace_mount())
    if out_mount:
        mounts.append(_pod.out_mount(_pod.build_paths(config)))
    fields: dict[str, Any] = {
        "name": name or SBOM_PHASE,
        "image": str(config.images.shell),
        "image_pull_policy": "IfNotPresent",
        "command": ["/bin/sh", "-c", load("sbom_collect.sh"), "sbom-collect"],
        "volume_mounts": mounts,
        "security_context": _pod.container_security(config.builder),
        "resources": _pod.resources(config.resources.build),
    }
    if as_node:
        return ModelContainerNode(
            **fields,
            env=[EnvVar(name=k, value=v) for k, v in values.items()],
            dependencies=dependencies,
        )
    return Container(**fields, env=_pod.env(dict(values)))


def buildpacks_build(
    config: BuildConfig,
    *,
    name: str | None = None,
    export: bool = True,
) -> ContainerSet:
    """A self-contained containerSet template that builds the build's clone
    (``/workspace/<config.name>/src/<subpath>``) phase by phase and (with ``export``)
    pushes the image.

    Args:
        config: the build (builder, env, buildpacks, images, registry Secret, resources,
            retries, log level).
        name: the template name (default: ``build-<config.name>``).
        export: run the export (the push); without it the template only builds.

    Inputs: ``tags`` (comma-separated, main tag first: ``tag_check``'s ``tags`` output),
    ``commit-epoch`` (with ``creation_time: commit``: ``git_clone``'s output), ``commit``
    (``git_clone``'s output, recorded in the image), and ``image`` when the config lets a run
    override it. They arrive as values, never read from the workspace, which the app's code
    (detect, build) can write. Outputs (with ``export``): ``image`` (``name:tag``) and
    ``digest`` (``sha256:...``), written by the export phase to an ``out`` volume that detect
    and build do not mount, and with ``sbom: true`` the artifact ``sbom`` (the buildpacks'
    SBOMs, copied by the ``sbom`` container, which holds no credential; needs an artifact
    repository). The outputs are claims the app's code can forge through Argo's shared
    ``/var/run/argo``: run `argo_buildpacks.components.provenance.provenance_template` after
    this template, and act on its outputs only.

    The template declares what it needs itself: the layers and ``out`` volumes, the
    registry Secret (analyze, restore and export only), the pod securityContext
    (``fsGroup``: the Secret is 0440), no service-account token. ``retries.push`` are more
    attempts of the registry phases' lifecycle programs, in their script after its checks
    (not Argo's containerSet retries, which re-run refused input too). The workspace is the
    workflow's (a claim or an emptyDir named ``workspace``), mounted through the
    containerSet's own ``volumeMounts``: the only mounts for which Argo adds a
    workflow-level volume or claim to a containerSet pod.
    """
    paths = _pod.build_paths(config)
    phases = pod_phases(config, export=export)
    nodes: list[ContainerNode | ModelContainerNode] = []
    previous: str | None = None
    epoch = "{{inputs.parameters.commit-epoch}}" if config.creation_time == "commit" else None
    for phase in phases:
        node = phase_node(
            config,
            phase,
            # Argo saves containerSet outputs from the container named "main".
            name="main" if phase == "export" else phase,
            tags="{{inputs.parameters.tags}}",
            commit_epoch=epoch,
            commit="{{inputs.parameters.commit}}" if export else None,
            workspace_mount=False,
            dependencies=[previous] if previous else None,
        )
        nodes.append(node)
        previous = node.name
    volumes = [layers_volume(), Volume(name=_pod.OUT_VOLUME, empty_dir=EmptyDirVolumeSource())]
    secret = registry_secret_volume(config)
    if secret is not None:
        volumes.append(secret)
    volumes += _ca.registry_volumes(config)
    inputs = [Parameter(name="tags")]
    if export and epoch is not None:
        inputs.append(Parameter(name="commit-epoch"))
    if export:
        # Optional: a composed pipeline that passes no commit records none.
        inputs.append(Parameter(name="commit", default=""))
    if "image" in config.overridable:
        inputs.append(Parameter(name="image", default=str(config.image)))
    return ContainerSet(
        name=name or f"build-{config.name}",
        containers=nodes,
        volumes=volumes,
        volume_mounts=[_pod.workspace_mount()],
        inputs=inputs,
        outputs=[
            *(
                Parameter(name=k, value_from=ValueFrom(path=f"{paths.out}/{k}"))
                for k in BUILD_OUTPUT_NAMES
            ),
            *([sbom_artifact(config)] if config.sbom else []),
        ]
        if export
        else None,
        **_pod.template_pod(config.builder, config),
    )
