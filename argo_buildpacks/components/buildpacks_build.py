"""The daemonless build: the builder image runs the lifecycle's ``creator`` directly.

No Docker daemon, no privileged pod: ``scripts/buildpacks_build.sh`` writes the build env
vars to ``<platform>/env/NAME`` (the platform spec's way), sets ``SOURCE_DATE_EPOCH`` from
``creation_time``, runs ``/cnb/lifecycle/creator`` as the builder's CNB user, and reads the
pushed digest from the lifecycle's report. Registry credentials come from
``registry_secret`` (a ``kubernetes.io/dockerconfigjson`` Secret) mounted as
``$DOCKER_CONFIG/config.json``.
"""

from __future__ import annotations

from hera.workflows import Container, Parameter
from hera.workflows.models import (
    EmptyDirVolumeSource,
    KeyToPath,
    SecretVolumeSource,
    ValueFrom,
    Volume,
    VolumeMount,
)

from argo_buildpacks.components import _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.config import BuildConfig

__all__ = ["BUILD_OUTPUTS", "REGISTRY_SECRET_DIR", "buildpacks_build", "registry_secret_volume"]

REGISTRY_SECRET_DIR = "/var/run/secrets/argo-buildpacks/registry"
REGISTRY_SECRET_VOLUME = "registry-credentials"
PLATFORM_DIR = f"{_pod.WORKSPACE}/platform"

#: Output parameter -> file written by the script.
BUILD_OUTPUTS = {
    "image": f"{_pod.OUT_DIR}/image",
    "digest": f"{_pod.OUT_DIR}/digest",
}


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


def buildpacks_build(config: BuildConfig, *, name: str | None = None) -> Container:
    """A container template that builds ``/workspace/src/<subpath>`` and pushes
    ``{{inputs.parameters.image}}`` with the tags tag-check wrote.

    The name defaults to ``buildpacks-build-<hash>`` of the config.

    Inputs: ``image``. Outputs: ``image`` (``name:tag``) and ``digest`` (``sha256:...``).
    Expects the workspace (mounted at ``/workspace``) to hold the clone (``git_clone``) and
    the tags (``tag_check``); the caller declares the workspace volume.
    """
    builder = config.builder
    values: dict[str, str | None] = {
        "IMAGE": "{{inputs.parameters.image}}",
        "WORKSPACE": _pod.WORKSPACE,
        "OUT_DIR": _pod.OUT_DIR,
        "SUBPATH": config.source.subpath,
        "LAYERS_DIR": _pod.LAYERS,
        "PLATFORM_DIR": PLATFORM_DIR,
        "BUILD_UID": str(builder.uid),
        "BUILD_GID": str(builder.gid),
        "LOG_LEVEL": config.log_level,
        "CREATION_TIME": config.creation_time,
        "BUILDPACKS": ",".join(config.buildpacks) or None,
        "CACHE_IMAGE": str(config.cache_image) if config.cache_image else None,
        "RUN_IMAGE": str(config.run_image) if config.run_image else None,
        "PREVIOUS_IMAGE": str(config.previous_image) if config.previous_image else None,
        "CNB_PLATFORM_API": builder.platform_api,
        "DOCKER_CONFIG": REGISTRY_SECRET_DIR if config.registry_secret else None,
    }
    mounts = [_pod.workspace_mount(), VolumeMount(name=_pod.LAYERS_VOLUME, mount_path=_pod.LAYERS)]
    volumes = [layers_volume()]
    secret = registry_secret_volume(config)
    if secret is not None:
        volumes.append(secret)
        mounts.append(
            VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)
        )
    # Build env vars travel as NAME VALUE argument pairs: data, never script text.
    pairs = [item for key in sorted(config.env) for item in (key, config.env[key])]
    return Container(
        name=name or _pod.default_name("buildpacks-build", config),
        image=_pod.image(builder.image),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("buildpacks_build.sh"), "buildpacks-build"],
        args=pairs or None,
        env=_pod.env(values),
        inputs=[Parameter(name="image", default=str(config.image))],
        outputs=[Parameter(name=k, value_from=ValueFrom(path=p)) for k, p in BUILD_OUTPUTS.items()],
        volume_mounts=mounts,
        volumes=volumes,
        security_context=_pod.container_security(builder),
        resources=_pod.resources(config.resources.build),
    )
