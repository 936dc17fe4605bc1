"""Sign the pushed digest and attest its SBOMs with cosign: a step after the push.

``scripts/sign.sh`` runs in the cosign image (``sign.image``, a release with a busybox
shell) in a pod of its own that runs no app code. What it signs is never an input: the
digest and the pushed image are the build's workflow outputs (``digest``, ``image``), the
repository is the configured one (literal), and the script refuses anything but
``IMAGE@sha256:<64 hex>`` of that repository before cosign runs. The cosign key comes from
``sign.cosign_key_secret`` (literal: fixed when the template is installed), mounted in this
container only; the registry credential (``registry_secret``, to push the signatures) is
mounted here and in the registry phases of the build only.

With ``sbom: true`` the step takes the export's ``sbom`` artifact and attests each
CycloneDX (``--type cyclonedx``) and SPDX (``--type spdxjson``) file to the digest.
`add_sign` inserts the step after the push (and before a deploy, so an admission policy
that requires the signature admits the new digest).
"""

from __future__ import annotations

from typing import Any

from hera.workflows import ClusterWorkflowTemplate, WorkflowTemplate
from hera.workflows.models import (
    Arguments,
    Artifact,
    EmptyDirVolumeSource,
    Inputs,
    KeyToPath,
    ParallelSteps,
    SecretVolumeSource,
    Template,
    Volume,
    VolumeMount,
    WorkflowStep,
)

from argo_buildpacks.components.buildpacks_build import (
    SBOM_ARTIFACT,
    registry_access,
)
from argo_buildpacks.components.deploy import script_pod
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig

__all__ = [
    "COSIGN_SECRET_DIR",
    "PUBLIC_KEY_PATH",
    "SBOM_INPUT_DIR",
    "add_sign",
    "public_key_mount",
    "public_key_volume",
    "rebase_sign_template",
    "sign_template",
]

COSIGN_SECRET_DIR = "/var/run/secrets/argo-buildpacks/cosign"
#: Where the sign step finds the export's ``sbom`` artifact.
SBOM_INPUT_DIR = "/var/run/argo-buildpacks/sbom"
_COSIGN_VOLUME = "cosign-key"
_TMP_DIR = "/tmp"  # noqa: S108 - an emptyDir private to the pod (read-only root filesystem)
# The build's workflow outputs (globalName), never inputs: a run started at the sign template
# (--entrypoint sign) has no build outputs, so it cannot choose what is signed.
_DIGEST = "{{workflow.outputs.parameters.digest}}"
_BUILT = "{{workflow.outputs.parameters.image}}"


def sign_template(config: BuildConfig, *, name: str = "sign") -> Template:
    """The signing template for ``config`` (which must have ``sign``).

    Raises:
        ConfigError: ``config.sign`` is not set.
    """
    sign = config.sign
    if sign is None:
        raise ConfigError(f"config {config.name!r} has no sign section")
    values = {
        "IMAGE": config.image.name,
        "DIGEST": _DIGEST,
        "BUILT": _BUILT,
        "COSIGN_KEY": f"{COSIGN_SECRET_DIR}/cosign.key",
        "COSIGN_PASSWORD_FILE": f"{COSIGN_SECRET_DIR}/cosign.password",
        "TLOG_UPLOAD": "true" if sign.tlog_upload else "false",
        "HOME": _TMP_DIR,
        "TMPDIR": _TMP_DIR,
    }
    mounts = [
        VolumeMount(name="tmp", mount_path=_TMP_DIR),
        VolumeMount(name=_COSIGN_VOLUME, mount_path=COSIGN_SECRET_DIR, read_only=True),
    ]
    volumes = [
        Volume(name="tmp", empty_dir=EmptyDirVolumeSource()),
        Volume(
            name=_COSIGN_VOLUME,
            secret=SecretVolumeSource(
                secret_name=sign.cosign_key_secret,
                items=[
                    KeyToPath(key=sign.key, path="cosign.key"),
                    KeyToPath(key=sign.password_key, path="cosign.password"),
                ],
                default_mode=0o440,
            ),
        ),
    ]
    env, access_volumes, access_mounts = registry_access(config)
    values.update(env)
    volumes += access_volumes
    mounts += access_mounts
    inputs = None
    if config.sbom:
        values["SBOM_DIR"] = SBOM_INPUT_DIR
        inputs = Inputs(artifacts=[Artifact(name=SBOM_ARTIFACT, path=SBOM_INPUT_DIR)])
    return script_pod(
        config,
        name=name,
        image=sign.image,
        script="sign.sh",
        values=values,
        mounts=mounts,
        volumes=volumes,
        deadline=600,
        inputs=inputs,
    )


def add_sign(
    template: WorkflowTemplate | ClusterWorkflowTemplate, config: BuildConfig
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """Append the ``sign`` step (after the push: ``export`` in the steps layout, else
    ``build``) and its template when ``config.sign`` is set; return ``template`` (changed
    in place). Call it before `argo_buildpacks.components.deploy.add_deploy`, so the
    deploy follows the signature.

    Raises:
        ConfigError: ``template`` has no ``main`` steps template with a ``build`` step.
    """
    if config.sign is None:
        return template
    sign = sign_template(config)
    templates: list[Any] = list(template.templates or [])
    main = next((t for t in templates if getattr(t, "name", None) == "main"), None)
    steps = getattr(main, "steps", None)
    names = [s.name for group in steps or [] for s in getattr(group, "root", group)]
    if steps is None or "build" not in names:
        raise ConfigError("sign needs a 'main' steps template with a 'build' step")
    push = "export" if "export" in names else "build"
    arguments = None
    if config.sbom:
        # From the push step's output, set by the installed main template: not a run input.
        source = "{{steps." + push + ".outputs.artifacts." + SBOM_ARTIFACT + "}}"
        arguments = Arguments(artifacts=[Artifact(name=SBOM_ARTIFACT, from_=source)])
    steps.append(
        ParallelSteps(root=[WorkflowStep(name="sign", template=sign.name, arguments=arguments)])
    )
    templates.append(sign)
    template.templates = templates
    return template


# --- the rebase's side: verify before trusting an image, sign the rebased digest ----------

#: Where the rebase's verify container finds the cosign public key (and nothing else).
PUBLIC_KEY_DIR = "/var/run/secrets/argo-buildpacks/cosign-public"
PUBLIC_KEY_PATH = f"{PUBLIC_KEY_DIR}/cosign.pub"
_PUBLIC_VOLUME = "cosign-public-key"
# What the rebase template's rebase step publishes (globalName): the digest it pushed and
# the tag it moved. Never inputs, so a run started at the sign step signs nothing.
_REBASED_DIGEST = "{{workflow.outputs.parameters.digest}}"
_REBASED_IMAGE = "{{workflow.outputs.parameters.image}}"


def public_key_volume(config: BuildConfig) -> Volume:
    """The ``sign.cosign_key_secret`` Secret with only its public key (``sign.public_key``)
    projected: the private key and its password never reach a verifying container.

    Raises:
        ConfigError: ``config.sign`` is not set.
    """
    if config.sign is None:
        raise ConfigError(f"config {config.name!r} has no sign section")
    return Volume(
        name=_PUBLIC_VOLUME,
        secret=SecretVolumeSource(
            secret_name=config.sign.cosign_key_secret,
            items=[KeyToPath(key=config.sign.public_key, path="cosign.pub")],
            default_mode=0o440,
        ),
    )


def public_key_mount() -> VolumeMount:
    """The mount of `public_key_volume` at ``PUBLIC_KEY_DIR`` (read-only)."""
    return VolumeMount(name=_PUBLIC_VOLUME, mount_path=PUBLIC_KEY_DIR, read_only=True)


def rebase_sign_template(config: BuildConfig, *, name: str = "sign") -> Template:
    """The signing step of the rebase template: `sign_template` (no SBOM: the rebaser makes
    none) signing the digest the rebase pushed and the tag it moved, both the rebase step's
    workflow outputs, so the deploy after it rolls out a signed digest.

    Raises:
        ConfigError: ``config.sign`` is not set.
    """
    template = sign_template(config.model_copy(update={"sbom": False}), name=name)
    pinned = {"DIGEST": _REBASED_DIGEST, "BUILT": _REBASED_IMAGE}
    container = template.container
    if container is None or not {e.name for e in container.env or []} >= set(pinned):
        raise ConfigError("the sign template has no DIGEST and BUILT to point at the rebase")
    for env in container.env or []:
        if env.name in pinned:
            env.value = pinned[env.name]
    return template
