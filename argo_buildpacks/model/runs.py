"""What `ArgoClient` returns: apply results, runs, their
status and log lines. Plain frozen dataclasses; Hera is imported for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from hera.workflows.models import Workflow

__all__ = [
    "FINAL_PHASES",
    "ApplyAction",
    "ApplyResult",
    "LogLine",
    "NodeStatus",
    "Run",
    "RunStatus",
    "pod_name",
]

#: Workflow phases after which nothing changes any more.
FINAL_PHASES = frozenset({"Succeeded", "Failed", "Error"})

ApplyAction = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ApplyResult:
    """The outcome of `ArgoClient.apply`.

    Attributes:
        kind: ``WorkflowTemplate`` or ``ClusterWorkflowTemplate``.
        name: the template's ``metadata.name``.
        namespace: the namespace it lives in; ``None`` for a ClusterWorkflowTemplate.
        action: ``"created"``, ``"updated"`` or ``"unchanged"`` (nothing was written).
        resource_version: the server's ``metadata.resourceVersion`` after the call.
    """

    kind: str
    name: str
    namespace: str | None
    action: ApplyAction
    resource_version: str


@dataclass(frozen=True)
class Run:
    """A submitted workflow.

    Attributes:
        name: the Workflow's ``metadata.name``.
        namespace: the namespace it runs in.
        uid: the Workflow's ``metadata.uid`` (empty when only the name is known).
        submission_id: the client-generated id in the ``argo-buildpacks.io/submission-id``
            label, which lets a retried submission find the run it already created.
    """

    name: str
    namespace: str
    uid: str = ""
    submission_id: str = ""


@dataclass(frozen=True)
class NodeStatus:
    """One node of a workflow's execution graph (``status.nodes[id]``).

    Attributes:
        id: the node id.
        name: the node's full name (``wf.step.substep``).
        display_name: the short name shown by the Argo UI.
        type: ``Pod``, ``Steps``, ``DAG``, ``Container``, ``Skipped``...
        phase: ``Pending``, ``Running``, ``Succeeded``, ``Failed``, ``Error``, ``Skipped``...
        message: why the node is in this phase (empty when there is nothing to say).
        pod_name: the pod that ran a ``Pod`` node, as Argo names it; for a ``Container``
            node (one container of a containerSet pod), the pod it runs in; ``None``
            otherwise.
        template_name: the template the node ran, if any.
        children: the ids of the node's children (a containerSet pod's are its
            ``Container`` nodes).
    """

    id: str
    name: str
    display_name: str
    type: str
    phase: str
    message: str = ""
    pod_name: str | None = None
    template_name: str | None = None
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunStatus:
    """A snapshot of a workflow's status.

    Attributes:
        name: the Workflow's name.
        namespace: its namespace.
        phase: ``Pending``, ``Running``, ``Succeeded``, ``Failed`` or ``Error``. A workflow the
            controller has not picked up yet (Argo's empty phase) is reported as ``Pending``.
        message: Argo's explanation of the phase (mostly set on failures).
        started_at: when the workflow started, if it has.
        finished_at: when it finished, if it has.
        progress: completed/total pods, e.g. ``"2/3"`` (empty before the first pod).
        nodes: every node of the workflow, in the order the server listed them.
        outputs: the workflow's global output parameters (``status.outputs.parameters``).
        created_at: when the workflow was submitted (``metadata.creationTimestamp``): how
            long a run the controller has not started yet has been Pending (Argo sets
            ``status.startedAt`` only when it starts operating on the run).
    """

    name: str
    namespace: str
    phase: str
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: str = ""
    nodes: tuple[NodeStatus, ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None

    @classmethod
    def from_workflow(cls, wf: Workflow, name: str = "", namespace: str = "") -> RunStatus:
        """Summarise a Workflow as the server returned it (Hera's model).

        Args:
            wf: the Workflow.
            name: its name, when the object lacks one.
            namespace: its namespace, when the object lacks one.

        Returns:
            The status snapshot.
        """
        meta = wf.metadata
        wf_name = meta.name or name
        namespace = meta.namespace or namespace
        v1 = (meta.annotations or {}).get("workflows.argoproj.io/pod-name-format") == "v1"
        created = meta.creation_timestamp.root if meta.creation_timestamp else None
        status = wf.status
        if status is None:
            return cls(wf_name, namespace, "Pending", created_at=created)
        nodes = []
        pods: dict[str, str] = {}  # Container node id -> the pod it runs in
        for node in (status.nodes or {}).values():
            if node.type == "Pod":
                ref = node.template_ref.template if node.template_ref else None
                owner = pod_name(wf_name, node.id, node.name, node.template_name or ref, v1=v1)
                pods.update((child, owner) for child in node.children or [])
        for node in (status.nodes or {}).values():
            ref = node.template_ref.template if node.template_ref else None
            template = node.template_name or ref
            pod: str | None = None
            if node.type == "Pod":
                pod = pod_name(wf_name, node.id, node.name, template, v1=v1)
            elif node.type == "Container":
                pod = pods.get(node.id)
            nodes.append(
                NodeStatus(
                    id=node.id,
                    name=node.name,
                    display_name=node.display_name or node.name,
                    type=node.type,
                    phase=node.phase or "Pending",
                    message=node.message or "",
                    pod_name=pod,
                    template_name=template,
                    children=tuple(node.children or ()),
                )
            )
        params = (status.outputs.parameters if status.outputs else None) or []
        return cls(
            name=wf_name,
            namespace=namespace,
            phase=status.phase or "Pending",
            message=status.message or "",
            started_at=status.started_at.root if status.started_at else None,
            finished_at=status.finished_at.root if status.finished_at else None,
            progress=status.progress or "",
            nodes=tuple(nodes),
            outputs={p.name: p.value for p in params if p.value is not None},
            created_at=created,
        )

    def containers(self) -> list[tuple[str, str]]:
        """Every ``(pod, container)`` whose log is the run's: each container of a
        containerSet pod (its ``Container`` nodes), and ``main`` of any other pod.

        In the order the server listed the nodes; a pod the run has not created yet
        (no ``Pod`` node) is not listed.
        """
        by_id = {node.id: node for node in self.nodes}
        pairs: list[tuple[str, str]] = []
        for node in self.nodes:
            if node.type != "Pod" or node.pod_name is None:
                continue
            names = [
                by_id[child].display_name
                for child in node.children
                if child in by_id and by_id[child].type == "Container"
            ]
            pairs += [(node.pod_name, name) for name in names or ["main"]]
        return pairs

    @property
    def finished(self) -> bool:
        """Whether the phase is final (``Succeeded``, ``Failed`` or ``Error``)."""
        return self.phase in FINAL_PHASES

    @property
    def succeeded(self) -> bool:
        """Whether the workflow finished successfully."""
        return self.phase == "Succeeded"

    @property
    def image(self) -> str | None:
        """The built image as ``name:tag`` (output ``image``), once the build has pushed it."""
        return self.outputs.get("image") or None

    @property
    def digest(self) -> str | None:
        """The pushed image's digest, ``sha256:...`` (output ``digest``)."""
        return self.outputs.get("digest") or None

    @property
    def tags(self) -> list[str]:
        """Every tag pushed (output ``tags``, comma-separated on the wire)."""
        raw = self.outputs.get("tags", "")
        return [tag.strip() for tag in raw.split(",") if tag.strip()]

    @property
    def commit(self) -> str | None:
        """The SHA of the commit that was built (output ``commit``)."""
        return self.outputs.get("commit") or None


@dataclass(frozen=True)
class LogLine:
    """One line of a workflow's logs.

    Attributes:
        pod_name: the pod that wrote it.
        content: the line, without its newline, as the container wrote it (it may hold
            control characters: escape it before printing it on a terminal).
        container: the container that wrote it (``main`` in a one-container pod).
    """

    pod_name: str
    content: str
    container: str = "main"

    def __str__(self) -> str:
        return self.content


def _fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(
    workflow: str, node_id: str, node_name: str, template: str | None, *, v1: bool = False
) -> str:
    """The name Argo gives the pod of a ``Pod`` node (its ``GeneratePodName``).

    Args:
        workflow: the workflow's name.
        node_id: the node's id (the pod name under the old ``v1`` naming).
        node_name: the node's full name.
        template: the node's template name, if any.
        v1: the workflow uses ``v1`` pod names (annotation
            ``workflows.argoproj.io/pod-name-format``).

    Returns:
        ``<workflow>-<template>-<fnv32a(node name)>``, with the prefix cut to fit the
        253-character limit; the workflow's own name for its root node.
    """
    if v1:
        return node_id
    if node_name == workflow:
        return workflow
    prefix = f"{workflow}-{template}" if template else workflow
    return f"{prefix[:242]}-{_fnv1a32(node_name)}"
