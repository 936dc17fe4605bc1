"""RBAC (least privilege), the multi-document ``render`` stream, and lint of EventSource and
Sensor manifests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from argo_buildpacks.cli._main import cli
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates.rbac import rbac_objects, release_manifests
from tests.support.events_schema import errors

APP: dict[str, Any] = {
    "name": "my-python-app",
    "namespace": "ci",
    "source": {"url": "https://github.com/acme/my-python-app.git"},
    "image": "registry.example.com/acme/my-python-app",
    "tag": {"from_git": True},
    "trigger": {"provider": "github", "webhook_secret": "github-webhook", "branches": ["main"]},
    "schedule": "0 3 * * 1",
    "deploy": {"kubernetes": {"namespace": "apps", "deployment": "web", "container": "app"}},
}


def make(**changes: Any) -> BuildConfig:
    data = copy.deepcopy(APP)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return BuildConfig.from_dict(data)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# ----------------------------------------------------------------- RBAC


def test_every_role_is_least_privilege() -> None:
    docs = rbac_objects(make())
    roles = by_kind(docs, "Role")
    assert set(roles) == {"my-python-app-deploy", "my-python-app-executor", "my-python-app-sensor"}
    deploy = roles["my-python-app-deploy"]
    assert deploy["metadata"]["namespace"] == "apps"  # where the Deployment is, only
    assert deploy["rules"] == [
        {
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "resourceNames": ["web"],
            "verbs": ["get", "list", "watch", "patch"],
        }
    ]
    assert roles["my-python-app-executor"]["rules"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]
    assert roles["my-python-app-sensor"]["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create", "list"]},
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtemplates"],
            "resourceNames": ["my-python-app"],
            "verbs": ["get"],
        },
    ]
    for role in roles.values():
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_bindings_tie_each_account_to_its_role_only() -> None:
    docs = rbac_objects(make())
    bindings = by_kind(docs, "RoleBinding")
    subjects = {
        name: [(s["name"], s["namespace"]) for s in b["subjects"]] for name, b in bindings.items()
    }
    assert subjects == {
        "my-python-app-deploy": [("my-python-app-deploy", "ci")],
        "my-python-app-executor": [
            ("my-python-app-executor", "ci"),
            ("my-python-app-deploy", "ci"),
        ],
        "my-python-app-sensor": [("my-python-app-sensor", "ci")],
    }
    for name, binding in bindings.items():
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": name,
        }
    assert set(by_kind(docs, "ServiceAccount")) == {
        "my-python-app-executor",
        "my-python-app-deploy",
        "my-python-app-sensor",
    }


def test_accounts_follow_the_config() -> None:
    config = make(
        service_account="builds",
        deploy={"gitops": {"repo": "https://g.example.com/d.git", "path": "kustomization.yaml"}},
        trigger={**APP["trigger"], "service_account": "events"},
    )
    docs = rbac_objects(config)
    assert set(by_kind(docs, "ServiceAccount")) == {"builds", "events"}
    assert "my-python-app-deploy" not in by_kind(docs, "Role")  # GitOps needs no API rights
    executor = by_kind(docs, "RoleBinding")["my-python-app-executor"]
    assert [s["name"] for s in executor["subjects"]] == ["builds"]


def test_the_objects_reference_the_accounts_the_rbac_creates() -> None:
    docs = release_manifests(make())
    accounts = set(by_kind(docs, "ServiceAccount"))
    template = by_kind(docs, "WorkflowTemplate")["my-python-app"]
    [deploy] = [t for t in template["spec"]["templates"] if t["name"] == "deploy"]
    assert deploy["serviceAccountName"] in accounts
    sensor = by_kind(docs, "Sensor")["my-python-app"]
    assert sensor["spec"]["template"]["serviceAccountName"] in accounts


# ----------------------------------------------------------------- the stream


def test_release_manifests_in_apply_order() -> None:
    kinds = [d["kind"] for d in release_manifests(make())]
    assert kinds == [
        "ServiceAccount",
        "Secret",  # the executor account's token, right after the account
        "ServiceAccount",
        "ServiceAccount",
        "Role",
        "Role",
        "Role",
        "RoleBinding",
        "RoleBinding",
        "RoleBinding",
        "WorkflowTemplate",
        "EventSource",
        "Sensor",
        "CronWorkflow",
    ]


def test_a_config_without_release_sections_renders_its_executor_account_and_template() -> None:
    docs = release_manifests(make(trigger=None, schedule=None, deploy=None))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("ServiceAccount", "my-python-app-executor"),
        ("Secret", "my-python-app-executor.service-account-token"),
        ("Role", "my-python-app-executor"),
        ("RoleBinding", "my-python-app-executor"),
        ("WorkflowTemplate", "my-python-app"),
    ]
    assert docs[-1]["spec"]["executor"] == {"serviceAccountName": "my-python-app-executor"}
    assert [str(f) for f in lint(docs)] == []


def test_the_executor_token_secret_is_the_one_argo_mounts() -> None:
    """Kubernetes >= 1.24 creates no token Secret; Argo mounts ``<account>.service-account-
    token`` for an executor account that lists none (util/secrets/secret_name.go, TokenName;
    workflow/controller/operator.go getServiceAccountTokenName)."""
    for config, account in (
        (make(trigger=None, schedule=None, deploy=None), "my-python-app-executor"),
        (make(service_account="builds"), "builds"),
        (make(executor_service_account="runner"), "runner"),
    ):
        docs = rbac_objects(config)
        (secret,) = by_kind(docs, "Secret").values()
        assert secret == {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": f"{account}.service-account-token",
                "namespace": "ci",
                "labels": {
                    "app.kubernetes.io/managed-by": "argo-buildpacks",
                    "argo-buildpacks.io/app": "my-python-app",
                },
                "annotations": {"kubernetes.io/service-account.name": account},
            },
            "type": "kubernetes.io/service-account-token",
        }
        names = [(d["kind"], d["metadata"]["name"]) for d in docs]
        assert names.index(("ServiceAccount", account)) < names.index(
            ("Secret", f"{account}.service-account-token")
        )


def test_cluster_templates_cannot_be_triggered() -> None:
    with pytest.raises(ConfigError, match="kind 'ClusterWorkflowTemplate' with trigger"):
        release_manifests(make(), kind="ClusterWorkflowTemplate")


def test_the_whole_stream_lints_clean_and_events_are_schema_valid() -> None:
    docs = release_manifests(make())
    assert [str(f) for f in lint(docs)] == []
    for doc in docs:
        if doc["kind"] in ("EventSource", "Sensor"):
            assert errors(doc) == []


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_render_writes_every_object_as_one_stream(tmp_path: Path, fmt: str) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(APP))
    result = CliRunner().invoke(cli, ["render", "-f", str(config), "--output", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "yaml":
        docs = list(yaml.safe_load_all(result.stdout))
        assert result.stdout.count("\n---\n") == len(docs) - 1
    else:
        listing = json.loads(result.stdout)
        assert listing["apiVersion"] == "v1" and listing["kind"] == "List"
        docs = listing["items"]
    assert docs == release_manifests(BuildConfig.from_dict(APP))
    assert [str(f) for f in lint(docs)] == []


def test_render_of_a_plain_config_writes_the_account_its_template_names(tmp_path: Path) -> None:
    data = {k: v for k, v in APP.items() if k not in ("trigger", "schedule", "deploy")}
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["render", "-f", str(config)])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == [
        "ServiceAccount",
        "Secret",
        "Role",
        "RoleBinding",
        "WorkflowTemplate",
    ]
    assert docs[-1]["spec"]["executor"]["serviceAccountName"] == docs[0]["metadata"]["name"]


# ----------------------------------------------------------------- lint of Sensor/EventSource


def stream() -> list[dict[str, Any]]:
    return release_manifests(make())


def sensor_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [doc] = [d for d in docs if d["kind"] == "Sensor"]
    return doc


def messages(docs: list[dict[str, Any]]) -> list[str]:
    return [str(f) for f in lint(docs) if f.severity == "error"]


def test_lint_finds_a_sensor_whose_template_is_not_in_the_set() -> None:
    docs = [d for d in stream() if d["kind"] != "WorkflowTemplate"]
    assert messages(docs) == [
        "Sensor/my-python-app: spec.triggers[0].template.argoWorkflow.source.resource.spec."
        'workflowTemplateRef.name: WorkflowTemplate "my-python-app" is not in the linted set: '
        "lint the Sensor together with it",
    ]  # one trigger for tags and branches (every EventBus accepts the Sensor)


def test_lint_finds_a_missing_required_parameter() -> None:
    config = make(
        tag={"from_git": False}, trigger={**APP["trigger"], "branches": []}, schedule=None
    )
    docs = release_manifests(config)
    resource = sensor_of(docs)["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"][
        "resource"
    ]
    resource["spec"]["arguments"]["parameters"] = [{"name": "revision", "value": ""}]
    found = messages(docs)
    assert any('requires parameter "tag", which the workflow does not supply' in m for m in found)
    assert any('dest "spec.arguments.parameters.1.value" names no argument' in m for m in found)


def test_lint_finds_unknown_fields_and_dangling_names() -> None:
    docs = stream()
    sensor = sensor_of(docs)
    sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["paramters"] = []
    sensor["spec"]["triggers"][0]["template"]["conditions"] = "tag-pushed"
    sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["parameters"][0]["src"][
        "dependencyName"
    ] = "nope"
    found = messages(docs)
    assert any('unknown field "paramters"; did you mean "parameters"?' in m for m in found), found
    assert any('condition names dependency "tag-pushed", which is not declared' in m for m in found)
    assert any('dependency "nope" is not declared' in m for m in found)


def test_lint_checks_the_workflow_the_sensor_submits() -> None:
    docs = stream()
    resource = sensor_of(docs)["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"][
        "resource"
    ]
    resource["spec"]["entrypointt"] = "main"
    assert any('unknown field "entrypointt"' in m for m in messages(docs))


def test_lint_event_source_rules() -> None:
    docs = stream()
    [source] = [d for d in docs if d["kind"] == "EventSource"]
    github = source["spec"]["github"]["push"]
    del github["repositories"]
    github["webhook"]["port"] = "http"
    found = messages(docs)
    assert any("either repositories or organizations is required" in m for m in found)
    assert any('port "http" is not a number in a string' in m for m in found)


def test_lint_warns_when_a_gitlab_token_would_not_be_checked() -> None:
    config = make(
        trigger={
            "provider": "gitlab",
            "webhook_secret": "gl",
            "access_token_secret": "gl-api",
            "webhook_url": "https://hooks.example.com",
        }
    )
    docs = release_manifests(config)
    assert [str(f) for f in lint(docs)] == []
    [source] = [d for d in docs if d["kind"] == "EventSource"]
    source["spec"]["gitlab"]["push"]["webhook"]["url"] = ""
    warnings = [f for f in lint(docs) if f.severity == "warning"]
    assert [f.message for f in warnings] == [
        "the X-Gitlab-Token is not checked: Argo Events v1.9 checks it only for hooks it "
        "registers (secretToken, accessToken and webhook.url all set)"
    ]


def test_lint_bundled_schema_is_the_tests_copy_without_descriptions() -> None:
    """The schema lint ships is tests/support/data's (Argo Events v1.9.11) minus prose: same
    definitions, same properties, same types and required fields."""
    from argo_buildpacks.linting._events import _definitions

    full = json.loads(
        (Path(__file__).parents[1] / "support" / "data" / "argo-events-schema.json").read_text()
    )
    bundled = _definitions()
    assert set(bundled) == set(full["definitions"])
    for name, definition in full["definitions"].items():
        ours = bundled[name]
        assert set(ours.get("properties", {})) == set(definition.get("properties", {})), name
        assert ours.get("required") == definition.get("required"), name
        assert ours.get("type") == definition.get("type"), name
        for prop, schema in definition.get("properties", {}).items():
            assert ours["properties"][prop].get("$ref") == schema.get("$ref"), (name, prop)
            assert ours["properties"][prop].get("type") == schema.get("type"), (name, prop)


def test_the_release_example_renders_lints_and_validates() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "my-python-app-release.yaml"
    docs = release_manifests(BuildConfig.from_file(example))
    assert [str(f) for f in lint(docs)] == []
    kinds = {d["kind"] for d in docs}
    assert {"EventSource", "Sensor", "CronWorkflow", "WorkflowTemplate", "Role"} <= kinds
    for doc in docs:
        if doc["kind"] in ("EventSource", "Sensor"):
            assert errors(doc) == []
