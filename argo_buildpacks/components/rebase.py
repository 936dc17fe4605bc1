"""Keep a pushed image patched: rebase it onto the current run image, or rebuild it.

`rebase` is a containerSet of two containers, neither of which runs app code, both with
the registry credential (``registry_secret``), running ``scripts/rebase.sh PHASE``:

- ``inspect`` (``config.images.crane``): reads the image ``IMAGE:TAG``, what its own
  buildpacks metadata says it was built on (the ``io.buildpacks.lifecycle.metadata``
  label's ``runImage.topLayer`` and ``runImage.image``, the buildpacks in
  ``io.buildpacks.build.metadata``, the commit in ``io.buildpacks.project.metadata``), the
  run image's current top layer and the configured builder's buildpacks, and decides:
  ``rebuild`` (the builder lacks a buildpack the image was built with, or the configured
  run image is another image), ``rebase`` (the run image's top layer changed) or
  ``unchanged`` (a no-op that says so).
- ``main`` (the builder image): runs the lifecycle's ``rebaser`` when inspect said rebase.

Tag policy (as kpack): the rebase moves ``TAG`` (``rebase.tag``, default ``latest``) to the
patched image and also pushes ``TAG-rebased.<UTC yyyymmddThhmmssZ>``, an immutable record
of every rebase. Outputs: ``action`` (``rebased``, ``unchanged``, ``rebuild``), ``reason``,
``old-digest``, ``new-digest`` (empty for a rebuild: the build's run has it).

`rebuild` starts a Workflow from the app's own WorkflowTemplate at the commit the image was
built from. `argo_buildpacks.templates.rebase` puts both into a WorkflowTemplate.
"""

from __future__ import annotations

import json

from hera.workflows import (
    ContainerSet,
    Parameter,
)
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import (
    EmptyDirVolumeSource,
    EnvVar,
    Outputs,
    ResourceTemplate,
    Template,
    ValueFrom,
    Volume,
    VolumeMount,
)
from hera.workflows.models import Parameter as ModelParameter

from argo_buildpacks.components import _ca, _pod
from argo_buildpacks.components.buildpacks_build import (
    REGISTRY_SECRET_DIR,
    REGISTRY_SECRET_VOLUME,
    registry_secret_volume,
)
from argo_buildpacks.components.scripts import load
from argo_buildpacks.components.sign import PUBLIC_KEY_PATH, public_key_mount, public_key_volume
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig

__all__ = [
    "ACTIONS",
    "REBASE_OUTPUT_NAMES",
    "check_config",
    "rebase",
    "rebase_service_account",
    "rebase_template_name",
    "rebuild",
]

#: What a rebase did: the ``action`` output's values.
ACTIONS = ("rebased", "unchanged", "rebuild")
#: The rebase's outputs, each a file of the same name in the ``out`` volume.
REBASE_OUTPUT_NAMES = ("action", "reason", "old-digest", "new-digest")
# Also global: what the deploy step reads (digest, image) and what the rebuild builds.
_GLOBAL_ONLY = ("digest", "image", "rebuild-tag", "rebuild-revision")
_API = "argoproj.io/v1alpha1"


def check_config(config: BuildConfig) -> BuildConfig:
    """``config``, or `ConfigError` when it is not a `BuildConfig`."""
    if not isinstance(config, BuildConfig):
        raise ConfigError(
            f"rebase: config must be a BuildConfig, not {type(config).__name__} "
            "(for a file use BuildConfig.from_file(...))"
        )
    return config


def rebase_template_name(config: BuildConfig) -> str:
    """``<name>-rebase`` (the app's name shortened to keep it a 63-character name)."""
    return f"{config.name[:56].rstrip('-')}-rebase"


def rebase_service_account(config: BuildConfig) -> str:
    """The ServiceAccount of the rebuild step (``<name>-rebase``): it may create Workflows
    from the app's WorkflowTemplate and nothing else (`argo_buildpacks.templates.rbac`)."""
    return f"{config.name[:56].rstrip('-')}-rebase"


def rebase(config: BuildConfig, *, name: str | None = None) -> ContainerSet:
    """The rebase of ``config.image:<tag>`` as a self-contained containerSet template.

    Args:
        config: the app (image, builder, run image, registry Secret, uid/gid, log level).
        name: the template name (default ``rebase-<config.name>``).

    Input: ``tag`` (default ``rebase.tag`` or ``latest``), checked again in the cluster (an
    OCI tag short enough for the ``-rebased.<timestamp>`` suffix). Outputs:
    ``REBASE_OUTPUT_NAMES`` (global too, with ``digest`` and ``image`` for the deploy step
    and ``rebuild-tag``/``rebuild-revision`` for the rebuild). The image is the configured
    one, literal: a run cannot point the rebase (and its credential) at another.
    """
    config = check_config(config)
    builder = config.builder
    paths = _pod.build_paths(config)
    secret = registry_secret_volume(config)
    mounts = [_pod.out_mount(paths)]
    common = {
        "IMAGE": config.image.name,
        "TAG": "{{inputs.parameters.tag}}",
        "OUT_DIR": paths.out,
        "LOG_LEVEL": config.log_level,
    }
    if secret is not None:
        common["DOCKER_CONFIG"] = REGISTRY_SECRET_DIR
        mounts.append(
            VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)
        )
    # The private CA and insecure registries (components/_ca.py), for every container here.
    common.update(_ca.registry_env(config))
    mounts += _ca.registry_mounts(config)
    inspect_env = {
        **common,
        "BUILDER": str(builder.image),
        "RUN_IMAGE": str(config.run_image) if config.run_image else None,
        "REVISION": config.source.revision,
        "HOME": paths.out,
    }
    rebase_env = {
        **common,
        **_ca.registry_env(config, lifecycle=True),
        "BUILD_UID": str(builder.uid),
        "BUILD_GID": str(builder.gid),
        "CNB_PLATFORM_API": builder.platform_api,
    }
    script = load("rebase.sh")
    security = _pod.container_security(builder)
    resources = _pod.resources(config.resources.build)
    volumes = [Volume(name=_pod.OUT_VOLUME, empty_dir=EmptyDirVolumeSource())]
    first: list[ModelContainerNode] = []
    if config.sign is not None:
        # With sign configured, nothing of the image is trusted before its signature is:
        # verify (the cosign image, the public key only) runs first and inspect reads only
        # the digest it verified.
        inspect_env["VERIFIED"] = "true"
        volumes.append(public_key_volume(config))
        first.append(
            ModelContainerNode(
                name="verify",
                image=config.sign.image,
                image_pull_policy="IfNotPresent",
                command=["/bin/sh", "-c", script, "rebase", "verify"],
                env=[
                    EnvVar(name=k, value=v)
                    for k, v in {
                        **common,
                        "COSIGN_PUBLIC_KEY": PUBLIC_KEY_PATH,
                        "TLOG_UPLOAD": "true" if config.sign.tlog_upload else "false",
                        "HOME": paths.out,
                        "TMPDIR": paths.out,
                    }.items()
                    if v is not None
                ],
                volume_mounts=[*mounts, public_key_mount()],
                security_context=security,
                resources=resources,
            )
        )
    inspect = ModelContainerNode(
        name="inspect",
        image=str(config.images.crane),
        image_pull_policy="IfNotPresent",
        # The crane debug image's busybox shell.
        command=["/busybox/sh", "-c", script, "rebase", "inspect"],
        env=[EnvVar(name=k, value=v) for k, v in inspect_env.items() if v is not None],
        volume_mounts=mounts,
        security_context=security,
        resources=resources,
        dependencies=[c.name for c in first] or None,
    )
    rebaser = ModelContainerNode(
        # Argo saves containerSet outputs from the container named "main".
        name="main",
        image=_pod.image(builder.image),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", script, "rebase", "rebase"],
        env=[EnvVar(name=k, value=v) for k, v in rebase_env.items() if v is not None],
        volume_mounts=mounts,
        security_context=security,
        resources=resources,
        dependencies=["inspect"],
    )
    if secret is not None:
        volumes.append(secret)
    volumes += _ca.registry_volumes(config)
    default_tag = config.rebase.tag if config.rebase else "latest"
    return ContainerSet(
        name=name or f"rebase-{config.name}",
        containers=[*first, inspect, rebaser],
        volumes=volumes,
        inputs=[Parameter(name="tag", default=default_tag)],
        outputs=[
            Parameter(
                name=k,
                value_from=ValueFrom(path=f"{paths.out}/{k}", default=""),
                global_name=k,
            )
            for k in (*REBASE_OUTPUT_NAMES, *_GLOBAL_ONLY)
        ],
        **_pod.template_pod(builder, config),
    )


def rebuild(config: BuildConfig, *, name: str = "rebuild") -> Template:
    """Run the app's own WorkflowTemplate (``config.name``) as a Workflow of its own, with
    the version and commit the rebase's inspection found (its global outputs
    ``rebuild-tag`` and ``rebuild-revision``, written by a trusted container: a submitter
    who starts the run here has none to give), and wait for it. That build deploys itself.

    Output: ``digest`` (the rebuilt image's, as the global ``new-digest``). Runs under
    `rebase_service_account`, the only container of the rebase with an API token.
    """
    config = check_config(config)
    manifest = {
        "apiVersion": _API,
        "kind": "Workflow",
        "metadata": {
            "generateName": f"{config.name[:50].rstrip('-')}-rebuild-",
            "namespace": config.namespace,
            "labels": {"argo-buildpacks.io/app": config.name},
        },
        "spec": {
            "workflowTemplateRef": {"name": config.name},
            "arguments": {
                "parameters": [
                    {"name": "tag", "value": "{{workflow.outputs.parameters.rebuild-tag}}"},
                    {
                        "name": "revision",
                        "value": "{{workflow.outputs.parameters.rebuild-revision}}",
                    },
                ]
            },
        },
    }
    return Template(
        name=name,
        resource=ResourceTemplate(
            action="create",
            manifest=json.dumps(manifest, indent=2, sort_keys=True),
            set_owner_reference=True,
            success_condition="status.phase == Succeeded",
            failure_condition="status.phase in (Failed, Error)",
        ),
        outputs=Outputs(
            parameters=[
                ModelParameter(
                    name="digest",
                    value_from=ValueFrom(
                        json_path='{.status.outputs.parameters[?(@.name=="digest")].value}'
                    ),
                    global_name="new-digest",
                )
            ]
        ),
        service_account_name=rebase_service_account(config),
        automount_service_account_token=True,
    )
