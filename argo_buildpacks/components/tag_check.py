"""The in-cluster tag check: validates the ``tag`` parameter before any clone or build.

Users submit from the Argo UI or ``argo submit -p tag=...``, bypassing Python, so the
cluster applies `argo_buildpacks.tags.SemverTag`'s rules itself, in POSIX ``sh`` in
a small busybox image (``scripts/tag_check.sh``; tests hold the two in parity).
"""

from __future__ import annotations

from typing import Literal

from hera.workflows import Container, Parameter
from hera.workflows.models import ValueFrom

from argo_buildpacks.components import _pod
from argo_buildpacks.components.scripts import load
from argo_buildpacks.config import Builder, Images, Resources, ResourceSpec, TagPolicy
from argo_buildpacks.images import ImageRef

__all__ = ["TAG_OUTPUTS", "tag_check"]

#: Output parameter -> file written by the script.
TAG_OUTPUTS = {
    "version": f"{_pod.OUT_DIR}/version",
    "oci-tag": f"{_pod.OUT_DIR}/oci-tag",
    "tags": f"{_pod.OUT_DIR}/tags",
}


def tag_check(
    policy: TagPolicy | None = None,
    *,
    builder: Builder,
    image: ImageRef | str | None = None,
    mode: Literal["check", "describe"] = "check",
    name: str | None = None,
    resources: ResourceSpec | None = None,
    out_volume: bool = False,
) -> Container:
    """A container template that validates ``{{inputs.parameters.tag}}`` as SemVer 2.0.0.

    Args:
        policy: floating/latest tags and whether an empty tag may be derived from git.
        builder: the uid/gid the container runs as (the workspace belongs to it).
        image: a busybox image (default: the pinned ``Images().shell``).
        mode: ``check`` validates the submitted tag (run first); ``describe`` derives the
            version from ``describe`` written by ``git_clone(describe=True)`` when the tag is
            empty (run after the clone).
        name: the template/container name (default: ``tag-check-<hash>`` or
            ``version-<hash>`` of the arguments, so different calls never clash).
        resources: requests/limits (default: ``Resources().tag_check``; a CPU limit caps
            what a hostile tag can cost).
        out_volume: write the outputs to the trusted ``out`` volume (the single-pod layout's).

    Inputs: ``tag``. Outputs: ``version``, ``oci-tag``, ``tags`` (comma-separated, main tag
    first). The check exits 1 with one line on stderr for an invalid version.
    """
    policy = policy or TagPolicy()
    outputs = [
        Parameter(name=key, value_from=ValueFrom(path=path)) for key, path in TAG_OUTPUTS.items()
    ]
    if mode == "check" and policy.from_git:
        # An empty tag writes no files yet; the describe step provides them.
        outputs = []
    return Container(
        name=name
        or _pod.default_name("tag-check" if mode == "check" else "version", policy, image, builder),
        image=_pod.image(image or Images().shell),
        image_pull_policy="IfNotPresent",
        command=["/bin/sh", "-c", load("tag_check.sh"), "tag-check", mode],
        env=_pod.env(
            {
                "TAG": "{{inputs.parameters.tag}}",
                "FROM_GIT": _flag(policy.from_git),
                "FLOATING": _flag(policy.floating),
                "LATEST": _flag(policy.latest),
                "ALLOW_UNTAGGED": _flag(policy.allow_untagged),
                "OUT_DIR": _pod.OUT_DIR,
                "DESCRIBE_FILE": f"{_pod.OUT_DIR}/describe" if mode == "describe" else None,
            }
        ),
        inputs=[Parameter(name="tag")],
        outputs=outputs or None,
        volume_mounts=[_pod.workspace_mount(), *([_pod.out_mount()] if out_volume else [])],
        security_context=_pod.container_security(builder),
        resources=_pod.resources(resources or Resources().tag_check),
    )


def _flag(value: bool) -> str:
    return "true" if value else "false"
