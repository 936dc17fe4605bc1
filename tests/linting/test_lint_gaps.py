"""Issue 20, items 1 (lint part) and 7: what lint missed against Argo's and Argo Events' own
verdicts, and what it refused that they accept.

Each rule is written from the source it follows (named in the lint module): Argo v4.1.2's
workflow/common/util.go ``ProcessArgs``, workflow/controller/workflowpod.go and operator.go,
workflow/util/util.go ``ApplyPodSpecPatch``, util/secrets/secret_name.go; Argo Events
v1.9.11's pkg/reconciler/sensor/validate.go, pkg/sensors/dependencies/filter.go and
pkg/eventsources/sources/github/validate.go. Each case Argo refuses has a neighbour it
accepts, which lint must leave alone.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from argo_buildpacks._kits.contract import CALLER_PROVIDES
from argo_buildpacks.linting._lint import Finding, lint
from argo_buildpacks.templates.rbac import token_secret

NS = "ci"


def workflow(
    templates: list[dict[str, Any]], kind: str = "Workflow", **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"entrypoint": "main", "templates": templates, **spec}
    body = {k: v for k, v in body.items() if v is not None}
    if kind == "CronWorkflow":
        body = {"schedules": ["0 3 * * *"], "workflowSpec": body}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": "demo", "namespace": NS},
        "spec": body,
    }


def main(**extra: Any) -> dict[str, Any]:
    return {"name": "main", "container": {"image": "alpine:3.20"}, **extra}


def at(findings: list[Finding], path: str, severity: str = "error") -> Finding:
    found = [f for f in findings if f.path == path and f.severity == severity]
    assert len(found) == 1, f"expected one {severity} at {path!r}, got {findings}"
    return found[0]


def nothing_at(findings: list[Finding], path: str) -> None:
    assert [f for f in findings if f.path == path] == [], findings


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


# ----------------------------------------------------------------- 1: executor token Secret


def account(name: str, **extra: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": NS, **extra.pop("metadata", {})}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, **extra}


def with_executor(name: str = "builder-executor") -> dict[str, Any]:
    return workflow([main()], executor={"serviceAccountName": name})


EXECUTOR = "spec.executor.serviceAccountName"


def test_an_executor_account_in_the_stream_without_its_token_secret_is_an_error() -> None:
    findings = lint([with_executor(), account("builder-executor")])
    finding = at(findings, EXECUTOR)
    assert 'executor account "builder-executor" has no token Secret' in finding.message
    assert 'the Secret "builder-executor.service-account-token"' in finding.message
    assert "ContainerCreating" in finding.message
    # The Secret templates/rbac.py renders is the one Argo mounts: nothing left to say.
    secret = token_secret("builder-executor", NS, {})
    assert lint([with_executor(), account("builder-executor"), secret]) == []


def test_the_token_secret_follows_secret_name_go() -> None:
    """The account's first listed Secret wins, then the annotation, then the default name;
    a Secret of the default name does not stand in for the one Argo looks up."""
    default = token_secret("builder-executor", NS, {})
    listed = account("builder-executor", secrets=[{"name": "listed"}, {"name": "other"}])
    finding = at(lint([with_executor(), listed, default]), EXECUTOR)
    assert 'the Secret "listed" (the first Secret the account lists' in finding.message
    secret = copy.deepcopy(default)
    secret["metadata"]["name"] = "listed"
    assert lint([with_executor(), listed, secret]) == []

    annotation = "workflows.argoproj.io/service-account-token.name"
    named = account("builder-executor", metadata={"annotations": {annotation: "named"}})
    finding = at(lint([with_executor(), named, default]), EXECUTOR)
    assert 'the Secret "named"' in finding.message
    assert annotation in finding.message


def test_a_per_template_executor_account_is_checked_too() -> None:
    doc = workflow([main(executor={"serviceAccountName": "other"})])
    finding = at(lint([doc, account("other")]), "spec.templates[0].executor.serviceAccountName")
    assert '"other.service-account-token"' in finding.message


def test_a_secret_that_holds_no_token_is_an_error() -> None:
    opaque = token_secret("builder-executor", NS, {})
    del opaque["type"]
    finding = at(lint([with_executor(), account("builder-executor"), opaque]), EXECUTOR)
    assert "holds no token" in finding.message
    assert "type Opaque" in finding.message


def test_an_executor_account_outside_the_stream_is_a_warning() -> None:
    # The stream has accounts, not this one: it may exist in the cluster.
    finding = at(lint([with_executor(), account("someone-else")]), EXECUTOR, "warning")
    assert '"builder-executor" is not among the linted objects' in finding.message
    # Templates linted without any account are not judged.
    assert lint(with_executor()) == []


def test_the_rendered_release_stream_carries_its_executor_token() -> None:
    from argo_buildpacks.model.config import BuildConfig
    from argo_buildpacks.templates.rbac import release_manifests

    config = BuildConfig.from_dict(
        {
            "name": "my-python-app",
            "namespace": NS,
            "source": {"url": "https://github.com/acme/my-python-app.git"},
            "image": "registry.example.com/acme/my-python-app",
        }
    )
    stream = release_manifests(config)
    assert errors(lint(stream)) == []
    without = [d for d in stream if d["kind"] != "Secret"]
    found = [f for f in lint(without) if "has no token Secret" in f.message]
    assert found  # the workflow-wide account, and each template that names it again
    assert {(f.document, f.severity) for f in found} == {
        ("WorkflowTemplate/my-python-app", "error")
    }
    assert "spec.executor.serviceAccountName" in {f.path for f in found}


# ----------------------------------------------------------------- 7: entrypoint inputs


def library_template(**inputs: Any) -> dict[str, Any]:
    template = workflow([main(inputs={"parameters": [{"name": "x", **inputs}]})])
    template["kind"] = "WorkflowTemplate"
    template["metadata"]["name"] = "lib"
    return template


def by_reference(kind: str = "Workflow", **spec: Any) -> dict[str, Any]:
    doc = workflow([], kind=kind, entrypoint=None, workflowTemplateRef={"name": "lib"}, **spec)
    inner = doc["spec"].get("workflowSpec", doc["spec"])
    del inner["templates"]
    return doc


@pytest.mark.parametrize("kind", ["Workflow", "CronWorkflow"])
def test_a_reference_that_leaves_a_required_input_unsupplied_is_refused(kind: str) -> None:
    where = "spec.arguments" if kind == "Workflow" else "spec.workflowSpec.arguments"
    finding = at(lint([library_template(), by_reference(kind)]), where)
    assert 'inputs.parameters.x of entrypoint "main" of WorkflowTemplate "lib"' in finding.message
    assert "was not supplied" in finding.message
    supplied = by_reference(kind, arguments={"parameters": [{"name": "x", "value": "1"}]})
    assert errors(lint([library_template(), supplied])) == []
    # The template's own arguments count (util.MergeParameters), and a default does.
    template = library_template()
    template["spec"]["arguments"] = {"parameters": [{"name": "x", "value": "2"}]}
    assert errors(lint([template, by_reference(kind)])) == []
    assert errors(lint([library_template(default="d"), by_reference(kind)])) == []


def test_an_argument_without_a_value_replaces_the_default_even_in_lint_mode() -> None:
    """overwriteWithArguments: an argument with no value sets the input's value to nil."""
    doc = workflow(
        [main(inputs={"parameters": [{"name": "x", "default": "d"}]})],
        arguments={"parameters": [{"name": "x"}]},
    )
    finding = at(lint(doc), "spec.arguments")
    assert 'the argument "x" has no value (which also replaces a default)' in finding.message
    doc["spec"]["arguments"]["parameters"][0]["value"] = "v"
    assert lint(doc) == []


def test_a_cron_workflow_argument_needs_a_value() -> None:
    """validate.go CronWorkflow: Workflow(..., Opts{}), not lint mode."""
    doc = workflow([main()], kind="CronWorkflow", arguments={"parameters": [{"name": "p"}]})
    finding = at(lint(doc), "spec.workflowSpec.arguments.parameters[0]")
    assert 'argument "p" has no value' in finding.message
    plain = workflow([main()], arguments={"parameters": [{"name": "p"}]})
    assert errors(lint(plain)) == []  # a Workflow in lint mode may leave it empty


# ----------------------------------------------------------------- 7: clusterScope


def cluster_library() -> dict[str, Any]:
    doc = workflow([main(), {"name": "print", "container": {"image": "alpine:3.20"}}])
    doc["kind"] = "ClusterWorkflowTemplate"
    doc["metadata"] = {"name": "printer"}
    del doc["spec"]["entrypoint"]
    return doc


def test_a_template_ref_to_a_cluster_template_without_cluster_scope_is_an_error() -> None:
    call: dict[str, Any] = {"name": "p", "templateRef": {"name": "printer", "template": "print"}}
    doc = workflow([{"name": "main", "steps": [[call]]}])
    finding = at(lint([cluster_library(), doc]), "spec.templates[0].steps[0][0].templateRef.name")
    assert "a ClusterWorkflowTemplate in the set, without clusterScope: true" in finding.message
    assert "set clusterScope: true" in finding.message
    call["templateRef"]["clusterScope"] = True
    assert errors(lint([cluster_library(), doc])) == []


# ----------------------------------------------------------------- 7: Sensor rules


def sensor(**changes: Any) -> dict[str, Any]:
    dep: dict[str, Any] = {
        "name": "push",
        "eventSourceName": "app",
        "eventName": "push",
        "filters": {"data": [{"path": "body.ref", "type": "string", "value": ["^refs/tags/"]}]},
    }
    trigger: dict[str, Any] = {"template": {"name": "log", "conditions": "push", "log": {}}}
    spec: dict[str, Any] = {"dependencies": [dep], "triggers": [trigger]}
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Sensor",
        "metadata": {"name": "app", "namespace": NS},
        "spec": spec,
    }
    for key, value in changes.items():
        if key == "filter":
            dep["filters"]["data"][0].update(value)
        elif key == "trigger_name":
            spec["triggers"].append({"template": {**trigger["template"], "name": value}})
    return doc


def test_the_sensor_fixture_is_clean() -> None:
    assert lint(sensor()) == []


def test_duplicate_trigger_names_are_refused() -> None:
    finding = at(lint(sensor(trigger_name="log")), "spec.triggers[1].template.name")
    assert 'trigger name "log" is not unique: triggers[0] has it too' in finding.message
    assert lint(sensor(trigger_name="log-again")) == []


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        ({"comparator": "=="}, "comparator", 'comparator "==" is not supported'),
        ({"value": [""]}, "value[0]", "values must not be empty"),
        ({"value": []}, "value", "needs at least one value"),
        ({"path": ""}, "path", "path must not be empty"),
        # RE2, as Go's regexp: Python's re would accept a lookahead.
        ({"value": ["^v(?=1)"]}, "value[0]", "is not a Go regular expression"),
        ({"value": ["(refs"]}, "value[0]", "missing )"),
    ],
)
def test_data_filters_argo_events_refuses_or_fails_on(
    change: dict[str, Any], path: str, needle: str
) -> None:
    finding = at(lint(sensor(filter=change)), f"spec.dependencies[0].filters.data[0].{path}")
    assert needle in finding.message


@pytest.mark.parametrize(
    "change",
    [
        {"comparator": "!="},
        {"comparator": ">="},
        {"value": ["\\pL+", "[[:alpha:]]", "(?P<v>v)1", "(?i)^Acme$"]},  # RE2, not Python re
    ],
)
def test_data_filters_argo_events_accepts(change: dict[str, Any]) -> None:
    assert lint(sensor(filter=change)) == []


# ----------------------------------------------------------------- 7: run-time failures


RETRY = "spec.templates[0].retryStrategy.backoff"


@pytest.mark.parametrize(
    ("backoff", "key", "needle"),
    [
        ({"duration": "5 minutes"}, "duration", 'duration "5 minutes" is not a duration'),
        ({"duration": "5", "maxDuration": "1d"}, "maxDuration", '"1d" is not a duration'),
        ({"duration": "5s", "cap": "1.5"}, "cap", '"1.5" is not a duration'),
        ({"maxDuration": "1h"}, "duration", "a backoff needs a duration"),
    ],
)
def test_a_bad_retry_backoff_is_an_error(backoff: dict[str, Any], key: str, needle: str) -> None:
    doc = workflow([main(retryStrategy={"limit": 3, "backoff": backoff})])
    assert needle in at(lint(doc), f"{RETRY}.{key}").message


def test_retry_durations_argo_parses() -> None:
    for backoff in (
        {"duration": "30", "maxDuration": "1h30m", "cap": "-5"},
        {"duration": "1.5s", "maxDuration": "0", "cap": "{{inputs.parameters.x}}"},
    ):
        inputs = {"parameters": [{"name": "x", "value": "5m"}]}
        doc = workflow([main(inputs=inputs, retryStrategy={"limit": 3, "backoff": backoff})])
        assert errors(lint(doc)) == [], backoff


def test_automount_off_without_an_executor_account_is_an_error() -> None:
    doc = workflow([main()], automountServiceAccountToken=False)
    finding = at(lint(doc), "spec.templates[0]")
    assert "executor.serviceAccountName must not be empty" in finding.message
    doc["spec"]["executor"] = {"serviceAccountName": "builder-executor"}
    assert lint(doc) == []
    # A template may be run by a Workflow that names the account: judged there.
    template = workflow([main(automountServiceAccountToken=False)])
    template["kind"] = "WorkflowTemplate"
    template["metadata"]["name"] = "lib"
    assert lint(template) == []
    runner = by_reference()
    finding = at(lint([template, runner]), "spec.workflowTemplateRef")
    assert 'template "main" runs without a service-account token' in finding.message
    runner["spec"]["executor"] = {"serviceAccountName": "builder-executor"}
    assert lint([template, runner]) == []


@pytest.mark.parametrize(
    ("patch", "severity", "needle"),
    [
        ('[{"name": "main"}]', "error", "podSpecPatch is a list, not a pod spec"),
        ('{"containers": {"name": "main"}}', "error", "at containers: expected a list"),
        ("{activeDeadlineSeconds: soon}", "error", "at activeDeadlineSeconds: expected"),
        ('{"container": [{"name": "main"}]}', "warning", 'did you mean "containers"?'),
    ],
)
def test_a_pod_spec_patch_that_is_not_a_pod_spec(patch: str, severity: str, needle: str) -> None:
    doc = workflow([main(podSpecPatch=patch)])
    finding = at(lint(doc), "spec.templates[0].podSpecPatch", severity)
    assert needle in finding.message


def test_a_pod_spec_patch_argo_applies() -> None:
    patch = (
        '{"containers": [{"name": "main", "resources": {"limits": {"memory": "1Gi"}}}], '
        '"terminationGracePeriodSeconds": 5, "nodeSelector": {"pool": "builds"}}'
    )
    assert lint(workflow([main(podSpecPatch=patch)])) == []


def volume_library() -> dict[str, Any]:
    mounts = [{"name": "workspace", "mountPath": "/workspace"}]
    clone = {"name": "clone", "container": {"image": "alpine:3.20", "volumeMounts": mounts}}
    doc = cluster_library()
    doc["spec"]["templates"] = [clone]
    doc["metadata"] = {"name": "printer", "annotations": {CALLER_PROVIDES: "workspace"}}
    return doc


def test_a_library_caller_that_never_declares_the_workspace_is_an_error() -> None:
    call = {
        "name": "c",
        "templateRef": {"name": "printer", "template": "clone", "clusterScope": True},
    }
    doc = workflow([{"name": "main", "steps": [[call]]}])
    assert lint(volume_library()) == []  # the library alone says who provides it
    finding = at(lint([volume_library(), doc]), "spec.templates[0].steps[0][0].templateRef")
    assert "mounts volume workspace, which its callers provide" in finding.message
    claim = {"metadata": {"name": "workspace"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    doc["spec"]["volumeClaimTemplates"] = [claim]
    assert errors(lint([volume_library(), doc])) == []


def test_bare_item_outside_a_loop_is_only_a_warning() -> None:
    """Argo checks tags under "item." only (resolveAllVariables): it accepts {{item}}."""
    doc = workflow([main(container={"image": "alpine:3.20", "args": ["{{item}}"]})])
    finding = at(lint(doc), "spec.templates[0].container.args[0]", "warning")
    assert "leaves it as the text {{item}}" in finding.message
    keyed = workflow([main(container={"image": "alpine:3.20", "args": ["{{item.a}}"]})])
    assert "withItems" in at(lint(keyed), "spec.templates[0].container.args[0]").message


# ----------------------------------------------------------------- 7: GitHub EventSource


def github(**source: Any) -> dict[str, Any]:
    src = {
        "repositories": [{"owner": "acme", "names": ["app"]}],
        "webhook": {"endpoint": "/push", "port": "12000", "method": "POST", "url": ""},
        "webhookSecret": {"name": "hook", "key": "secret"},
        **source,
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventSource",
        "metadata": {"name": "app", "namespace": NS},
        "spec": {"github": {"push": src}},
    }


def test_github_events_are_needed_only_when_argo_events_creates_the_hook() -> None:
    assert lint(github()) == []  # the hook is made by hand: no events needed
    token = {"name": "github-api", "key": "token"}
    hook = {"endpoint": "/push", "port": "12000", "method": "POST", "url": "https://x.example"}
    managed = github(apiToken=token, webhook=hook)
    finding = at(lint(managed), "spec.github.push.events")
    assert "events must be defined to create a github webhook" in finding.message
    assert lint(github(apiToken=token, webhook=hook, events=["push"])) == []


def test_github_repositories_and_organizations_are_exclusive() -> None:
    finding = at(lint(github(organizations=["acme"])), "spec.github.push")
    assert "only one of repositories and organizations is allowed" in finding.message


def test_the_run_time_rules_reach_defaults_inline_templates_and_dag_tasks() -> None:
    retry = {"limit": 2, "backoff": {"duration": "soon"}}
    doc = workflow([main()], templateDefaults={"retryStrategy": retry})
    at(lint(doc), "spec.templateDefaults.retryStrategy.backoff.duration")
    inline = {"container": {"image": "alpine:3.20"}, "retryStrategy": retry}
    doc = workflow([{"name": "main", "steps": [[{"name": "s", "inline": inline}]]}])
    at(lint(doc), "spec.templates[0].steps[0][0].inline.retryStrategy.backoff.duration")
    ref = {"name": "printer", "template": "clone", "clusterScope": True}
    doc = workflow([{"name": "main", "dag": {"tasks": [{"name": "c", "templateRef": ref}]}}])
    finding = at(lint([volume_library(), doc]), "spec.templates[0].dag.tasks[0].templateRef")
    assert "mounts volume workspace" in finding.message
