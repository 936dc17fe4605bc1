"""The in-cluster tag check: validates the ``tag`` parameter before any clone or build.

Users submit from the Argo UI or ``argo submit -p tag=...``, bypassing Python, so the
cluster applies `argo_buildpacks.model.tags.SemverTag`'s rules itself, in POSIX ``sh`` in
a small busybox image (``scripts/tag_check.sh``; tests hold the two in parity).
"""

from __future__ import annotations

from typing import Literal

from hera.workflows import Container, Parameter
from hera.workflows.models import ValueFrom

from argo_buildpacks.components import _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import (
    BuildConfig,
    Builder,
    Images,
    Resources,
    ResourceSpec,
    TagPolicy,
)
from argo_buildpacks.model.images import ImageRef

__all__ = ["TAG_OUTPUT_NAMES", "tag_check"]

#: The outputs, each a file of the same name in the build's ``out`` directory.
TAG_OUTPUT_NAMES = ("version", "oci-tag", "tags")


def tag_check(
    config: BuildConfig | TagPolicy | None = None,
    *,
    name: str | None = None,
    mode: Literal["check", "describe"] = "check",
    out_volume: bool = False,
    builder: Builder | None = None,
    image: ImageRef | str | None = None,
    resources: ResourceSpec | None = None,
) -> Container:
    """A container template that validates ``{{inputs.parameters.tag}}`` as SemVer 2.0.0.

    Args:
        config: the build: its ``tag`` policy, builder (uid/gid), ``images.shell``,
            ``resources.tag_check`` and executor account; the outputs go to its build's
            ``out`` directory (``/workspace/<config.name>/out``). (A bare
            `argo_buildpacks.model.config.TagPolicy` with ``builder=`` still works, on
            ``/workspace/out``, for callers of the older signature.)
        name: the template/container name (default: ``tag-check``, or ``version`` for
            ``mode="describe"``).
        mode: ``check`` validates the submitted tag (run first); ``describe`` derives the
            version from ``describe`` written by ``git_clone(config, describe=True)`` when
            the tag is empty (run after the clone).
        out_volume: mount the trusted ``out`` volume over the outputs directory (the
            single-pod layout's).
        builder: overrides the config's builder (the uid/gid the container runs as).
        image: overrides ``config.images.shell``.
        resources: override ``config.resources.tag_check`` (a CPU limit caps what a hostile
            tag can cost).

    Inputs: ``tag``. Outputs: ``version``, ``oci-tag``, ``tags`` (comma-separated, main tag
    first). The check exits 1 with one line on stderr for an invalid version. Tag checking
    fails only on bad input, so ``retries`` do not apply; ``log_level`` neither (its one line
    is the error).

    Raises:
        ConfigError: no config and no ``builder``.
    """
    if isinstance(config, BuildConfig):
        policy = config.tag
        builder = builder or config.builder
        image = image or config.images.shell
        resources = resources or config.resources.tag_check
        paths = _pod.build_paths(config)
        cfg: BuildConfig | None = config
    else:
        policy = config or TagPolicy()
        if builder is None:
            raise ConfigError("tag_check needs a BuildConfig (or builder= with a TagPolicy)")
        paths = _pod.BuildPaths(_pod.WORKSPACE)
        cfg = None
    outputs = [
        Parameter(name=key, value_from=ValueFrom(path=f"{paths.out}/{key}"))
        for key in TAG_OUTPUT_NAMES
    ]
    if mode == "check" and policy.from_git:
        # An empty tag writes no files yet; the describe step provides them.
        outputs = []
    return Container(
        name=name or ("tag-check" if mode == "check" else "version"),
        image=_pod.image(image or Images().shell),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("tag_check.sh", mode), "tag-check", mode],
        env=_pod.env(
            {
                "TAG": "{{inputs.parameters.tag}}",
                "FROM_GIT": _flag(policy.from_git),
                "FLOATING": _flag(policy.floating),
                "LATEST": _flag(policy.latest),
                "ALLOW_UNTAGGED": _flag(policy.allow_untagged),
                "OUT_DIR": paths.out,
                "DESCRIBE_FILE": f"{paths.out}/describe" if mode == "describe" else None,
            }
        ),
        inputs=[Parameter(name="tag")],
        outputs=outputs or None,
        volume_mounts=[_pod.workspace_mount(), *([_pod.out_mount(paths)] if out_volume else [])],
        security_context=_pod.container_security(builder),
        resources=_pod.resources(resources or Resources().tag_check),
        **_pod.template_pod(builder, cfg),
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"
