"""Issue 20, item 4: the Sensor runs on every EventBus, NATS Streaming included.

Argo Events v1.9.11 refuses, on a NATS Streaming EventBus (its quick-start bus), a Sensor
in which two dependencies name the same EventSource and event
(pkg/reconciler/sensor/validate.go line 524); Jetstream and Kafka accept it. Branch builds
used to add a second dependency on the same ``push`` event. The rendered Sensor now has one
dependency per event, and lint models the rule, naming the bus.

The Sensor's behaviour is evaluated with the model of Argo Events in test_triggers.py
(filters, templates, and the ``value`` fallback of params.go ``ResolveParamValue``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from argo_buildpacks import to_manifest, workflow_template
from argo_buildpacks.linting._lint import Finding, lint
from argo_buildpacks.templates.triggers import sensor
from tests.support.events_schema import errors as schema_errors
from tests.templates.test_triggers import (
    GITHUB,
    GITLAB,
    SHA,
    WEBHOOK,
    args,
    github_push,
    gitlab_push,
    make,
    raw_webhook,
    submitted,
    webhook_push,
)


def event_bus(kind: str, name: str = "default") -> dict[str, Any]:
    spec = {
        "nats": {"native": {}},
        "jetstream": {"version": "latest"},
        "kafka": {"url": "kafka:9092"},
    }[kind]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "EventBus",
        "metadata": {"name": name, "namespace": "ci"},
        "spec": {kind: spec},
    }


def nats_refusal(doc: dict[str, Any]) -> str:
    """Argo Events' validateDependencies on a NATS Streaming bus: the error, or ""."""
    seen: set[tuple[str, str]] = set()
    for dep in doc["spec"]["dependencies"]:
        key = (dep["eventSourceName"], dep["eventName"])
        if key in seen:
            return (
                f"event '{key[1]}' from EventSource '{key[0]}' is referenced for more than one "
                "dependency in this Sensor object"
            )
        seen.add(key)
    return ""


def bus_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.document.startswith("Sensor/") and "EventBus" in f.message]


PROVIDERS = [GITHUB, GITLAB, WEBHOOK]


@pytest.mark.parametrize("trigger", PROVIDERS, ids=lambda t: t["provider"])
@pytest.mark.parametrize("branches", [[], ["main", "release/1.x"]], ids=["tags", "branches"])
def test_every_rendered_sensor_is_accepted_by_every_event_bus(
    trigger: dict[str, Any], branches: list[str]
) -> None:
    config = make({**trigger, "branches": branches}, from_git=True)
    doc = sensor(config)
    assert nats_refusal(doc) == ""
    assert schema_errors(doc) == []
    template = to_manifest(workflow_template(config))
    for kind in ("nats", "jetstream", "kafka"):
        findings = lint([template, doc, event_bus(kind)])
        assert [f for f in findings if f.severity == "error"] == [], kind
        assert bus_findings(findings) == []


def test_the_two_dependency_shape_is_refused_on_nats_and_lint_names_the_bus() -> None:
    doc = sensor(make({**GITHUB, "branches": ["main"]}, from_git=True))
    twin = copy.deepcopy(doc["spec"]["dependencies"][0])
    twin["name"] = "branch-push"
    doc["spec"]["dependencies"].append(twin)
    assert "referenced for more than one dependency" in nats_refusal(doc)

    [finding] = bus_findings(lint([doc, event_bus("nats")]))
    assert finding.path == "spec.dependencies[1]"
    assert finding.severity == "error"
    assert 'dependencies "push" and "branch-push" both name event "push"' in finding.message
    assert 'EventBus "default" is NATS Streaming' in finding.message
    # Jetstream and Kafka accept it.
    assert bus_findings(lint([doc, event_bus("jetstream")])) == []
    assert bus_findings(lint([doc, event_bus("kafka")])) == []
    # The bus is not in the set: lint cannot know, says so and names the bus it uses.
    doc["spec"]["eventBusName"] = "builds"
    [unknown] = bus_findings(lint([doc, event_bus("nats")]))  # a "default" bus: not this one
    assert unknown.severity == "warning"
    assert 'EventBus "builds" is not among the linted objects' in unknown.message
    [named] = bus_findings(lint([doc, event_bus("nats", "builds")]))
    assert named.severity == "error"


def test_one_trigger_builds_tags_and_branches() -> None:
    doc = sensor(make({**GITHUB, "branches": ["main"]}, from_git=True))
    [tagged] = submitted(doc, github_push("refs/tags/v1.4.2"))
    assert args(tagged) == {"tag": "v1.4.2", "revision": "refs/tags/v1.4.2", "expected-commit": SHA}
    [branch] = submitted(doc, github_push("refs/heads/main"))
    assert args(branch) == {"tag": "", "revision": "refs/heads/main", "expected-commit": SHA}
    gitlab = sensor(make({**GITLAB, "branches": ["main"]}, from_git=True))
    [pushed] = submitted(gitlab, gitlab_push("refs/heads/main", kind="push"))
    assert args(pushed)["revision"] == "refs/heads/main"
    [tag_push] = submitted(gitlab, gitlab_push("refs/tags/v2.0.0"))
    assert args(tag_push)["tag"] == "v2.0.0"


@pytest.mark.parametrize(
    "ref",
    ["refs/tags/release-1", "refs/heads/feature", "refs/heads/mainline", "refs/pull/1/head"],
)
def test_the_empty_tag_fallback_never_carries_another_ref(ref: str) -> None:
    """``tag`` falls back to "" when its template yields nothing; ``revision`` has no
    fallback and admits a matching tag or branch only, so no other ref is ever built."""
    for trigger, event in ((GITHUB, github_push(ref)), (WEBHOOK, webhook_push(ref))):
        doc = sensor(make({**trigger, "branches": ["main"]}, from_git=True))
        assert submitted(doc, event) == [], (trigger["provider"], ref)


def test_duplicate_refs_submit_only_what_the_patterns_accept() -> None:
    """The filter reads the first ``ref``, the templates the last: a first branch ref must
    not carry a last ref that no pattern accepts into the run (issue 19's attack, now with
    the combined dependency)."""
    doc = sensor(make({**WEBHOOK, "branches": ["main"]}, from_git=True))
    assert submitted(doc, raw_webhook("refs/heads/main", "refs/heads/evil")) == []
    assert submitted(doc, raw_webhook("refs/heads/main", "refs/tags/nope")) == []
    [wf] = submitted(doc, raw_webhook("refs/heads/main", "refs/tags/v1.0.0"))
    assert args(wf)["revision"] == "refs/tags/" + args(wf)["tag"]
