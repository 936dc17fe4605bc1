"""Triggers: the EventSource, Sensor and CronWorkflow a config implies.

Every rendered EventSource and Sensor is validated against Argo Events v1.9.11's schema
with unknown fields refused (tests/support/events_schema.py). The Sensor's data filters and
parameter templates are then *evaluated* against trimmed real payloads of GitHub, GitLab and
the generic webhook, the way Argo Events v1.9.11 does (pkg/sensors/dependencies/filter.go:
gjson paths, Go regular expressions matched anywhere, bools parsed; pkg/sensors/triggers/
params.go: ``dataTemplate`` over ``.Input``, the result set at ``dest`` with sjson), so a
wrong path, an unanchored pattern or a ``refs/tags/`` left in the tag shows up here.

An event may be given as raw JSON text, so that a key may appear twice: the data filters
read it as gjson does (the FIRST of duplicate keys: ``gjson.GetBytes``), the parameter
templates as params.go ``getValueWithTemplate`` does (``gjson.ParseBytes(...).Value()``
builds a map, so the LAST wins).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from argo_buildpacks import to_manifest, workflow_template
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.release import tag_pattern_regex
from argo_buildpacks.templates.triggers import (
    cron_workflow,
    event_source,
    release_workflow,
    sensor,
)
from tests.support.events_schema import errors

URL = "https://github.com/acme/my-python-app.git"
ZERO = "0" * 40
SHA = "a" * 40

GITHUB = {"provider": "github", "webhook_secret": "github-webhook"}
GITLAB = {
    "provider": "gitlab",
    "webhook_secret": "gitlab-webhook",
    "access_token_secret": "gitlab-api",
    "webhook_url": "https://hooks.example.com",
}
WEBHOOK = {"provider": "webhook", "webhook_secret": "hook-token"}


def make(trigger: dict[str, Any], *, from_git: bool = False, **extra: Any) -> BuildConfig:
    url = extra.pop("url", URL)
    return BuildConfig.from_dict(
        {
            "name": "my-python-app",
            "namespace": "ci",
            "source": {"url": url},
            "image": "registry.example.com/acme/my-python-app",
            "tag": {"from_git": from_git},
            "trigger": trigger,
            **extra,
        }
    )


# ----------------------------------------------------------------- a model of Argo Events


def gjson(data: Any, path: str) -> Any:
    """gjson's plain dotted path (no wildcards or escapes are used by the Sensor)."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            raise KeyError(path)
        data = data[key]
    return data


def _first_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def decoded(event: dict[str, Any] | str) -> tuple[Any, Any]:
    """``event`` as the data filters read it (gjson: first duplicate key) and as a
    ``dataTemplate`` reads it (a map: last duplicate key)."""
    if isinstance(event, str):
        return json.loads(event, object_pairs_hook=_first_keys), json.loads(event)
    return event, event


def matches(dependency: dict[str, Any], event: dict[str, Any] | str) -> bool:
    """filterData with the AND operator (the default) over ``dependency``'s data filters."""
    data = decoded(event)[0]
    for f in dependency["filters"]["data"]:
        try:
            value = gjson(data, f["path"])
        except KeyError:
            return False  # "path does not exist": the filter fails
        if f["type"] == "bool":
            if not any((v.lower() == "true") == bool(value) for v in f["value"]):
                return False
        elif f["type"] == "string":
            text = value if isinstance(value, str) else str(value)
            hit = any(re.search(v, text) for v in f["value"])
            if hit == (f.get("comparator", "=") == "!="):
                return False
        else:  # pragma: no cover - the Sensor uses no other type
            raise AssertionError(f["type"])
    return True


# The Sensor's one template shape: the filter's pattern again (sprig regexMatch, unanchored
# like Go's regexp.MatchString), then the value: the field, or it without a prefix.
_GUARDED = re.compile(r"\{\{ if regexMatch `([^`]*)` \.Input\.([A-Za-z.]+) \}\}(.*)\{\{ end \}\}")
_VALUE = re.compile(r'\{\{ (?:trimPrefix "([^"]*)" )?\.Input\.([A-Za-z.]+) \}\}')


def template_value(template: str, data: Any) -> str | None:
    """What ``getValueWithTemplate`` yields, or ``None`` where Argo Events fails the
    trigger: a missing field (regexMatch of a nil is a template error) or an empty
    result ("template evaluated to empty string")."""
    guard = _GUARDED.fullmatch(template)
    assert guard, template
    value = _VALUE.fullmatch(guard.group(3))
    assert value, template
    try:
        checked = gjson(data, guard.group(2))
        field = gjson(data, value.group(2))
    except KeyError:
        return None
    if not isinstance(checked, str) or not re.search(guard.group(1), checked):
        return None
    return str(field).removeprefix(value.group(1) or "") or None


def submitted(sensor_doc: dict[str, Any], event: dict[str, Any] | str) -> list[dict[str, Any]]:
    """The workflows the Sensor submits for ``event``: each trigger whose condition (one
    dependency) matches and whose parameters all resolve, applied to a copy of its
    resource."""
    deps = {d["name"]: d for d in sensor_doc["spec"]["dependencies"]}
    data = decoded(event)[1]
    out = []
    for trig in sensor_doc["spec"]["triggers"]:
        tmpl = trig["template"]
        if not matches(deps[tmpl["conditions"]], event):
            continue
        wf = copy.deepcopy(tmpl["argoWorkflow"]["source"]["resource"])
        resolved = True
        for param in tmpl["argoWorkflow"]["parameters"]:
            value = template_value(param["src"]["dataTemplate"], data)
            if value is None:  # params.go ResolveParamValue: the fallback ``value``, if any
                value = param["src"].get("value")
            if value is None:  # params.go: "unable to resolve ... parameter value"
                resolved = False
                break
            dest = param["dest"].split(".")
            assert dest[:3] == ["spec", "arguments", "parameters"], dest
            wf["spec"]["arguments"]["parameters"][int(dest[3])][dest[4]] = value
        if resolved:
            out.append(wf)
    return out


def args(wf: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]}


def github_push(ref: str, *, repo: str = "acme/my-python-app", **body: Any) -> dict[str, Any]:
    """What the GitHub EventSource dispatches: headers, and the body with X-GitHub-Event."""
    payload = {
        "ref": ref,
        "before": ZERO,
        "after": SHA,
        "created": True,
        "deleted": False,
        "repository": {"full_name": repo, "clone_url": f"https://github.com/{repo}.git"},
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    payload.update(body)
    return {"headers": {"X-Github-Event": [payload["X-GitHub-Event"]]}, "body": payload}


def gitlab_push(ref: str, *, kind: str = "tag_push", after: str = SHA, **project: Any) -> Any:
    payload = {
        "object_kind": kind,
        "event_name": kind,
        "before": ZERO,
        "after": after,
        "ref": ref,
        "checkout_sha": None if after == ZERO else after,
        "project": {"path_with_namespace": "acme/my-python-app", **project},
    }
    return {"headers": {"X-Gitlab-Event": ["Tag Push Hook"]}, "body": payload}


def webhook_push(ref: str, repository: str = URL) -> Any:
    return {"header": {}, "body": {"ref": ref, "repository": repository}}


# ----------------------------------------------------------------- schema


BRANCHES = {**GITHUB, "branches": ["main", "release/1.x"]}
GITLAB_BRANCHES = {**GITLAB, "branches": ["main"]}


@pytest.mark.parametrize(
    ("trigger", "from_git"),
    [
        *[(t, g) for t in (GITHUB, GITLAB, WEBHOOK) for g in (False, True)],
        (BRANCHES, True),  # branch builds need tag.from_git
        (GITLAB_BRANCHES, True),
    ],
)
def test_rendered_objects_are_schema_valid(trigger: dict[str, Any], from_git: bool) -> None:
    config = make(trigger, from_git=from_git)
    for doc in (event_source(config), sensor(config)):
        assert errors(doc) == [], doc["kind"]


def test_the_strict_schema_refuses_unknown_and_misplaced_fields() -> None:
    doc = sensor(make(GITHUB))
    doc["spec"]["triggers"][0]["template"]["argoWorkflow"]["paramters"] = []
    doc["spec"]["dependencies"][0]["filters"]["data"][0]["typ"] = "string"
    found = errors(doc)
    assert any("'paramters' was unexpected" in e for e in found), found
    assert any("'typ' was unexpected" in e for e in found), found
    source = event_source(make(GITHUB))
    del source["spec"]["github"]["push"]["webhook"]["port"]
    assert any("'port' is a required property" in e for e in errors(source))


# ----------------------------------------------------------------- behaviour of the Sensor


def test_github_tag_push_submits_the_tag_ref_and_the_pushed_commit() -> None:
    """The revision is the full ref: the clone fetches refs/tags/v1.4.2 and nothing else,
    never a branch named v1.4.2; the pushed SHA must be what it fetches."""
    config = make(GITHUB)
    doc = sensor(config)
    [wf] = submitted(doc, github_push("refs/tags/v1.4.2"))
    assert args(wf) == {
        "tag": "v1.4.2",
        "revision": "refs/tags/v1.4.2",
        "expected-commit": SHA,
    }
    assert wf["spec"]["workflowTemplateRef"] == {"name": "my-python-app"}
    assert wf["metadata"]["namespace"] == "ci"
    assert wf["metadata"]["generateName"] == "my-python-app-"


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (github_push("refs/heads/main"), "a branch push"),
        (github_push("refs/tags/release-1.4.2"), "a tag outside the pattern"),
        (github_push("refs/tags/v1/x"), "'*' does not cross '/'"),
        (github_push("refs/tags/v1.4.2", repo="acme/other"), "another repository"),
        (github_push("refs/tags/v1.4.2", repo="acme/my-python-app-fork"), "a longer name"),
        (github_push("refs/tags/v1.4.2", repo="evil/acme/my-python-app"), "a longer name"),
        (github_push("refs/tags/v1.4.2", deleted=True, after=ZERO), "a tag deletion"),
        (github_push("refs/tags/v1.4.2", **{"X-GitHub-Event": "create"}), "not a push"),
        ({"headers": {}, "body": {"zen": "hi", "X-GitHub-Event": "ping"}}, "a ping"),
    ],
)
def test_github_events_that_build_nothing(event: dict[str, Any], why: str) -> None:
    doc = sensor(make({**GITHUB, "branches": ["main"]}, from_git=True))
    if why == "a branch push":
        doc = sensor(make(GITHUB))  # no branch builds configured
    assert submitted(doc, event) == [], why


def test_repository_names_compare_case_insensitively_like_github() -> None:
    [wf] = submitted(
        sensor(make(GITHUB)), github_push("refs/tags/v2.0.0", repo="Acme/My-Python-App")
    )
    assert args(wf)["tag"] == "v2.0.0"


def test_tag_pattern_is_a_glob() -> None:
    doc = sensor(make({**GITHUB, "tags": "release-?.*"}))
    [wf] = submitted(doc, github_push("refs/tags/release-1.4.2"))
    assert args(wf) == {
        "tag": "release-1.4.2",
        "revision": "refs/tags/release-1.4.2",
        "expected-commit": SHA,
    }
    assert submitted(doc, github_push("refs/tags/release-12.0")) == []
    assert submitted(doc, github_push("refs/tags/v1.0.0")) == []
    assert tag_pattern_regex("v*") == "^v[^/]*$"
    assert tag_pattern_regex("1.+") == r"^1\.\+$"


def test_branch_builds_use_the_version_from_git() -> None:
    doc = sensor(make({**GITHUB, "branches": ["main", "release/1.x"]}, from_git=True))
    [wf] = submitted(doc, github_push("refs/heads/release/1.x"))
    # The pushed SHA too: the clone builds the commit pushed, or nothing.
    assert args(wf) == {"tag": "", "revision": "refs/heads/release/1.x", "expected-commit": SHA}
    assert submitted(doc, github_push("refs/heads/feature")) == []
    assert submitted(doc, github_push("refs/heads/mainline")) == []
    [tagged] = submitted(doc, github_push("refs/tags/v1.5.0"))
    assert args(tagged) == {
        "tag": "v1.5.0",
        "revision": "refs/tags/v1.5.0",
        "expected-commit": SHA,
    }


def test_branch_builds_without_from_git_are_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match=r"trigger\.branches \['main'\] need tag\.from_git"):
        make({**GITHUB, "branches": ["main"]})


def test_gitlab_tag_push() -> None:
    doc = sensor(make(GITLAB))
    [wf] = submitted(doc, gitlab_push("refs/tags/v1.4.2"))
    assert args(wf) == {
        "tag": "v1.4.2",
        "revision": "refs/tags/v1.4.2",
        "expected-commit": SHA,
    }
    assert submitted(doc, gitlab_push("refs/tags/v1.4.2", after=ZERO)) == []  # deletion
    assert submitted(doc, gitlab_push("refs/heads/main", kind="push")) == []
    other = gitlab_push("refs/tags/v1.4.2")
    other["body"]["project"]["path_with_namespace"] = "acme/other"
    assert submitted(doc, other) == []


def test_gitlab_branch_push() -> None:
    doc = sensor(make({**GITLAB, "branches": ["main"]}, from_git=True))
    [wf] = submitted(doc, gitlab_push("refs/heads/main", kind="push"))
    assert args(wf) == {"tag": "", "revision": "refs/heads/main", "expected-commit": SHA}
    source = event_source(make({**GITLAB, "branches": ["main"]}, from_git=True))
    assert source["spec"]["gitlab"]["push"]["events"] == ["TagPushEvents", "PushEvents"]


def test_gitlab_without_hook_management_is_refused() -> None:
    # Argo Events v1.9.11 compares X-Gitlab-Token only when it registers the hook itself.
    with pytest.raises(ConfigError, match="needs access_token_secret and webhook_url"):
        make({"provider": "gitlab", "webhook_secret": "gitlab-webhook"})


def test_generic_webhook() -> None:
    doc = sensor(make(WEBHOOK))
    [wf] = submitted(doc, webhook_push("refs/tags/v1.4.2"))
    # The generic webhook carries no SHA: the clone checks none.
    assert args(wf) == {"tag": "v1.4.2", "revision": "refs/tags/v1.4.2", "expected-commit": ""}
    assert submitted(doc, webhook_push("refs/tags/v1.4.2", URL + ".evil")) == []
    assert submitted(doc, webhook_push("refs/tags/v1.4.2", "https://github.com/acme/x.git")) == []


def test_secrets_are_references_in_the_event_source() -> None:
    gh = event_source(make(GITHUB))["spec"]["github"]["push"]
    assert gh["webhookSecret"] == {"name": "github-webhook", "key": "secret"}
    assert gh["repositories"] == [{"owner": "acme", "names": ["my-python-app"]}]
    gl = event_source(make(GITLAB))["spec"]["gitlab"]["push"]
    assert gl["secretToken"] == {"name": "gitlab-webhook", "key": "secret"}
    assert gl["accessToken"] == {"name": "gitlab-api", "key": "token"}
    assert gl["gitlabBaseURL"] == "https://github.com"  # the origin of source.url
    assert gl["projects"] == ["acme/my-python-app"]
    hook = event_source(make(WEBHOOK))["spec"]["webhook"]["push"]
    assert hook["authSecret"] == {"name": "hook-token", "key": "secret"}


def test_pods_are_restricted_and_the_sensor_has_its_own_account() -> None:
    doc = sensor(make(GITHUB))
    template = doc["spec"]["template"]
    assert template["serviceAccountName"] == "my-python-app-sensor"
    assert template["securityContext"]["runAsNonRoot"] is True
    container = template["container"]["securityContext"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}


def test_a_repository_url_without_owner_and_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="names no hosted repository"):
        make(GITHUB, url="file:///srv/git/app.git")


def test_the_submitted_workflow_lints_against_the_template() -> None:
    config = make(GITHUB)
    template = to_manifest(workflow_template(config))
    wf = sensor(config)["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
    assert [f for f in lint([template, wf]) if f.severity == "error"] == []


def test_release_workflow_takes_a_template_object_and_accepts_no_tag() -> None:
    config = make(GITHUB)  # tag.from_git off: workflow_for would refuse an empty tag
    wf = to_manifest(release_workflow(workflow_template(config)))
    assert wf["spec"]["workflowTemplateRef"] == {"name": "my-python-app"}
    assert args(wf) == {"tag": "", "revision": "", "expected-commit": ""}
    assert wf["metadata"]["namespace"] == "ci"


# ----------------------------------------------------------------- schedule


def test_cron_workflow_rebuilds_the_revision_with_the_version_from_git() -> None:
    config = make(GITHUB, from_git=True, schedule="0 3 * * 1")
    doc = cron_workflow(config)
    assert doc["spec"]["schedules"] == ["0 3 * * 1"]
    assert args({"spec": doc["spec"]["workflowSpec"]}) == {"tag": "", "revision": "main"}
    assert doc["spec"]["workflowSpec"]["workflowTemplateRef"] == {"name": "my-python-app"}
    template = to_manifest(workflow_template(config))
    assert [f for f in lint([template, doc]) if f.severity == "error"] == []


def test_schedule_without_from_git_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="scheduled rebuild has no pushed tag"):
        make(GITHUB, schedule="0 3 * * 1")


def test_bad_schedule_names_the_value_and_the_format() -> None:
    with pytest.raises(ConfigError, match=r"schedule: schedule 'weekly' is not a cron"):
        make(GITHUB, from_git=True, schedule="weekly")


# ----------------------------------------------------------------- duplicate keys (issue 19)


def raw_webhook(*refs: str, repository: str = URL) -> str:
    """A generic-webhook event whose body holds ``ref`` once per given value, in order."""
    keys = ", ".join(f'"ref": {json.dumps(r)}' for r in refs)
    return f'{{"header": {{}}, "body": {{{keys}, "repository": {json.dumps(repository)}}}}}'


def test_a_body_with_two_refs_submits_only_a_ref_the_filter_accepts() -> None:
    """The filter reads the first ``ref`` (gjson), the templates the last (a map): a first
    matching tag must not carry a last branch (or another tag's text) into the run. Each
    template applies the filter's pattern to what it reads, so the trigger fails instead."""
    doc = sensor(make(WEBHOOK))
    event = raw_webhook("refs/tags/v1.4.2", "refs/heads/evil")
    # What each side reads: the attack's premise, as Argo Events parses it.
    assert decoded(event)[0]["body"]["ref"] == "refs/tags/v1.4.2"
    assert decoded(event)[1]["body"]["ref"] == "refs/heads/evil"
    assert matches(doc["spec"]["dependencies"][0], event)  # the filter passes...
    assert submitted(doc, event) == []  # ... and nothing is submitted
    # The same with the tag pattern broken the other way round: a non-matching first ref is
    # filtered out, whatever follows.
    assert submitted(doc, raw_webhook("refs/heads/evil", "refs/tags/v1.4.2")) == []
    # Two refs that both pass the filter's pattern: the run is of one the filter accepts.
    [wf] = submitted(doc, raw_webhook("refs/tags/v1.4.2", "refs/tags/v1.4.3"))
    assert args(wf)["revision"] in {"refs/tags/v1.4.2", "refs/tags/v1.4.3"}
    assert args(wf)["revision"] == "refs/tags/" + args(wf)["tag"]


def test_every_sensor_template_rechecks_the_filter_pattern() -> None:
    """The rule the test above relies on, for every provider and trigger: no template
    reads ``body.ref`` (or ``body.after``) without the pattern its filter applies."""
    for trigger in (GITHUB, GITLAB_BRANCHES, WEBHOOK, BRANCHES):
        doc = sensor(make(trigger, from_git=True))
        deps = {d["name"]: d for d in doc["spec"]["dependencies"]}
        for trig in doc["spec"]["triggers"]:
            filters = deps[trig["template"]["conditions"]]["filters"]["data"]
            ref_filter = next(f for f in filters if f["path"] == "body.ref")
            for param in trig["template"]["argoWorkflow"]["parameters"]:
                guard = _GUARDED.fullmatch(param["src"]["dataTemplate"])
                assert guard, param
                if guard.group(2) == "body.ref" and "value" in param["src"]:
                    # tag, with its fallback "" (a branch): one alternative of the filter's
                    assert ref_filter["value"][0].startswith(guard.group(1) + "|"), param
                elif guard.group(2) == "body.ref":
                    assert [guard.group(1)] == ref_filter["value"]
                else:
                    assert guard.group(2) == "body.after"
                    assert guard.group(1) == "^([0-9a-f]{40}|[0-9a-f]{64})$"
