"""The run's outputs, read back from the registry by a trusted step after the build.

A build pod runs the app's code, and every container of an Argo pod can write
``/var/run/argo``: the emissary of the container named ``main`` copies each output there
(``/var/run/argo/outputs/parameters/<path>``) and the wait container reads it once every
container's ``/var/run/argo/ctr/<name>/exitcode`` exists (argoexec v4.1.2,
``cmd/argoexec/commands/emissary.go`` lines 65, 285-290, 741; ``workflow/executor/executor.go``
SaveParameters; ``workflow/executor/emissary/emissary.go`` GetFileContents and Wait). So the
app's code can write the outputs, and the exit codes that order the containers, itself. What
the build reports is therefore only a *claim*.

`provenance_template` turns the claim into the run's outputs in a pod of its own, which runs
no app code: ``scripts/provenance.sh`` in the crane image (``config.images.crane``) with the
registry credential read-only resolves the claimed tag, refuses unless the image's project
metadata names this workflow's uid (``{{workflow.uid}}``, which the export records), checks
that the claimed digest and every claimed tag resolve to that image, and alone publishes the
workflow outputs ``image``, ``digest``, ``tags`` and ``commit`` (``globalName``) that deploy,
sign and the run's status read.
"""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows.models import (
    EmptyDirVolumeSource,
    Inputs,
    Outputs,
    Parameter,
    Template,
    ValueFrom,
    Volume,
    VolumeMount,
)

from argo_buildpacks.components import _pod
from argo_buildpacks.components.buildpacks_build import (
    RUN_ID,
    registry_access,
)
from argo_buildpacks.components.deploy import script_pod
from argo_buildpacks.model.config import BuildConfig

__all__ = [
    "CLAIMS",
    "PROVENANCE_OUTPUTS",
    "PROVENANCE_TEMPLATE",
    "provenance_template",
]

#: The template's name in generated workflows (and in the library).
PROVENANCE_TEMPLATE = "provenance"
#: What it publishes, each a workflow output (``globalName``) of the same name.
PROVENANCE_OUTPUTS = ("image", "digest", "tags", "commit")
#: Its inputs: what the build claims, by output name -> input name.
CLAIMS = {name: f"claimed-{name}" for name in PROVENANCE_OUTPUTS}
_TMP_DIR = "/tmp"  # noqa: S108 - an emptyDir private to the pod (read-only root filesystem)
_OUT_DIR = f"{_TMP_DIR}/out"


def provenance_template(
    config: BuildConfig,
    *,
    name: str = PROVENANCE_TEMPLATE,
    check_run: bool | None = None,
    image_prefixes: Sequence[str] = (),
) -> Template:
    """The provenance step for ``config``'s image.

    Args:
        config: the build (image, registry Secret, crane image).
        name: the template name.
        check_run: require the image to name this workflow's uid (default: for the
            daemonless mode, whose export records it; the ``pack-*`` modes cannot, and share
            a daemon between app code and credential anyway: docs/security.md).
        image_prefixes: registries the repository must be under (library mode).

    Inputs: ``claimed-image``, ``claimed-tags``, ``claimed-digest`` and ``claimed-commit``
    (the last two may be empty: not compared), and ``image`` (the repository) when the config
    lets a run override it; otherwise the repository is literal. Outputs: ``image``,
    ``digest``, ``tags``, ``commit``, each also a workflow output.
    """
    if check_run is None:
        check_run = config.mode == "daemonless"
    overridable = "image" in config.overridable
    values = {
        "IMAGE": "{{inputs.parameters.image}}" if overridable else config.image.name,
        "RUN_ID": RUN_ID if check_run else "",
        **{
            f"CLAIMED_{key.upper()}": "{{inputs.parameters." + claim + "}}"
            for key, claim in CLAIMS.items()
        },
        "OUT_DIR": _OUT_DIR,
        "HOME": _TMP_DIR,
    }
    if image_prefixes:
        values["IMAGE_PREFIXES"] = "\n".join(image_prefixes)
    mounts = [VolumeMount(name="tmp", mount_path=_TMP_DIR)]
    volumes = [Volume(name="tmp", empty_dir=EmptyDirVolumeSource())]
    env, access_volumes, access_mounts = registry_access(config)
    values.update(env)
    volumes += access_volumes
    mounts += access_mounts
    claims = [
        Parameter(name=CLAIMS["image"]),
        Parameter(name=CLAIMS["tags"]),
        Parameter(name=CLAIMS["digest"], default=""),
        Parameter(name=CLAIMS["commit"], default=""),
    ]
    template = script_pod(
        config,
        name=name,
        image=str(config.images.crane),
        script="provenance.sh",
        values=values,
        mounts=mounts,
        volumes=volumes,
        deadline=300,
        inputs=Inputs(parameters=[*([Parameter(name="image")] if overridable else []), *claims]),
        # The crane debug image's busybox shell.
        interpreter="/busybox/sh",
    )
    template.outputs = Outputs(
        parameters=[
            Parameter(name=k, value_from=ValueFrom(path=f"{_OUT_DIR}/{k}"), global_name=k)
            for k in PROVENANCE_OUTPUTS
        ]
    )
    if config.executor_security == "patch":
        # Self-contained, like the build's templates: Argo's own init and wait restricted.
        template.pod_spec_patch = _pod.executor_patch()
    return template
