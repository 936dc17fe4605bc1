"""What every component shares: workspace paths, pod security and resources.

Paths are fixed by the library (never user input). The security settings are the Kubernetes
Pod Security Standard "restricted": a non-root uid/gid, no privilege escalation, no
capabilities, the runtime's default seccomp profile.
"""

from __future__ import annotations

from hera.workflows import Container, ContainerNode, Env
from hera.workflows.models import (
    Capabilities,
    PodSecurityContext,
    ResourceRequirements,
    SeccompProfile,
    SecurityContext,
    VolumeMount,
)
from pydantic import BaseModel

from argo_buildpacks.config import Builder, ResourceSpec
from argo_buildpacks.images import ImageRef

__all__ = [
    "LAYERS",
    "OUT_DIR",
    "OUT_VOLUME",
    "WORKSPACE",
    "WORKSPACE_VOLUME",
    "as_node",
    "container_security",
    "default_name",
    "env",
    "executor_patch",
    "out_mount",
    "pod_security",
    "resources",
    "workspace_mount",
]

WORKSPACE = "/workspace"
OUT_DIR = f"{WORKSPACE}/out"
LAYERS = "/layers"
WORKSPACE_VOLUME = "workspace"
LAYERS_VOLUME = "layers"
#: Provenance (tags, commit, image, digest): a volume of its own in the single-pod layout,
#: mounted only in the containers that run no app code, so the build cannot forge them.
OUT_VOLUME = "out"


def container_security(builder: Builder) -> SecurityContext:
    """The restricted container security context, running as the builder's uid/gid."""
    return SecurityContext(
        run_as_user=builder.uid,
        run_as_group=builder.gid,
        run_as_non_root=True,
        allow_privilege_escalation=False,
        capabilities=Capabilities(drop=["ALL"]),
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def pod_security(builder: Builder, *, non_root: bool = True) -> PodSecurityContext:
    """The pod security context: ``fsGroup`` makes emptyDir, PVC and Secret volumes usable
    by the builder's group without any root step."""
    return PodSecurityContext(
        run_as_user=builder.uid if non_root else None,
        run_as_group=builder.gid if non_root else None,
        run_as_non_root=True if non_root else None,
        fs_group=builder.gid,
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def resources(spec: ResourceSpec) -> ResourceRequirements | None:
    """Kubernetes resource requirements, or ``None`` when nothing is set."""
    if not spec.requests and not spec.limits:
        return None
    return ResourceRequirements(
        requests=dict(spec.requests) or None,
        limits=dict(spec.limits) or None,
    )


def workspace_mount() -> VolumeMount:
    """The shared workspace (source, outputs, platform dir)."""
    return VolumeMount(name=WORKSPACE_VOLUME, mount_path=WORKSPACE)


def out_mount() -> VolumeMount:
    """The trusted outputs directory, over ``/workspace/out``."""
    return VolumeMount(name=OUT_VOLUME, mount_path=OUT_DIR)


def executor_patch() -> str:
    """A ``podSpecPatch`` that gives Argo's own ``init`` and ``wait`` containers the
    restricted container securityContext the controller does not set by default (the pod's
    securityContext already makes them non-root with the default seccomp profile)."""
    import json

    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return json.dumps(
        {
            "initContainers": [{"name": "init", "securityContext": restricted}],
            "containers": [{"name": "wait", "securityContext": restricted}],
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def env(values: dict[str, str | None]) -> list[Env]:
    """Environment variables in a stable order, skipping ``None``."""
    return [Env(name=k, value=v) for k, v in values.items() if v is not None]


def default_name(prefix: str, *parts: object) -> str:
    """``prefix-<7 hex>`` from what the template does: two factory calls that differ get
    different names (no accidental clash in one workflow), equal calls the same one."""
    import hashlib
    import json

    blob = json.dumps(
        [p.model_dump(mode="json") if isinstance(p, BaseModel) else str(p) for p in parts],
        sort_keys=True,
        default=str,
    )
    return f"{prefix}-{hashlib.sha256(blob.encode()).hexdigest()[:7]}"


def image(ref: ImageRef | str) -> str:
    """An image reference as the string Kubernetes wants."""
    return str(ref)


def as_node(
    container: Container, *, name: str | None = None, dependencies: list[str] | None = None
) -> ContainerNode:
    """The same container as a node of an Argo ``containerSet`` (one pod, many containers).

    Inputs and outputs belong to the containerSet template, so they are not copied: declare
    the container's ``inputs``/``outputs`` there (``workflow_template`` does).
    """
    return ContainerNode(
        name=name or container.name or "main",
        image=container.image,
        image_pull_policy=container.image_pull_policy,
        command=container.command,
        args=container.args,
        env=container.env,
        volume_mounts=container.volume_mounts,
        resources=container.resources,
        security_context=container.security_context,
        working_dir=container.working_dir,
        dependencies=dependencies,
    )
