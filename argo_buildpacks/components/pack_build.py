"""The ``pack`` CLI build, for compatibility with the classic tutorial.

``pack`` needs a Docker daemon: either a privileged ``docker:dind`` sidecar (``pack-dind``)
or the node's ``/var/run/docker.sock`` (``pack-socket``). Both give the build root on the
node (dind: a privileged container; the socket: the host's Docker daemon, which can start
anything), so `pack_build` refuses them unless the caller passes
``allow_privileged=True``. Prefer `argo_buildpacks.components.buildpacks_build`.

The pack image has no shell, so its arguments are computed by Argo expressions from the
(already checked) ``tag`` input, and a busybox container reads the report afterwards.
"""

from __future__ import annotations

from typing import Literal

from hera.workflows import ContainerNode, ContainerSet, Parameter, UserContainer
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import (
    EnvVar,
    HostPathVolumeSource,
    SecurityContext,
    ValueFrom,
    Volume,
    VolumeMount,
)

from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import (
    BUILD_OUTPUT_NAMES,
    REGISTRY_SECRET_DIR,
    REGISTRY_SECRET_VOLUME,
    image_value,
    registry_secret_volume,
    retry_strategy,
)
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig

__all__ = ["COMMIT_EPOCH_INPUT", "pack_build"]

#: Pass this as ``creation_epoch`` to take the commit's date from a ``commit-epoch`` input.
COMMIT_EPOCH_INPUT = "{{inputs.parameters.commit-epoch}}"

_DOCKER_READY = (
    "i=0; until wget -q -O /dev/null http://127.0.0.1:2375/_ping; do "
    'i=$((i+1)); [ "$i" -lt 120 ] || { echo "docker-ready: dind did not start" >&2; exit 1; }; '
    "sleep 1; done"
)

# Argo expressions over the tag input; the tag check has validated it before pack runs.
_VERSION = "sprig.trimPrefix('v', inputs.parameters.tag)"
_OCI_TAG = f"sprig.replace('+', '_', {_VERSION})"


def _extra_tags(latest: bool, image: str) -> str:
    img = "inputs.parameters.image" if image.startswith("{{") else f"'{image}'"
    refs = (
        f"{img} + ':' + sprig.regexFind('^[0-9]+[.][0-9]+', {_VERSION}) + ',' + "
        f"{img} + ':' + sprig.regexFind('^[0-9]+', {_VERSION})"
    )
    if latest:
        refs += f" + ',' + {img} + ':latest'"
    prerelease = f"sprig.regexMatch('^[0-9]+[.][0-9]+[.][0-9]+-', {_VERSION})"
    return "{{=" + f"{prerelease} ? '' : {refs}" + "}}"


def pack_build(
    config: BuildConfig,
    *,
    daemon: Literal["dind", "socket"] | None = None,
    allow_privileged: bool = False,
    name: str | None = None,
    creation_epoch: str | None = None,
    claim_workspace: bool = True,
    out_volume: bool = False,
) -> ContainerSet:
    """A template that runs ``pack build --publish`` against a Docker daemon.

    Args:
        config: the build (builder, env, buildpacks, cache/run image, registry secret).
        daemon: ``dind`` (a privileged ``docker:dind`` sidecar) or ``socket`` (the node's
            ``/var/run/docker.sock``); default from ``config.mode``.
        allow_privileged: must be ``True``: both daemons give the pod root on the node.
        name: the template name (default: ``build-<config.name>``).
        creation_epoch: for ``creation_time: commit``, the expression or value holding the
            commit's epoch (e.g. ``{{inputs.parameters.commit-epoch}}``); pack cannot read it
            from a file.
        claim_workspace: the workspace is the workflow's (a claim or volume): mount it
            through the containerSet's own ``volumeMounts`` (the only mounts for which Argo
            adds a workflow-level volume to a containerSet pod), not per container. The
            default; ``False`` where the containerSet declares the workspace itself.
        out_volume: the reporting step writes to an ``out`` volume (the caller's, e.g. the
            single-pod layout's) mounted over the build's outputs directory.

    Like every component it honours ``config.images`` (pack, dind, shell),
    ``resources.build``, ``retries.push`` and ``log_level`` (``debug``: ``--verbose``,
    ``warn``/``error``: ``--quiet``), and carries its pod securityContext. On its own, its
    containers (the daemon wait, pack, the report) are retried in the pod
    (``containerSet.retryStrategy``): the pack image has no shell to retry its push in. The
    layouts replace that: ``steps`` retries the pod (a new pod per attempt), ``single-pod``
    does not retry, as its checks share the pod (docs/pipelines.md).

    Inputs: ``tag``, ``image`` (and ``commit-epoch`` when given as an input). Outputs:
    ``image``, ``digest``.

    Raises:
        ConfigError: privileged pods are not allowed, or ``creation_time: commit`` without
            ``creation_epoch``.
    """
    if daemon is None:
        daemon = "socket" if config.mode == "pack-socket" else "dind"
    mode = f"pack-{daemon}"
    if not allow_privileged:
        raise ConfigError(
            f"mode {mode!r} runs a privileged pod "
            + ("(a docker:dind sidecar)" if daemon == "dind" else "(the node's docker.sock)")
            + " with root on the node; pass allow_privileged=True (CLI: --allow-privileged) "
            "to accept that, or use mode 'daemonless'"
        )
    if config.creation_time == "commit" and creation_epoch is None:
        raise ConfigError(
            f"creation_time 'commit' with mode {mode!r} needs the commit's date as an argument, "
            "which only layout 'steps' can pass to pack; use layout 'steps', creation_time "
            "'now' or 'epoch', or mode 'daemonless'"
        )
    paths = _pod.build_paths(config)
    report_dir = paths.pack
    app = paths.src + (f"/{config.source.subpath}" if config.source.subpath else "")
    # No --trust-builder, and the builder by its canonical name: pack trusts the builders
    # it suggests only by their short names, and an untrusted builder runs the lifecycle's
    # phases in separate containers, with registry credentials only in those that need them.
    args = [
        "build",
        "--builder",
        str(config.builder.image.canonical),
        "--path",
        app,
        "--publish",
        "--report-output-dir",
        report_dir,
    ]
    if config.log_level == "debug":
        args.append("--verbose")
    elif config.log_level in ("warn", "error"):
        args.append("--quiet")
    image = image_value(config)
    if config.tag.floating:
        args.append("--tag=" + _extra_tags(config.tag.latest, image))
    if config.cache_image is not None:
        args += ["--cache-image", str(config.cache_image)]
    if config.run_image is not None:
        args += ["--run-image", str(config.run_image)]
    if config.previous_image is not None:
        args += ["--previous-image", str(config.previous_image)]
    for bp in config.buildpacks:
        args += ["--buildpack", bp]
    for key in sorted(config.env):
        args += ["--env", f"{key}={config.env[key]}"]
    if config.creation_time == "now":
        args += ["--creation-time", "now"]
    elif config.creation_time == "commit":
        args += ["--creation-time", str(creation_epoch)]
    # The run-time image goes last, after "--": pack never takes it for an option.
    args += ["--", image + ":{{=" + _OCI_TAG + "}}"]

    builder = config.builder
    workspace = [] if claim_workspace else [_pod.workspace_mount()]
    mounts = list(workspace)
    volumes: list[Volume] = []
    # An empty PACK_HOME: no trusted-builder list, no credentials from a config file.
    env: dict[str, str | None] = {"PACK_HOME": paths.pack_home}
    secret = registry_secret_volume(config)
    if secret is not None:
        volumes.append(secret)
        mounts.append(
            VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)
        )
        env["DOCKER_CONFIG"] = REGISTRY_SECRET_DIR

    containers: list[ContainerNode | ModelContainerNode] = []
    sidecars: list[UserContainer] = []
    if daemon == "dind":
        env["DOCKER_HOST"] = "tcp://127.0.0.1:2375"
        pack_security = _pod.container_security(builder)
        sidecars.append(
            UserContainer(
                name="dind",
                image=str(config.images.dind),
                command=["dockerd-entrypoint.sh"],
                # Loopback only: the daemon is unauthenticated, other pods must not reach it.
                args=["--host=tcp://127.0.0.1:2375", "--tls=false"],
                env=[EnvVar(name="DOCKER_TLS_CERTDIR", value="")],
                security_context=SecurityContext(privileged=True),
            )
        )
        containers.append(
            ContainerNode(
                name="docker-ready",
                image=str(config.images.shell),
                command=["/bin/sh", "-c", _DOCKER_READY],
                security_context=_pod.container_security(builder),
            )
        )
    else:
        env["DOCKER_HOST"] = "unix:///var/run/docker.sock"
        volumes.append(
            Volume(
                name="docker-sock",
                host_path=HostPathVolumeSource(path="/var/run/docker.sock", type="Socket"),
            )
        )
        mounts.append(VolumeMount(name="docker-sock", mount_path="/var/run/docker.sock"))
        # The host's socket belongs to root: this is the tutorial's root-on-the-node setup.
        pack_security = SecurityContext(run_as_user=0, run_as_group=0, run_as_non_root=False)

    containers.append(
        ContainerNode(
            name="pack",
            image=str(config.images.pack),
            command=["/usr/local/bin/pack"],
            args=args,
            env=_pod.env(env),
            volume_mounts=mounts,
            security_context=pack_security,
            resources=_pod.resources(config.resources.build),
            dependencies=["docker-ready"] if daemon == "dind" else None,
        )
    )
    containers.append(
        ContainerNode(
            name="main",
            image=str(config.images.shell),
            command=["/bin/sh", "-c", load("pack_report.sh"), "pack-report"],
            env=_pod.env(
                {
                    "OUT_DIR": paths.out,
                    "REPORT": f"{report_dir}/report.toml",
                    "IMAGE": image,
                }
            ),
            volume_mounts=[*workspace, *([_pod.out_mount(paths)] if out_volume else [])] or None,
            security_context=_pod.container_security(builder),
            dependencies=["pack"],
        )
    )
    inputs = [Parameter(name="tag")]
    if "image" in config.overridable:
        inputs.append(Parameter(name="image", default=str(config.image)))
    if creation_epoch == COMMIT_EPOCH_INPUT:
        inputs.append(Parameter(name="commit-epoch"))
    return ContainerSet(
        name=name or f"build-{config.name}",
        containers=containers,
        sidecars=sidecars or None,
        volumes=volumes or None,
        volume_mounts=None if workspace else [_pod.workspace_mount()],
        inputs=inputs,
        outputs=[
            Parameter(name=k, value_from=ValueFrom(path=f"{paths.out}/{k}"))
            for k in BUILD_OUTPUT_NAMES
        ],
        container_set_retry_strategy=retry_strategy(config),
        # No runAsNonRoot on the pod: the dind sidecar and the socket's pack run as root.
        **_pod.template_pod(config.builder, config, non_root=False),
    )
