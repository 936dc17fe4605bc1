"""The ServiceAccounts, Roles and RoleBindings a config needs, least privilege, and the whole
stream of objects ``argo-buildpacks render -f app.yaml`` writes.

- Executor: Argo's ``wait`` container records outputs as ``workflowtaskresults`` (create,
  patch) as the executor account (``executor_service_account``, else ``service_account``,
  else the app's own ``<name>-executor``, rendered here: never ``default``, which every
  pod of the namespace may automount; no other container of a run gets a token) and, in
  the Kubernetes deploy pod, its own account. The executor account gets its
  ``kubernetes.io/service-account-token`` Secret, ``<account>.service-account-token``:
  the name Argo mounts for an executor account that lists no Secret
  (util/secrets/secret_name.go ``TokenName``), which Kubernetes >= 1.24 no longer
  creates.
- Kubernetes deploy: ``<name>-deploy`` may ``get``/``patch`` the one Deployment
  (``resourceNames``) and ``list``/``watch`` it (kubectl asks with a ``metadata.name``
  field selector, which ``resourceNames`` covers), in its namespace only.
- Sensor: ``<name>-sensor`` may ``create`` workflows and ``list`` them (Argo Events looks up
  the workflow it submitted by label) and ``get`` the one WorkflowTemplate it references.

The EventSource needs no account (it manages no GitHub hook and watches no resource); a
GitLab EventSource reads its tokens from Secret volumes, not the API.
"""

from __future__ import annotations

from typing import Any, Literal

from hera.workflows import ClusterWorkflowTemplate, WorkflowTemplate

from argo_buildpacks._kits.yaml_emit import to_manifest
from argo_buildpacks.components import _pod
from argo_buildpacks.components.deploy import deploy_service_account
from argo_buildpacks.components.rebase import rebase_service_account
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates.pipeline import workflow_template
from argo_buildpacks.templates.rebase import rebase_cron_workflow, rebase_template
from argo_buildpacks.templates.triggers import (
    cron_workflow,
    event_source,
    sensor,
    sensor_service_account,
)

__all__ = ["rbac_objects", "release_manifests", "token_secret"]

RBAC = "rbac.authorization.k8s.io/v1"
_MANAGED = {"app.kubernetes.io/managed-by": "argo-buildpacks"}


def _meta(config: BuildConfig, name: str, namespace: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {**_MANAGED, "argo-buildpacks.io/app": config.name},
    }


def _account(config: BuildConfig, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(config, name, namespace),
    }


def token_secret(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """The long-lived token Secret of the ServiceAccount ``name``, named as Argo looks it
    up for an executor account (``<name>.service-account-token``); Kubernetes fills in the
    token once the account exists (so it comes after the account in a stream)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"{name}.service-account-token",
            "namespace": namespace,
            "labels": labels,
            "annotations": {"kubernetes.io/service-account.name": name},
        },
        "type": "kubernetes.io/service-account-token",
    }


def _role(
    config: BuildConfig, name: str, namespace: str, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "Role",
        "metadata": _meta(config, name, namespace),
        "rules": rules,
    }


def _binding(
    config: BuildConfig, name: str, namespace: str, subjects: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": _meta(config, name, namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [
            {"kind": "ServiceAccount", "name": sa, "namespace": ns} for sa, ns in subjects
        ],
    }


def rbac_objects(config: BuildConfig) -> list[dict[str, Any]]:
    """The ServiceAccounts, the executor account's token Secret, Roles and RoleBindings for
    ``config``, as manifests (accounts first, the executor's token after its account,
    then roles, then bindings, so ``kubectl apply`` creates them in order)."""

    ns = config.namespace
    accounts: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    # No container of a run gets a token but Argo's executor, which runs as the executor
    # account (executor_service_account, else service_account, else <name>-executor).
    executor_sa = _pod.executor_account(config)
    named = [config.service_account, config.executor_service_account, executor_sa]
    for account in dict.fromkeys(named):
        if account:
            accounts.append(_account(config, account, ns))
    accounts.append(token_secret(executor_sa, ns, _meta(config, executor_sa, ns)["labels"]))
    executors = [(executor_sa, ns)]

    kube = config.deploy.kubernetes if config.deploy else None
    if kube is not None:
        deploy_sa = deploy_service_account(config)
        accounts.append(_account(config, deploy_sa, ns))
        executors.append((deploy_sa, ns))
        name = f"{config.name}-deploy"
        roles.append(
            _role(
                config,
                name,
                kube.namespace,
                [
                    {
                        "apiGroups": ["apps"],
                        "resources": ["deployments"],
                        "resourceNames": [kube.deployment],
                        "verbs": ["get", "list", "watch", "patch"],
                    }
                ],
            )
        )
        bindings.append(_binding(config, name, kube.namespace, [(deploy_sa, ns)]))

    executor = f"{config.name}-executor"
    roles.append(
        _role(
            config,
            executor,
            ns,
            [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        )
    )
    bindings.append(_binding(config, executor, ns, executors))

    if config.trigger is not None:
        sensor_sa = sensor_service_account(config)
        name = f"{config.name}-sensor"
        accounts.append(_account(config, sensor_sa, ns))
        roles.append(
            _role(
                config,
                name,
                ns,
                [
                    {
                        "apiGroups": ["argoproj.io"],
                        "resources": ["workflows"],
                        "verbs": ["create", "list"],
                    },
                    {
                        "apiGroups": ["argoproj.io"],
                        "resources": ["workflowtemplates"],
                        "resourceNames": [config.name],
                        "verbs": ["get"],
                    },
                ],
            )
        )
        bindings.append(_binding(config, name, ns, [(sensor_sa, ns)]))

    if config.rebase is not None:
        # The rebase's rebuild step creates a Workflow from the app's own template and waits
        # for it; its account may do that and write its own task results, nothing else.
        rebase_sa = rebase_service_account(config)
        accounts.append(_account(config, rebase_sa, ns))
        roles.append(
            _role(
                config,
                rebase_sa,
                ns,
                [
                    {
                        "apiGroups": ["argoproj.io"],
                        "resources": ["workflows"],
                        "verbs": ["create", "get", "list", "watch"],
                    },
                    {
                        "apiGroups": ["argoproj.io"],
                        "resources": ["workflowtemplates"],
                        "resourceNames": [config.name],
                        "verbs": ["get"],
                    },
                    {
                        "apiGroups": ["argoproj.io"],
                        "resources": ["workflowtaskresults"],
                        "verbs": ["create", "patch"],
                    },
                ],
            )
        )
        bindings.append(_binding(config, rebase_sa, ns, [(rebase_sa, ns)]))
    return [*accounts, *roles, *bindings]


def release_manifests(
    config: BuildConfig,
    *,
    kind: Literal["WorkflowTemplate", "ClusterWorkflowTemplate"] = "WorkflowTemplate",
    template: WorkflowTemplate | ClusterWorkflowTemplate | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """Every object ``config`` implies, in ``kubectl apply`` order: the RBAC objects (the
    executor account the template names, its token and Role, and whatever ``trigger``,
    ``deploy`` or ``rebase`` needs), the WorkflowTemplate, then, when configured, the
    EventSource, Sensor and CronWorkflow; with ``rebase``, the rebase
    WorkflowTemplate (`argo_buildpacks.templates.rebase.rebase_template`) and, with
    ``rebase.schedule``, its CronWorkflow last.

    Args:
        config: the app's build.
        kind: the template's kind; the release sections need a ``WorkflowTemplate`` (the
            Sensor's Role names one namespaced template).
        template: the app's template, made already (library mode's thin template,
            `argo_buildpacks.templates.app.app_manifests`); default: `workflow_template`.
        options: further `argo_buildpacks.templates.pipeline.workflow_template` options.

    Raises:
        ConfigError: a ClusterWorkflowTemplate with ``trigger``, ``schedule`` or ``rebase``, or any
            error of the parts.
    """

    if kind != "WorkflowTemplate" and (config.trigger or config.schedule or config.rebase):
        raise ConfigError(
            f"kind {kind!r} with trigger, schedule or rebase is not supported: the Sensor and "
            "CronWorkflow reference a namespaced WorkflowTemplate; use kind WorkflowTemplate"
        )
    if template is None:
        template = workflow_template(config, kind=kind, **options)
    # Always: the template's executor account is the app's own unless configured.
    docs = [*rbac_objects(config), to_manifest(template)]
    if config.trigger is not None:
        docs += [event_source(config), sensor(config, template)]
    if config.schedule is not None:
        docs.append(cron_workflow(config))
    if config.rebase is not None:
        docs.append(to_manifest(rebase_template(config)))
        if config.rebase.schedule is not None:
            docs.append(rebase_cron_workflow(config))
    return docs
