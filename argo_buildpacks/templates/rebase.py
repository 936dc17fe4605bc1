"""The rebase as a WorkflowTemplate of its own, ``<name>-rebase``, and its CronWorkflow.

`rebase_template`: the rebase (`argo_buildpacks.components.rebase.rebase`), then either the
rebuild (a Workflow from the app's own WorkflowTemplate at the commit the image was built
from, which deploys itself) or the deploy step of `argo_buildpacks.components.deploy` at
the new digest. `rebase_cron_workflow` runs it on ``rebase.schedule``.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import ClusterWorkflowTemplate, Parameter, WorkflowTemplate
from hera.workflows.models import ParallelSteps, Template, WorkflowStep

from argo_buildpacks._kits.contract import ARGO_API, app_labels
from argo_buildpacks.components.deploy import deploy_template
from argo_buildpacks.components.rebase import (
    check_config,
    rebase,
    rebase_template_name,
    rebuild,
)
from argo_buildpacks.components.sign import rebase_sign_template
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates._workflow import assemble

__all__ = ["rebase_cron_workflow", "rebase_template"]


def rebase_template(
    config: BuildConfig,
) -> WorkflowTemplate | ClusterWorkflowTemplate:
    """The WorkflowTemplate ``<name>-rebase`` for ``config``: rebase ``<image>:<tag>`` onto
    the current run image when its digest changed, otherwise a no-op that says so; rebuild
    from the image's commit when the builder changed; then deploy the new digest.

    ``main`` runs ``rebase`` (`rebase`), then ``rebuild`` (`rebuild`) when the action is
    ``rebuild``, then, with ``sign`` configured, ``sign`` of the new digest, then, with
    ``deploy`` configured, ``deploy`` at the (signed) new digest, both when the action is
    ``rebased``. With ``sign`` the rebase itself first verifies the image's signature.
    The workflow parameter is ``tag`` (default ``rebase.tag``); the
    workflow's outputs are ``action``, ``reason``, ``old-digest`` and ``new-digest``.
    Workflow-wide settings (pod security, no service-account tokens, deadline, pod GC,
    TTL, and the image's mutex, so a rebase never races a build) are the build's.

    Raises:
        ConfigError: ``config`` is not a `BuildConfig`.
    """
    config = check_config(config)
    rebase_t = rebase(config, name="rebase")
    action = "{{steps.rebase.outputs.parameters.action}}"
    steps = [
        ParallelSteps(
            root=[
                WorkflowStep(
                    name="rebase",
                    template="rebase",
                    arguments={
                        "parameters": [{"name": "tag", "value": "{{workflow.parameters.tag}}"}]
                    },
                )
            ]
        ),
        ParallelSteps(
            root=[WorkflowStep(name="rebuild", template="rebuild", when=f"{action} == rebuild")]
        ),
    ]
    templates: list[Any] = [rebase_t, rebuild(config)]
    if config.sign is not None:
        # The rebased digest is new: sign it before anything deploys it, so an admission
        # policy requiring the signature admits it and no unsigned image runs.
        sign = rebase_sign_template(config)
        steps.append(
            ParallelSteps(
                root=[WorkflowStep(name="sign", template=sign.name, when=f"{action} == rebased")]
            )
        )
        templates.append(sign)
    deploy = deploy_template(config)
    if deploy is not None:
        steps.append(
            ParallelSteps(
                root=[
                    WorkflowStep(name="deploy", template=deploy.name, when=f"{action} == rebased")
                ]
            )
        )
        templates.append(deploy)
    main = Template(name="main", steps=steps)
    template = assemble(config, [main, *templates])
    template.name = rebase_template_name(config)
    template.arguments = [
        Parameter(
            name="tag",
            value=config.rebase.tag if config.rebase else "latest",
            description="The tag naming the image to keep patched (moved to the patched image).",
        )
    ]
    return template


def rebase_cron_workflow(config: BuildConfig) -> dict[str, Any]:
    """The ``CronWorkflow`` running `rebase_template` on ``rebase.schedule``.

    Raises:
        ConfigError: the config has no ``rebase.schedule``.
    """
    config = check_config(config)
    if config.rebase is None or config.rebase.schedule is None:
        raise ConfigError(f"config {config.name!r} has no rebase.schedule")
    return {
        "apiVersion": ARGO_API,
        "kind": "CronWorkflow",
        "metadata": {
            "name": f"{config.name[:45].rstrip('-')}-rebase",
            "namespace": config.namespace,
            "labels": app_labels(config.name),
        },
        "spec": {
            "schedules": [config.rebase.schedule],
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "workflowSpec": {
                "workflowTemplateRef": {"name": rebase_template_name(config)},
                "arguments": {"parameters": [{"name": "tag", "value": config.rebase.tag}]},
            },
        },
    }
