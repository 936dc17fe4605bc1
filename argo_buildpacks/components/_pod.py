"""What every component shares: workspace paths, pod security and resources.

Paths are fixed by the library (never user input). The security settings are the Kubernetes
Pod Security Standard "restricted": a non-root uid/gid, no privilege escalation, no
capabilities, the runtime's default seccomp profile.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hera.workflows import Container, ContainerNode, ContainerSet, Env, Script
from hera.workflows.models import (
    Capabilities,
    ExecutorConfig,
    PodSecurityContext,
    ResourceRequirements,
    SeccompProfile,
    SecurityContext,
    VolumeMount,
)
from hera.workflows.models import ContainerNode as ModelContainerNode
from hera.workflows.models import Template as ModelTemplate

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig, Builder, ResourceSpec
from argo_buildpacks.model.images import ImageRef

__all__ = [
    "LAYERS",
    "OUT_VOLUME",
    "WORKSPACE",
    "WORKSPACE_VOLUME",
    "BuildPaths",
    "as_node",
    "as_nodes",
    "build_paths",
    "container_security",
    "default_executor_account",
    "env",
    "executor_account",
    "executor_patch",
    "out_mount",
    "pod_security",
    "resources",
    "restrict_executors",
    "template_pod",
    "template_security",
    "workspace_mount",
]

WORKSPACE = "/workspace"
LAYERS = "/layers"
WORKSPACE_VOLUME = "workspace"
LAYERS_VOLUME = "layers"
#: Provenance (tags, commit, image, digest): a volume of its own in the single-pod layout,
#: mounted only in the containers that run no app code, so the build cannot forge them.
OUT_VOLUME = "out"


@dataclass(frozen=True)
class BuildPaths:
    """One build's directories on the shared workspace, all under `root`
    (``/workspace/<config name>``): two builds in one workflow never share a directory, so
    neither reads the other's platform env nor removes the other's outputs.

    The scripts derive every path from ``WORKSPACE`` (this `root`), so a container of
    your own finds the clone at `src`.
    """

    root: str

    @property
    def src(self) -> str:
        """The clone (``git_clone`` writes it; the build reads ``src/<subpath>``)."""
        return f"{self.root}/src"

    @property
    def out(self) -> str:
        """Outputs (tags, commit, image, digest): the trusted ``out`` volume where one is
        mounted over it."""
        return f"{self.root}/out"

    @property
    def platform(self) -> str:
        """The lifecycle's platform directory (``env/``, ``order.toml``)."""
        return f"{self.root}/platform"

    @property
    def layers(self) -> str:
        """The lifecycle's layers when they live on the workspace (the steps layout)."""
        return f"{self.root}/layers"

    @property
    def pack(self) -> str:
        """``pack``'s report directory (the pack modes)."""
        return f"{self.root}/pack"

    @property
    def pack_home(self) -> str:
        """An empty ``PACK_HOME`` (the pack modes)."""
        return f"{self.root}/.pack"


def build_paths(config: BuildConfig) -> BuildPaths:
    """The directories of ``config``'s build: ``/workspace/<config.name>/...``.

    Every component made from one config uses the same ones (the clone writes where the
    build reads); configs with different names never meet.
    """
    return BuildPaths(f"{WORKSPACE}/{config.name}")


def template_security(builder: Builder, *, non_root: bool = True) -> PodSecurityContext:
    """The pod securityContext a component template carries itself (``fsGroup`` makes the
    0440 Secret volumes and the workspace readable by the builder's group), so it runs the
    same inside any workflow and when called by ``templateRef``."""
    return pod_security(builder, non_root=non_root)


def executor_account(config: BuildConfig) -> str:
    """The ServiceAccount of Argo's executor containers (the only ones with a token):
    ``executor_service_account``, else ``service_account``, else `default_executor_account`
    (rendered by `argo_buildpacks.templates.rbac`). Never ``default``: the executor's Role
    may create and patch WorkflowTaskResults, and every pod of the namespace that
    automounts ``default`` would hold it."""
    return (
        config.executor_service_account
        or config.service_account
        or default_executor_account(config)
    )


def default_executor_account(config: BuildConfig) -> str:
    """``<name>-executor``: the app's own executor account, named like its executor Role.
    One per app (not one per namespace), so each app's objects are its own to apply,
    label and delete."""
    return f"{config.name}-executor"


def template_pod(
    builder: Builder, config: BuildConfig | None = None, *, non_root: bool = True
) -> dict[str, Any]:
    """The pod-level fields every component template carries itself, as keyword arguments
    of a Hera template: the pod securityContext, no service-account token, the executor's
    own account and (``executor_security: patch``) the ``podSpecPatch`` that restricts
    Argo's init and wait containers. Without a config: the ``default`` executor account."""
    fields: dict[str, Any] = {
        "pod_security_context": template_security(builder, non_root=non_root),
        "automount_service_account_token": False,
        "executor": ExecutorConfig(
            service_account_name=executor_account(config) if config else "default"
        ),
    }
    if config is None or config.executor_security == "patch":
        # The pack modes' pods set no uid: init and wait need the builder's (`executor_patch`).
        fields["pod_spec_patch"] = executor_patch(None if non_root else builder)
    return fields


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
    """The shared workspace (every build's source, outputs, platform dir)."""
    return VolumeMount(name=WORKSPACE_VOLUME, mount_path=WORKSPACE)


def out_mount(paths: BuildPaths) -> VolumeMount:
    """The trusted outputs directory, over the build's ``out`` directory."""
    return VolumeMount(name=OUT_VOLUME, mount_path=paths.out)


def executor_patch(builder: Builder | None = None) -> str:
    """A ``podSpecPatch`` that gives Argo's own ``init`` and ``wait`` containers the
    restricted container securityContext the controller does not set by default.

    It names only ``init`` and ``wait``, so it belongs on container, script and containerSet
    templates alone (`restrict_executors`): a resource or data pod has no ``wait`` (Argo
    v4.1.2 ``workflow/controller/workflowpod.go`` 537-546; v3.6.19: 242), and a patch naming a
    container the pod lacks appends one without an image, which the API server refuses.
    Argo restricts a resource pod's own containers itself (``common.MinimalCtrSC``,
    workflowpod.go 1289-1296). With ``builder``, init and wait run as its uid/gid: the
    default ``argoexec`` image runs as root (its Dockerfile sets no ``USER``), so
    ``runAsNonRoot`` without a uid, where the pod sets none (the pack modes), makes the
    kubelet refuse to start init. Give ``builder`` only there: where the pod sets a uid, init
    and wait keep it, as they always did.
    """
    import json

    restricted: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if builder is not None:
        restricted.update(runAsUser=builder.uid, runAsGroup=builder.gid)
    return json.dumps(
        {
            "initContainers": [{"name": "init", "securityContext": restricted}],
            "containers": [{"name": "wait", "securityContext": restricted}],
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def restrict_executors(templates: Iterable[Any], config: BuildConfig) -> None:
    """Give each container, script and containerSet template among ``templates`` (Hera
    objects) that has no ``podSpecPatch`` the `executor_patch` of ``config`` (with
    ``executor_security: patch``); other templates get none (their pods have no ``wait``).
    Changes them in place."""
    if config.executor_security != "patch":
        return
    for template in templates:
        if not _has_init_and_wait(template) or getattr(template, "pod_spec_patch", None):
            continue
        # The pod runs as the template's uid, else the workflow's (the builder's, except in
        # the pack modes, whose pods set none).
        own = getattr(template, "pod_security_context", None) or getattr(
            template, "security_context", None
        )
        has_uid = isinstance(own, PodSecurityContext) and own.run_as_user is not None
        uid_set = has_uid or config.mode == "daemonless"
        template.pod_spec_patch = executor_patch(None if uid_set else config.builder)


def _has_init_and_wait(template: Any) -> bool:
    if isinstance(template, (Container, Script, ContainerSet)):
        return True
    if isinstance(template, ModelTemplate):
        kinds = (template.container, template.script, template.container_set)
        return any(x is not None for x in kinds)
    return False


def env(values: dict[str, str | None]) -> list[Env]:
    """Environment variables in a stable order, skipping ``None``."""
    return [Env(name=k, value=v) for k, v in values.items() if v is not None]


def image(ref: ImageRef | str) -> str:
    """An image reference as the string Kubernetes wants."""
    return str(ref)


def as_node(
    container: Any, *, name: str | None = None, dependencies: list[str] | None = None
) -> ContainerNode | ModelContainerNode:
    """The same container as a node of an Argo ``containerSet`` (one pod, many containers).

    ``container`` is a container template (`argo_buildpacks.components.tag_check`,
    ``git_clone``..., or a Hera ``Container`` of your own) or already a node (renamed and
    given ``dependencies`` when those are passed). Inputs and outputs belong to the
    containerSet template, so they are not copied: declare the container's
    ``inputs``/``outputs`` there (``workflow_template`` does). A containerSet (such as
    `argo_buildpacks.components.buildpacks_build`) is several containers: place it with
    `as_nodes`.

    Raises:
        ConfigError: ``container`` is a containerSet (use `as_nodes`), or another kind of
            template (a script, steps, a DAG...), which no containerSet can run.
    """
    if isinstance(container, (ContainerNode, ModelContainerNode)):
        node = copy.deepcopy(container)
        if name:
            node.name = name
        if dependencies is not None:
            node.dependencies = dependencies
        return node
    if isinstance(container, ContainerSet):
        names = ", ".join(str(c.name) for c in container.containers or [])
        raise ConfigError(
            f"as_node: {container.name!r} is a containerSet of several containers ({names}), "
            "not one; place them all with as_nodes(template, dependencies=[...]) and give "
            f"your containerSet its volumes ({_volume_names(container)})"
        )
    if not isinstance(container, Container):
        raise ConfigError(
            f"as_node: {getattr(container, 'name', None)!r} is a {type(container).__name__}, "
            "which a containerSet cannot run; pass a container template (tag_check, "
            "git_clone, a hera Container of your own) or a ContainerNode"
        )
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


def as_nodes(
    template: Any, *, dependencies: list[str] | None = None
) -> list[ContainerNode | ModelContainerNode]:
    """Every container of ``template`` as ``containerSet`` nodes: one for a container
    template (`as_node`), all of them, in order and with their own dependencies, for a
    containerSet such as `argo_buildpacks.components.buildpacks_build`. ``dependencies``
    go to the nodes that depend on none of the others (where the template starts).

    The template's volumes are not copied: give your containerSet the same ones (its
    ``volumes``), or the nodes' mounts name nothing.

    Raises:
        ConfigError: as `as_node`.
    """
    if not isinstance(template, ContainerSet):
        return [as_node(template, dependencies=dependencies)]
    nodes = []
    for c in template.containers or []:
        node = as_node(c)
        if not node.dependencies and dependencies:
            node.dependencies = list(dependencies)
        nodes.append(node)
    return nodes


def _volume_names(template: ContainerSet) -> str:
    volumes = template.volumes if isinstance(template.volumes, list) else [template.volumes]
    return ", ".join(str(getattr(v, "name", v)) for v in volumes if v is not None) or "none"
