"""What a whole workflow holds, in one place: the contract's parameters, the workspace
claim, the workflow-wide production defaults (deadline, pod GC, TTL, the image's mutex,
scheduling) and `assemble`, which puts them around a list of templates.

`argo_buildpacks.templates.pipeline`, the library and `compose` all take these from here, so
a generated template and a composed workflow never differ in a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

from hera.workflows import ClusterWorkflowTemplate, Parameter, WorkflowTemplate
from hera.workflows.models import (
    ExecutorConfig,
    Mutex,
    ObjectMeta,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PodGC,
    Synchronization,
    Toleration,
    TTLStrategy,
    VolumeResourceRequirements,
)

from argo_buildpacks._kits.contract import ALLOW_PULL_REQUESTS_ANNOTATION, LABEL_PREFIX, MANAGED
from argo_buildpacks.components import _pod
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig, Workspace

__all__ = [
    "KINDS",
    "Kind",
    "assemble",
    "check_choice",
    "mutex_name",
    "workflow_defaults",
    "workflow_parameters",
    "workspace_claim",
]

Kind: TypeAlias = Literal["WorkflowTemplate", "ClusterWorkflowTemplate"]
KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def workspace_claim(config: BuildConfig | None = None) -> PersistentVolumeClaim:
    """The shared workspace as a per-run volume claim (``volumeClaimTemplates``; deleted
    with the run), from ``config.workspace``: size, storage class and access modes
    (without a config: 2Gi, ReadWriteOnce, the default class)."""
    ws = config.workspace if config is not None else Workspace()
    return PersistentVolumeClaim(
        metadata=ObjectMeta(name=_pod.WORKSPACE_VOLUME),
        spec=PersistentVolumeClaimSpec(
            access_modes=list(ws.access_modes),
            storage_class_name=ws.storage_class,
            resources=VolumeResourceRequirements(requests={"storage": ws.size}),
        ),
    )


def workflow_defaults(config: BuildConfig) -> dict[str, Any]:
    """The workflow-wide production settings of ``config``, as Hera workflow fields:
    deadline, pod GC, TTL, the image's mutex, node selector and tolerations (``None`` where
    the config sets none)."""
    return {
        "active_deadline_seconds": config.active_deadline_seconds,
        "pod_gc": PodGC(strategy=config.pod_gc),
        "ttl_strategy": TTLStrategy(
            seconds_after_success=config.ttl.after_success,
            seconds_after_failure=config.ttl.after_failure,
        ),
        "synchronization": (
            Synchronization(mutexes=[Mutex(name=mutex_name(config))]) if config.mutex else None
        ),
        "node_selector": dict(config.node_selector) or None,
        "tolerations": [Toleration(**t.model_dump()) for t in config.tolerations] or None,
    }


def assemble(
    config: BuildConfig,
    templates: list[Any],
    *,
    kind: Kind = "WorkflowTemplate",
    volume_claims: list[PersistentVolumeClaim] | None = None,
    labels: Mapping[str, str] | None = None,
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """A template with ``templates`` and everything workflow-wide from ``config``: the
    contract's parameters, pod security (Argo's executor containers included), no
    service-account token for any container but the executor's, deadline, pod GC, TTL,
    mutex, scheduling.

    This is how the generated and library templates are made; to put components into a
    Hera workflow of your own, use `argo_buildpacks.templates.compose.compose`.
    """
    check_choice("kind", kind, KINDS)
    cls = WorkflowTemplate if kind == "WorkflowTemplate" else ClusterWorkflowTemplate
    security = _pod.pod_security(config.builder, non_root=config.mode == "daemonless")
    # Per pod template, never workflow-wide: a workflow's podSpecPatch reaches every pod,
    # and the resource pods (rebuild, fleet steps) have no wait container to patch.
    _pod.restrict_executors(templates, config)
    return cls(
        name=config.name,
        namespace=config.namespace if kind == "WorkflowTemplate" else None,
        labels={
            **MANAGED,
            f"{LABEL_PREFIX}/layout": config.layout,
            f"{LABEL_PREFIX}/mode": config.mode,
            **(labels or {}),
        },
        annotations={
            f"{LABEL_PREFIX}/image": str(config.image),
            **(
                {ALLOW_PULL_REQUESTS_ANNOTATION: "true"}
                if config.source.allow_pull_requests
                else {}
            ),
        },
        entrypoint="main",
        arguments=workflow_parameters(config),
        templates=templates,
        volume_claim_templates=volume_claims,
        security_context=security,
        service_account_name=config.service_account,
        **workflow_defaults(config),
        # No container of the run gets a service-account token; Argo's executor (init/wait)
        # gets its own account's token through the executor config.
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=_pod.executor_account(config)),
    )


def mutex_name(config: BuildConfig) -> str:
    """The mutex serialising builds of one image (they share its cache image)."""
    return "argo-buildpacks-" + re.sub(r"[^a-z0-9-]+", "-", config.image.name.lower()).strip("-")


def check_choice(what: str, value: object, allowed: Sequence[str]) -> None:
    """`ConfigError` naming ``what``, the value and the allowed ones, unless allowed."""
    if value not in allowed:
        raise ConfigError(f"{what} {value!r} is not allowed; use one of: {', '.join(allowed)}")


def workflow_parameters(config: BuildConfig) -> list[Parameter]:
    """The contract's workflow parameters: ``tag`` (empty by default when the tag may come
    from git), ``revision``, ``repo``/``image`` fixed unless the config lists them as
    overridable, and ``expected-commit`` (empty; a Sensor sets the pushed SHA)."""
    tag = Parameter(
        name="tag",
        description="SemVer 2.0.0 version to build (one leading 'v' allowed)"
        + ("; empty: derive it from `git describe`" if config.tag.from_git else ""),
    )
    if config.tag.from_git:
        tag.value = ""
    return [
        tag,
        Parameter(
            name="revision", value=config.source.revision, description="Branch, tag or commit"
        ),
        _fixed_or_free(config, "repo", config.source.url, "Git repository URL"),
        _fixed_or_free(config, "image", str(config.image), "Image repository (no tag)"),
        # Set by the Sensor from the push event: the clone refuses a ref that names another
        # commit (a branch or a re-pointed tag standing in for the pushed release).
        Parameter(
            name="expected-commit",
            value="",
            description="The commit the revision must name (a push event's SHA); empty: any",
        ),
    ]


def _fixed_or_free(config: BuildConfig, name: str, value: str, description: str) -> Parameter:
    """``repo``/``image``: shown per run; Argo refuses another value at submission (``enum``)
    unless the config lists the parameter as overridable."""
    if name in config.overridable:
        return Parameter(name=name, value=value, description=description)
    return Parameter(
        name=name,
        value=value,
        enum=[value],
        description=f"{description}; fixed when the template was installed",
    )
