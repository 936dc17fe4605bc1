"""ArgoClient against the local Argo API in ``tests/support/argo_fake.py``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from hera.shared import global_config

from argo_buildpacks.client import _client as client_module
from argo_buildpacks.client._client import SUBMISSION_LABEL, ArgoClient
from argo_buildpacks.client._http import RetryPolicy, error_from_body
from argo_buildpacks.client._templates import UPDATE_ATTEMPTS
from argo_buildpacks.errors import (
    AuthenticationError,
    ConfigError,
    ConflictError,
    InvalidRequestError,
    LintError,
    NotFoundError,
    PermissionDeniedError,
    PrivilegedError,
    ServerError,
    ServerUnavailableError,
    TagError,
    TransportError,
    WaitTimeoutError,
)
from argo_buildpacks.model.runs import Run, RunStatus, pod_name
from tests.support.argo_fake import FakeArgo, as_stored, fnv1a32
from tests.support.clock import FakeClock

OUTPUT_NAMES = ("image", "digest", "tags", "commit")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "my-python-app.yaml"


def template(name: str = "app-build", **metadata: Any) -> dict[str, Any]:
    """A small two-step WorkflowTemplate with the build's global outputs."""
    outputs = [
        {"name": n, "globalName": n, "valueFrom": {"path": f"/tmp/{n}"}} for n in OUTPUT_NAMES
    ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name, "labels": {"app": name}, **metadata},
        "spec": {
            "entrypoint": "main",
            "arguments": {
                "parameters": [
                    {"name": "tag", "value": ""},
                    {"name": "image", "value": "registry.example.com/acme/app"},
                    {"name": "revision", "value": "main"},
                    {"name": "mode", "value": "fast", "enum": ["fast", "slow"]},
                ]
            },
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "check", "template": "tag-check"}],
                        [{"name": "build", "template": "build"}],
                    ],
                },
                {
                    "name": "tag-check",
                    "container": {"image": "busybox:1.36", "command": ["true"]},
                },
                {
                    "name": "build",
                    "container": {"image": "busybox:1.36", "command": ["true"]},
                    "outputs": {"parameters": outputs},
                },
            ],
        },
    }


def cluster_template(name: str = "shared-build") -> dict[str, Any]:
    """The same template at cluster scope."""
    manifest = template(name)
    manifest["kind"] = "ClusterWorkflowTemplate"
    return manifest


class SpySession(requests.Session):
    """A real session that records what goes through it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.closed = 0

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        self.calls.append((str(method), str(url), kwargs))
        return super().request(method, url, *args, **kwargs)

    def close(self) -> None:
        self.closed += 1
        super().close()


@pytest.fixture
def applied(argo_client: ArgoClient) -> str:
    """The name of a template that exists on the fake."""
    argo_client.apply(template())
    return "app-build"


# -- configuration -----------------------------------------------------------------------------


def test_from_env_defaults_to_https_argo_namespace_and_verification() -> None:
    spy = SpySession()
    client = ArgoClient.from_env({"ARGO_SERVER": "argo.example.com:2746"}, session=spy)
    assert client.base_url == "https://argo.example.com:2746/"
    assert client.namespace == "argo"
    with pytest.raises(TransportError):
        # No such host: what matters is how the request was made.
        ArgoClient.from_env(
            {"ARGO_SERVER": "127.0.0.1:9"}, session=spy, retry=RetryPolicy(attempts=1)
        ).status("x")
    assert spy.calls[-1][2]["verify"] is True
    assert "Authorization" not in spy.calls[-1][2]["headers"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ArgoClient(None), "server must be a URL string, not NoneType"),  # type: ignore[arg-type]
        (lambda: ArgoClient("http://x", namespace=3), "namespace must be a string, not int"),  # type: ignore[arg-type]
        (lambda: ArgoClient.from_env({"ARGO_SERVER": 5}), "ARGO_SERVER must be a string"),  # type: ignore[dict-item]
    ],
)
def test_wrong_argument_types_raise_config_error(make: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


def test_from_env_insecure_skip_verify_turns_verification_off() -> None:
    spy = SpySession()
    env = {"ARGO_SERVER": "127.0.0.1:9", "ARGO_INSECURE_SKIP_VERIFY": "true"}
    client = ArgoClient.from_env(env, session=spy, retry=RetryPolicy(attempts=1))
    with pytest.raises(TransportError):
        client.status("x")
    assert spy.calls[-1][2]["verify"] is False


@pytest.mark.parametrize("token", ["test-token", "Bearer test-token", "  bearer test-token \n"])
def test_from_env_plain_http_with_token_with_or_without_bearer(
    argo_fake: FakeArgo, token: str
) -> None:
    env = {
        "ARGO_SERVER": argo_fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": token,
        "ARGO_NAMESPACE": "argo",
    }
    with ArgoClient.from_env(env) as client:
        assert client.base_url == f"{argo_fake.url}/"
        result = client.apply(template())
    assert result.action == "created"
    assert argo_fake.requests[-1].headers["authorization"] == "Bearer test-token"


def test_from_env_base_href_prefixes_every_path() -> None:
    with FakeArgo(base_href="/argo/") as fake:
        env = {
            "ARGO_SERVER": fake.address,
            "ARGO_SECURE": "False",
            "ARGO_TOKEN": "test-token",
            "ARGO_BASE_HREF": "/argo/",
        }
        with ArgoClient.from_env(env) as client:
            assert client.base_url == f"{fake.url}/argo/"
            client.apply(template())
            run = client.submit("app-build", tag="1.0.0")
            assert client.status(run).name == run.name
    assert fake.count("POST", "^/api/v1/workflows/argo/submit$") == 1


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "ARGO_SERVER"),
        ({"ARGO_SERVER": "  "}, "ARGO_SERVER"),
        ({"ARGO_SERVER": "https://argo:2746"}, "ARGO_SERVER"),
        ({"ARGO_SERVER": "argo:2746", "ARGO_SECURE": "maybe"}, "ARGO_SECURE"),
        (
            {"ARGO_SERVER": "argo:2746", "ARGO_INSECURE_SKIP_VERIFY": "2"},
            "ARGO_INSECURE_SKIP_VERIFY",
        ),
    ],
)
def test_from_env_rejects_bad_settings_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        ArgoClient.from_env(env)


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGO_SERVER", "argo.internal:443")
    monkeypatch.setenv("ARGO_NAMESPACE", "ci")
    monkeypatch.setenv("ARGO_BASE_HREF", "workflows")
    client = ArgoClient.from_env()
    assert client.base_url == "https://argo.internal:443/workflows/"
    assert client.namespace == "ci"


@pytest.mark.parametrize(
    ("server", "options"),
    [
        ("argo:2746", {}),
        ("ftp://argo:2746", {}),
        ("https://", {}),
        ("https://argo:2746", {"timeout": 0}),
        ("https://argo:2746", {"timeout": float("inf")}),
        ("https://argo:2746", {"namespace": ""}),
    ],
)
def test_constructor_rejects_bad_settings(server: str, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ArgoClient(server, **options)


def test_one_session_for_every_call_and_closed_by_the_context_manager(
    argo_fake: FakeArgo,
) -> None:
    spy = SpySession()
    with ArgoClient(argo_fake.url, token="test-token", session=spy) as client:
        client.apply(template())
        run = client.submit("app-build", tag="1.2.3")
        client.status(run)
        list(client.logs(run))
    # apply's POST; submit (the template's parameters checked against what apply got back:
    # no second read); status; logs read the status, then stream.
    assert len(spy.calls) == len(argo_fake.requests) == 5
    assert spy.closed == 1


def test_hera_global_config_is_never_used(
    argo_fake: FakeArgo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(global_config, "host", "http://wrong.invalid:1")
    monkeypatch.setattr(global_config, "token", "global-token")
    monkeypatch.setattr(global_config, "namespace", "elsewhere")
    argo_fake.token = None  # accept requests without a token, to see what is sent
    with ArgoClient(argo_fake.url) as client:
        client.apply(template())
        run = client.submit("app-build", tag="1.0.0")
        assert client.status(run).namespace == "argo"
    assert all("authorization" not in r.headers for r in argo_fake.requests)
    assert all("/argo/" in r.path or r.path.endswith("/argo") for r in argo_fake.requests)


# -- apply -------------------------------------------------------------------------------------


def test_apply_creates_then_reports_unchanged_without_writing(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    first = argo_client.apply(template())
    assert (first.kind, first.name, first.namespace, first.action) == (
        "WorkflowTemplate",
        "app-build",
        "argo",
        "created",
    )
    stored = argo_fake.templates[("argo", "app-build")]
    assert first.resource_version == stored["metadata"]["resourceVersion"]
    assert stored["spec"] == as_stored(template())["spec"]

    second = argo_client.apply(template())
    assert second.action == "unchanged"
    assert second.resource_version == first.resource_version
    assert argo_fake.count("PUT") == 0


def test_apply_sends_the_create_body_from_swagger(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(template())
    create = argo_fake.requests[0]
    assert (create.method, create.path) == ("POST", "/api/v1/workflow-templates/argo")
    assert create.body["namespace"] == "argo"
    assert create.body["template"]["metadata"]["namespace"] == "argo"
    assert create.headers["content-type"] == "application/json"


def test_apply_updates_a_changed_spec_with_the_current_resource_version(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    created = argo_client.apply(template())
    changed = template()
    changed["spec"]["templates"][1]["container"]["image"] = "busybox:1.37"
    updated = argo_client.apply(changed)
    assert updated.action == "updated"
    assert int(updated.resource_version) > int(created.resource_version)
    put = next(r for r in argo_fake.requests if r.method == "PUT")
    assert put.path == "/api/v1/workflow-templates/argo/app-build"
    assert put.body["name"] == "app-build"
    assert put.body["template"]["metadata"]["resourceVersion"] == created.resource_version
    assert argo_fake.templates[("argo", "app-build")]["spec"] == as_stored(changed)["spec"]


def test_apply_updates_when_only_labels_change(argo_client: ArgoClient) -> None:
    argo_client.apply(template())
    relabelled = template()
    relabelled["metadata"]["labels"]["team"] = "platform"
    assert argo_client.apply(relabelled).action == "updated"


def test_apply_ignores_what_the_server_adds(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_client.apply(template())
    stored = argo_fake.templates[("argo", "app-build")]
    stored["metadata"]["labels"]["workflows.argoproj.io/creator"] = "system-serviceaccount-ci"
    stored["spec"]["arguments"]["artifacts"] = []  # an empty field the server spelled out
    assert argo_client.apply(template()).action == "unchanged"


def test_apply_strips_server_metadata_from_a_fetched_manifest(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(template())
    fetched = copy.deepcopy(argo_fake.templates[("argo", "app-build")])
    fetched["metadata"]["resourceVersion"] = "1"  # stale, and must not be sent back
    fetched["spec"]["templates"][1]["container"]["command"] = ["false"]
    assert argo_client.apply(fetched).action == "updated"


def test_apply_retries_an_update_that_lost_a_race(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(template())
    race = argo_fake.add_fault("concurrent_write", method="PUT", times=2)
    changed = template()
    changed["spec"]["templates"][1]["container"]["command"] = ["false"]
    result = argo_client.apply(changed)
    assert result.action == "updated"
    assert race.hits == 2
    assert argo_fake.count("PUT") == 3
    assert argo_fake.count("GET") == 3
    assert argo_fake.templates[("argo", "app-build")]["spec"] == as_stored(changed)["spec"]


def test_apply_gives_up_after_bounded_conflicts(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(template())
    argo_fake.add_fault("concurrent_write", method="PUT", times=100)
    changed = template()
    changed["spec"]["entrypoint"] = "build"
    with pytest.raises(ConflictError, match="kept changing") as info:
        argo_client.apply(changed)
    assert info.value.status == 409
    assert "the object has been modified" in info.value.message
    assert argo_fake.count("PUT") == UPDATE_ATTEMPTS


def test_apply_a_hera_workflow_template(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    from hera.workflows import Container, WorkflowTemplate

    with WorkflowTemplate(name="hera-echo", entrypoint="echo") as wt:
        Container(name="echo", image="busybox:1.36", command=["echo", "hello"])
    result = argo_client.apply(wt)
    assert (result.kind, result.namespace, result.action) == ("WorkflowTemplate", "argo", "created")
    assert argo_fake.templates[("argo", "hera-echo")]["spec"]["entrypoint"] == "echo"
    assert argo_client.apply(wt).action == "unchanged"


def test_apply_uses_the_manifest_namespace(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_fake.namespaces.add("ci")
    result = argo_client.apply(template(namespace="ci"))
    assert result.namespace == "ci"
    assert ("ci", "app-build") in argo_fake.templates


def test_apply_into_a_missing_namespace_says_so(argo_client: ArgoClient) -> None:
    with pytest.raises(NotFoundError, match="namespace 'nowhere'") as info:
        argo_client.apply(template(namespace="nowhere"))
    assert 'namespaces "nowhere" not found' in info.value.message


def test_apply_cluster_workflow_template(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    result = argo_client.apply(cluster_template())
    assert (result.kind, result.namespace, result.action) == (
        "ClusterWorkflowTemplate",
        None,
        "created",
    )
    assert argo_fake.requests[0].path == "/api/v1/cluster-workflow-templates"
    assert "namespace" not in argo_fake.requests[0].body
    assert argo_client.apply(cluster_template()).action == "unchanged"
    changed = cluster_template()
    changed["spec"]["templates"][1]["container"]["command"] = ["false"]
    assert argo_client.apply(changed).action == "updated"
    assert argo_fake.requests[-1].path == "/api/v1/cluster-workflow-templates/shared-build"


def test_apply_lint_errors_send_nothing(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    broken = template()
    broken["spec"]["entrypoint"] = "no-such-template"
    with pytest.raises(LintError) as info:
        argo_client.apply(broken)
    assert info.value.findings
    assert "no-such-template" in str(info.value)
    assert argo_fake.count() == 0


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "kind: WorkflowTemplate",
            "apply() takes a Hera WorkflowTemplate/ClusterWorkflowTemplate or a manifest dict, "
            "not str",
        ),
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}},
            "apply() takes kind WorkflowTemplate or ClusterWorkflowTemplate, not 'ConfigMap'",
        ),
    ],
)
def test_apply_rejects_what_is_not_a_template(
    argo_client: ArgoClient, argo_fake: FakeArgo, manifest: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        argo_client.apply(manifest)
    # Refused as not a template at all: not as a lint or a privilege problem.
    assert type(info.value) is ConfigError
    assert str(info.value) == message
    assert argo_fake.count() == 0


def test_apply_retries_a_create_that_got_503(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_fake.add_fault("status", method="POST", status=503, times=2)
    result = argo_client.apply(template())
    assert result.action == "created"
    assert argo_fake.count("POST") == 3
    assert ("argo", "app-build") in argo_fake.templates


def test_apply_gives_up_on_a_create_after_bounded_503s(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_fake.add_fault("status", method="POST", status=503, times=10)
    with pytest.raises(ServerUnavailableError) as info:
        argo_client.apply(template())
    assert argo_fake.count("POST") == RetryPolicy().attempts
    assert info.value.status == 503
    assert "upstream connect error" in info.value.message


def test_apply_does_not_retry_a_create_the_server_answered_500(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_fake.add_fault("status", method="POST", status=500, message="etcd says no")
    with pytest.raises(ServerUnavailableError, match="etcd says no"):
        argo_client.apply(template())
    assert argo_fake.count("POST") == 1


@pytest.mark.parametrize("fault", ["drop_after", "status_after"])
def test_apply_create_that_landed_but_lost_its_answer_resolves_to_unchanged(
    argo_client: ArgoClient, argo_fake: FakeArgo, fault: str
) -> None:
    # The first POST created it; its answer was lost (a dropped connection, a proxy's 503).
    argo_fake.add_fault(fault, method="POST", status=503)
    result = argo_client.apply(template())
    assert result.action == "unchanged"
    assert argo_fake.count("POST") == 2  # the retry's 409 led to the comparison
    assert argo_fake.count("PUT") == 0
    stored = argo_fake.templates[("argo", "app-build")]
    assert result.resource_version == stored["metadata"]["resourceVersion"]


@pytest.mark.parametrize("shape", ["single-pod", "steps", "library", "app-of-library"])
def test_apply_three_times_creates_then_leaves_alone_for_every_template_shape(
    argo_client: ArgoClient, argo_fake: FakeArgo, shape: str
) -> None:
    # The fake stores and returns templates as argo-server does (name: "", inputs: {}...).
    from argo_buildpacks import workflow_template
    from argo_buildpacks.model.config import BuildConfig
    from argo_buildpacks.templates.app import app_template
    from argo_buildpacks.templates.library import library_template

    config = BuildConfig.from_file(EXAMPLE)
    lib = library_template(
        name="argo-buildpacks",
        builder=config.builder,
        registries=["registry.example.com:5000/acme"],
        git_hosts=["github.com"],
    )
    library_app = BuildConfig.from_file(EXAMPLE.parent / "library-app.yaml")
    made: Any = {
        "single-pod": workflow_template(config, layout="single-pod"),
        "steps": workflow_template(config, layout="steps"),
        "library": lib,
        "app-of-library": app_template(library_app, lib),
    }[shape]
    actions = [argo_client.apply(made).action for _ in range(3)]
    assert actions == ["created", "unchanged", "unchanged"]
    assert argo_fake.count("PUT") == 0


def test_apply_updates_when_only_an_annotation_changes(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(template(annotations={"owner": "ci"}))
    assert argo_client.apply(template(annotations={"owner": "platform"})).action == "updated"
    stored = argo_fake.templates[("argo", "app-build")]
    assert stored["metadata"]["annotations"] == {"owner": "platform"}
    assert argo_client.apply(template(annotations={"owner": "platform"})).action == "unchanged"


@pytest.mark.parametrize(
    ("change", "value"),
    [
        (("securityContext", "readOnlyRootFilesystem"), False),  # a pointer: false is set
        (("env",), [{"name": "A", "value": "x"}]),
        (("name",), "renamed"),
    ],
)
def test_apply_sees_a_change_to_a_zero_valued_or_named_field(
    argo_client: ArgoClient, change: tuple[str, ...], value: Any
) -> None:
    argo_client.apply(template())
    changed = template()
    target = changed["spec"]["templates"][1]["container"]
    for key in change[:-1]:
        target = target.setdefault(key, {})
    target[change[-1]] = value
    assert argo_client.apply(changed).action == "updated"


def test_apply_gate_fails_closed_on_a_patch_too_deep_to_check(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    manifest = template()
    manifest["spec"]["podSpecPatch"] = "a: " + "[" * 5000 + "]" * 5000
    with pytest.raises(PrivilegedError, match="nested more than 100 levels deep"):
        argo_client.apply(manifest)
    assert argo_fake.count() == 0


def test_apply_refuses_a_privileged_template_and_sends_nothing(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    manifest = template()
    manifest["spec"]["templates"][1]["container"]["securityContext"] = {"privileged": True}
    with pytest.raises(PrivilegedError) as info:
        argo_client.apply(manifest)
    assert info.value.issues[0][0] == "spec.templates[1].container.securityContext.privileged"
    assert "allow_privileged=True" in str(info.value)
    assert argo_fake.count() == 0
    assert argo_client.apply(manifest, allow_privileged=True).action == "created"


# -- submit ------------------------------------------------------------------------------------


def test_submit_sends_the_submit_request(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(
        applied, tag="v1.4.2", parameters={"mode": "slow"}, labels={"team": "platform"}
    )
    assert isinstance(run, Run)
    assert run.namespace == "argo"
    assert run.name.startswith("app-build-")
    assert len(run.submission_id) == 32
    body = argo_fake.requests[-1].body
    assert argo_fake.requests[-1].path == "/api/v1/workflows/argo/submit"
    assert body["resourceKind"] == "WorkflowTemplate"
    assert body["resourceName"] == "app-build"
    assert body["submitOptions"]["parameters"] == ["tag=1.4.2", "mode=slow"]
    assert (
        body["submitOptions"]["labels"] == f"team=platform,{SUBMISSION_LABEL}={run.submission_id}"
    )
    stored = argo_fake.workflow("argo", run.name)
    assert stored["metadata"]["uid"] == run.uid
    assert stored["metadata"]["labels"][SUBMISSION_LABEL] == run.submission_id
    assert stored["metadata"]["labels"]["team"] == "platform"


def test_submit_without_tag_passes_no_tag(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_client.submit(applied)
    assert "parameters" not in argo_fake.requests[-1].body["submitOptions"]


def test_submit_from_a_cluster_template(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_client.apply(cluster_template())
    run = argo_client.submit("shared-build", tag="2.0.0", cluster=True)
    assert argo_fake.requests[-1].body["resourceKind"] == "ClusterWorkflowTemplate"
    labels = argo_fake.workflow("argo", run.name)["metadata"]["labels"]
    assert labels["workflows.argoproj.io/cluster-workflow-template"] == "shared-build"


@pytest.mark.parametrize("tag", ["", "1.4", "v1.4.2.7", "01.2.3", "1.2.3-", "latest", "vv1.0.0"])
def test_submit_invalid_tag_makes_no_request(
    argo_client: ArgoClient, argo_fake: FakeArgo, tag: str
) -> None:
    with pytest.raises(TagError):
        argo_client.submit("app-build", tag=tag)
    assert argo_fake.count() == 0


def test_submit_validates_tag_given_as_a_parameter(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    with pytest.raises(TagError):
        argo_client.submit("app-build", parameters={"tag": "1.x"})
    assert argo_fake.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tag": "1.0.0", "parameters": {"tag": "1.0.0"}}, "tag is given twice"),
        ({"parameters": {"a=b": "c"}}, "'a=b'"),
        ({"parameters": {"": "c"}}, "parameter name"),
        ({"parameters": {"n": 3}}, "parameter 'n' must be a string"),
        ({"labels": {"bad key!": "x"}}, "label key"),
        ({"labels": {"team": "a,b"}}, "label 'team' value"),
        ({"labels": {SUBMISSION_LABEL: "mine"}}, "set by submit"),
    ],
)
def test_submit_bad_parameters_or_labels_make_no_request(
    argo_client: ArgoClient, argo_fake: FakeArgo, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        argo_client.submit("app-build", **kwargs)
    assert argo_fake.count() == 0


def test_submit_unknown_template_is_not_found_with_a_hint(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    with pytest.raises(NotFoundError) as info:
        argo_client.submit("nope", tag="1.0.0")
    err = info.value
    assert err.status == 404
    assert err.code == 5
    assert err.message == 'workflowtemplates.argoproj.io "nope" not found'
    assert "no WorkflowTemplate named 'nope' in namespace 'argo'" in err.hint
    # The template is read first (to check the parameters): nothing is submitted.
    url = f"{argo_fake.url}/api/v1/workflow-templates/argo/nope"
    assert (err.method, err.url) == ("GET", url)
    assert str(err).startswith(f"GET {url}: HTTP 404: ")
    assert argo_fake.count("POST") == 0


def test_submit_response_lost_after_the_server_acted_makes_one_run(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.add_fault("drop_after", method="POST", path="/submit$")
    run = argo_client.submit(applied, tag="1.0.0")
    assert list(argo_fake.workflows) == [("argo", run.name)]
    assert run.uid == argo_fake.workflow("argo", run.name)["metadata"]["uid"]
    assert argo_fake.count("POST", "/submit$") == 1
    lookup = argo_fake.requests[-1]
    assert lookup.method == "GET"
    assert lookup.query["listOptions.labelSelector"] == [f"{SUBMISSION_LABEL}={run.submission_id}"]


def test_submit_refuses_an_undeclared_parameter_and_submits_nothing(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    with pytest.raises(ConfigError) as info:
        argo_client.submit(applied, tag="1.0.0", parameters={"revison": "main"})
    assert "parameter(s) 'revison' are not declared by WorkflowTemplate 'app-build'" in str(
        info.value
    )
    assert "(declared: image, mode, revision, tag)" in str(info.value)
    assert argo_fake.count("POST", "/submit$") == 0
    assert argo_fake.workflows == {}


def test_submit_without_a_tag_needs_a_template_that_derives_it(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    needs_tag = template("needs-tag")
    needs_tag["spec"]["arguments"]["parameters"][0] = {"name": "tag"}
    argo_client.apply(needs_tag)
    with pytest.raises(TagError, match="'needs-tag' needs a tag: it does not derive one from git"):
        argo_client.submit("needs-tag")
    assert argo_fake.count("POST", "/submit$") == 0
    argo_client.apply(template())  # tag: {value: ""}: derived from git
    assert argo_client.submit("app-build").name.startswith("app-build-")


def test_submit_5xx_after_the_server_acted_makes_one_run(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.add_fault("status_after", method="POST", path="/submit$", status=504)
    run = argo_client.submit(applied, tag="1.0.0")
    assert list(argo_fake.workflows) == [("argo", run.name)]
    assert argo_fake.count("POST", "/submit$") == 1


def test_submit_5xx_burst_checks_before_each_retry(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str, fake_clock: FakeClock
) -> None:
    argo_fake.add_fault("status", method="POST", path="/submit$", status=503, times=2)
    run = argo_client.submit(applied, tag="1.0.0")
    assert list(argo_fake.workflows) == [("argo", run.name)]
    calls = [(r.method, r.path.rsplit("/", 1)[-1]) for r in argo_fake.requests[1:]]
    # (the template this client applied is not read again) submit, look up (by label, then by
    # name), submit again... never two submits in a row
    assert calls == [
        ("POST", "submit"),
        ("GET", "argo"),
        ("GET", run.name),
        ("POST", "submit"),
        ("GET", "argo"),
        ("GET", run.name),
        ("POST", "submit"),
    ]
    posts = [r for r in argo_fake.requests[1:] if r.method == "POST"]
    submitted = [r.body["submitOptions"]["name"] for r in posts]
    assert submitted == [run.name] * 3  # one name for every attempt
    assert fake_clock.sleeps == [0.5, 1.0]


def test_submit_gives_up_after_bounded_attempts(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.add_fault("status", method="POST", path="/submit$", status=503, times=100)
    with pytest.raises(ServerUnavailableError):
        argo_client.submit(applied, tag="1.0.0")
    assert argo_fake.count("POST", "/submit$") == RetryPolicy().attempts
    assert argo_fake.workflows == {}


def test_submit_dropped_before_acting_is_retried_once_checked(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.add_fault("drop", method="POST", path="/submit$")
    run = argo_client.submit(applied, tag="1.0.0")
    assert list(argo_fake.workflows) == [("argo", run.name)]
    assert argo_fake.count("POST", "/submit$") == 2


def test_submit_does_not_resubmit_when_it_cannot_check(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.add_fault("drop", method="POST", path="/submit$")
    argo_fake.add_fault("status", method="GET", path="^/api/v1/workflows/", status=503, times=100)
    with pytest.raises(TransportError) as info:
        argo_client.submit(applied, tag="1.0.0")
    assert SUBMISSION_LABEL in info.value.hint
    assert "ARGO_SERVER" in info.value.hint
    assert argo_fake.count("POST", "/submit$") == 1


def test_submit_picks_a_new_name_when_its_name_is_taken(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["app-build-aaaaa", "app-build-aaaaa", "app-build-bbbbb"])
    monkeypatch.setattr(client_module, "generate_name", lambda _: next(names))
    first = argo_client.submit(applied, tag="1.0.0")
    second = argo_client.submit(applied, tag="1.0.1")
    assert (first.name, second.name) == ("app-build-aaaaa", "app-build-bbbbb")
    assert len(argo_fake.workflows) == 2


def test_submit_rejected_parameter_value_is_invalid_request(
    argo_client: ArgoClient, applied: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        argo_client.submit(applied, tag="1.0.0", parameters={"mode": "turbo"})
    assert info.value.status == 400
    assert info.value.code == 3
    assert "'turbo'" in info.value.message


# -- errors ------------------------------------------------------------------------------------


def test_missing_token_is_authentication_error_with_hint(argo_fake: FakeArgo) -> None:
    with ArgoClient(argo_fake.url) as client, pytest.raises(AuthenticationError) as info:
        client.submit("app-build", tag="1.0.0")
    err = info.value
    assert (err.status, err.code) == (401, 16)
    assert err.message.startswith("token not valid")
    assert "ARGO_TOKEN" in err.hint
    assert "kubectl create token" in str(err)


def test_wrong_token_is_authentication_error(argo_fake: FakeArgo) -> None:
    with ArgoClient(argo_fake.url, token="stolen") as client, pytest.raises(AuthenticationError):
        client.status("anything")
    assert argo_fake.count("GET") == 1  # a 401 is not retried


def test_forbidden_namespace_is_permission_denied_with_hint(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_fake.forbidden_namespaces.add("argo")
    with pytest.raises(PermissionDeniedError) as info:
        argo_client.apply(template())
    assert info.value.status == 403
    assert 'cannot create resource "workflowtemplates"' in info.value.message
    assert "RBAC" in info.value.hint


def test_server_validation_message_is_kept(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_fake.add_fault(
        "status", method="POST", status=400, message="spec.templates[0].name is required"
    )
    with pytest.raises(InvalidRequestError) as info:
        argo_client.apply(template())
    assert info.value.message == "spec.templates[0].name is required"


def test_a_proxy_page_is_kept_as_the_message(argo_client: ArgoClient, argo_fake: FakeArgo) -> None:
    argo_fake.add_fault(
        "status", method="GET", status=502, body="<html>Bad Gateway</html>", times=9
    )
    with pytest.raises(ServerUnavailableError) as info:
        argo_client.status("x")
    assert info.value.message == "<html>Bad Gateway</html>"
    assert info.value.code is None


def test_connection_refused_is_transport_error(fake_clock: FakeClock) -> None:
    fake = FakeArgo().start()
    url = fake.url
    fake.stop()
    client = ArgoClient(url, sleep=fake_clock.sleep)
    with pytest.raises(TransportError, match="ARGO_SECURE"):
        client.status("x")
    assert len(fake_clock.sleeps) == RetryPolicy().attempts - 1


def test_error_from_body_for_stream_errors() -> None:
    err = error_from_body(None, {"grpc_code": 7, "message": "no"}, method="GET", url="u")
    assert isinstance(err, PermissionDeniedError)
    assert err.status == 403
    err = error_from_body(None, {"http_code": 404, "message": "gone"}, method="GET", url="u")
    assert isinstance(err, NotFoundError)
    err = error_from_body(418, {}, text="teapot", method="GET", url="u")
    assert type(err) is ServerError
    assert err.message == "teapot"


# -- retries of idempotent reads ---------------------------------------------------------------


def test_get_is_retried_through_a_503_burst(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str, fake_clock: FakeClock
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.requests.clear()
    argo_fake.add_fault("status", method="GET", status=503, times=2)
    assert argo_client.status(run).name == run.name
    assert argo_fake.count("GET") == 3
    assert fake_clock.sleeps == [0.5, 1.0]


def test_get_is_retried_after_a_dropped_connection(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.requests.clear()
    argo_fake.add_fault("drop", method="GET")
    assert argo_client.status(run).phase == "Pending"
    assert argo_fake.count("GET") == 2


def test_get_gives_up_after_bounded_retries(
    argo_client: ArgoClient, argo_fake: FakeArgo, fake_clock: FakeClock
) -> None:
    argo_fake.add_fault("drop", method="GET", times=100)
    with pytest.raises(TransportError) as info:
        argo_client.status("x")
    assert info.value.method == "GET"
    assert argo_fake.count("GET") == RetryPolicy().attempts
    assert fake_clock.sleeps == [0.5, 1.0, 2.0]


def test_slow_get_times_out_and_is_retried(argo_fake: FakeArgo, fake_clock: FakeClock) -> None:
    argo_fake.add_fault("delay", method="GET", delay=2.0)
    client = ArgoClient(argo_fake.url, token="test-token", timeout=0.5, sleep=fake_clock.sleep)
    with client, pytest.raises(NotFoundError):
        client.status("x")  # the second attempt answers (404: there is no such run)
    assert argo_fake.count("GET") == 2


# -- status and wait ---------------------------------------------------------------------------


def test_wait_until_succeeded_reports_every_change(
    argo_client: ArgoClient, applied: str, fake_clock: FakeClock
) -> None:
    run = argo_client.submit(applied, tag="1.4.2", parameters={"revision": "v1.4.2"})
    seen: list[RunStatus] = []
    final = argo_client.wait(run, timeout=60, poll_interval=5, on_update=seen.append)
    assert [(s.phase, s.progress) for s in seen] == [
        ("Pending", "0/2"),
        ("Running", "0/2"),
        ("Running", "1/2"),
        ("Succeeded", "2/2"),
    ]
    assert final.succeeded
    assert final.finished
    assert final.started_at is not None
    assert final.finished_at is not None
    assert final.image == "registry.example.com/acme/app:1.4.2"
    assert final.digest is not None
    assert final.digest.startswith("sha256:")
    assert final.tags == ["1.4.2"]
    assert final.commit is not None
    assert len(final.commit) == 40
    assert set(final.outputs) == set(OUTPUT_NAMES)
    assert fake_clock.sleeps == [5, 5, 5]


def test_wait_does_not_report_unchanged_polls(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.polls_per_step = 3
    run = argo_client.submit(applied, tag="1.0.0")
    seen: list[str] = []
    argo_client.wait(run, poll_interval=1, on_update=lambda s: seen.append(s.progress))
    assert seen == ["0/2", "0/2", "1/2", "2/2"]
    assert argo_fake.count("GET", run.name) == 10


def test_wait_until_failed_returns_the_failure(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    argo_fake.final_phase = "Failed"
    run = argo_client.submit(applied, tag="1.0.0")
    final = argo_client.wait(run.name, timeout=60)
    assert final.phase == "Failed"
    assert not final.succeeded
    assert final.finished
    assert "failed" in final.message
    failed = [n for n in final.nodes if n.phase == "Failed" and n.type == "Pod"]
    assert [n.display_name for n in failed] == ["build"]
    assert failed[0].message == "Error (exit code 1)"
    assert final.image is None
    assert final.tags == []


def test_wait_times_out_without_real_waiting(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str, fake_clock: FakeClock
) -> None:
    argo_fake.polls_per_step = 10_000
    run = argo_client.submit(applied, tag="1.0.0")
    with pytest.raises(WaitTimeoutError, match="still Pending after 30 s") as info:
        argo_client.wait(run, timeout=30, poll_interval=4)
    assert info.value.last_phase == "Pending"
    assert fake_clock.now == 30
    assert fake_clock.sleeps == [4] * 7 + [2]


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"timeout": -1}, {"timeout": float("inf")}, {"poll_interval": 0}],
)
def test_wait_needs_a_finite_timeout(argo_client: ArgoClient, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        argo_client.wait("x", **options)


def test_status_nodes_carry_argo_pod_names(argo_client: ArgoClient, applied: str) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    for _ in range(4):
        status = argo_client.status(run)
    pods = {n.display_name: n for n in status.nodes if n.type == "Pod"}
    assert set(pods) == {"check", "build"}
    check = pods["check"]
    assert check.name == f"{run.name}[0].check"
    assert check.template_name == "tag-check"
    assert check.pod_name == f"{run.name}-tag-check-{fnv1a32(check.name)}"
    steps = [n for n in status.nodes if n.type == "Steps"]
    assert [n.pod_name for n in steps] == [None]


def test_pod_name_rules() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert pod_name("wf", "wf", "wf", "main") == "wf"
    assert pod_name("wf", "wf-1", "wf[0].a", "t", v1=True) == "wf-1"
    long = pod_name("w" * 300, "id", "w.x", "tmpl")
    assert len(long) <= 253
    assert long == "w" * 242 + f"-{fnv1a32('w.x')}"


def test_status_of_a_single_pod_workflow(argo_client: ArgoClient) -> None:
    manifest = template("one-pod")
    manifest["spec"]["entrypoint"] = "tag-check"
    argo_client.apply(manifest)
    run = argo_client.submit("one-pod", tag="1.0.0")
    final = argo_client.wait(run)
    assert [(n.type, n.pod_name) for n in final.nodes] == [("Pod", run.name)]
    assert final.outputs == {}


def test_status_of_a_missing_run(argo_client: ArgoClient) -> None:
    with pytest.raises(NotFoundError, match="no workflow 'gone' in namespace 'argo'"):
        argo_client.status(Run("gone", "argo"))


def test_status_rejects_an_empty_reference(argo_client: ArgoClient) -> None:
    with pytest.raises(ConfigError):
        argo_client.status("")


# -- logs --------------------------------------------------------------------------------------


def test_logs_parse_the_ndjson_stream(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.set_logs(
        "argo", run.name, [("p1", "cloning"), "", ("p2", 'built {"x": 1}'), "   ", ("p2", "")]
    )
    lines = list(argo_client.logs(run))
    assert [(line.pod_name, line.content) for line in lines] == [
        ("p1", "cloning"),
        ("p2", 'built {"x": 1}'),
        ("p2", ""),
    ]
    assert str(lines[0]) == "cloning"
    request = argo_fake.requests[-1]
    assert request.path == f"/api/v1/workflows/argo/{run.name}/log"
    assert request.query["logOptions.container"] == ["main"]
    assert "logOptions.follow" not in request.query


def test_logs_of_a_pod_and_container(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.set_logs("argo", run.name, [("p1", "build", "one"), ("p2", "build", "two")])
    lines = list(argo_client.logs(run, pod_name="p2", container="build"))
    assert [(line.content, line.container) for line in lines] == [("two", "build")]
    assert argo_fake.requests[-1].query["podName"] == ["p2"]
    assert argo_fake.requests[-1].query["logOptions.container"] == ["build"]


def test_logs_default_stream_names_the_pods(argo_client: ArgoClient, applied: str) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    final = argo_client.wait(run)
    pods = {n.pod_name for n in final.nodes if n.type == "Pod"}
    lines = list(argo_client.logs(run))
    assert len(lines) == 4
    assert {line.pod_name for line in lines} == pods


def test_logs_error_element_raises_after_the_lines_before_it(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    error = {
        "grpc_code": 5,
        "http_code": 404,
        "message": 'pods "x" not found',
        "http_status": "Not Found",
    }
    argo_fake.set_logs("argo", run.name, [("p1", "before"), {"error": error}, ("p1", "after")])
    lines = argo_client.logs(run)
    assert next(lines).content == "before"
    with pytest.raises(NotFoundError, match='pods "x" not found'):
        next(lines)


def test_logs_grpc_only_error_element(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.set_logs("argo", run.name, [{"error": {"code": 16, "message": "expired"}}])
    with pytest.raises(AuthenticationError, match="expired"):
        list(argo_client.logs(run))


def test_logs_non_json_line_is_a_server_error(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.set_logs("argo", run.name, ["<html>"])
    with pytest.raises(ServerError, match="not a JSON object"):
        list(argo_client.logs(run))


def test_logs_follow_streams_lines_as_they_come(
    argo_client: ArgoClient, argo_fake: FakeArgo, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.follow_delay = 0.02
    entries = [("p", f"line {i}") for i in range(8)]
    argo_fake.set_logs("argo", run.name, entries)
    lines = list(argo_client.logs(run, follow=True))
    assert [line.content for line in lines] == [f"line {i}" for i in range(8)]
    assert argo_fake.requests[-1].query["logOptions.follow"] == ["true"]


def single_pod_template() -> dict[str, Any]:
    """The single-pod layout's shape: the entrypoint is a containerSet of three containers."""
    manifest = template("one-pod")
    manifest["spec"]["templates"] = [
        {
            "name": "main",
            "containerSet": {
                "containers": [
                    {"name": "tag-check", "image": "busybox:1.36"},
                    {"name": "git-clone", "image": "alpine/git", "dependencies": ["tag-check"]},
                    {"name": "build", "image": "busybox:1.36", "dependencies": ["git-clone"]},
                ]
            },
        }
    ]
    return manifest


def test_status_of_a_single_pod_run_lists_every_container(
    argo_client: ArgoClient, argo_fake: FakeArgo
) -> None:
    argo_client.apply(single_pod_template())
    argo_fake.final_phase = "Failed"
    final = argo_client.wait(argo_client.submit("one-pod", tag="1.0.0"))
    containers = [n for n in final.nodes if n.type == "Container"]
    assert sorted((n.display_name, n.phase) for n in containers) == [
        ("build", "Failed"),
        ("git-clone", "Succeeded"),
        ("tag-check", "Succeeded"),
    ]
    assert {n.pod_name for n in containers} == {final.name}
    assert sorted(final.containers()) == [
        (final.name, "build"),
        (final.name, "git-clone"),
        (final.name, "tag-check"),
    ]


@pytest.mark.parametrize("follow", [False, True])
def test_logs_of_a_single_pod_run_read_every_container(
    argo_client: ArgoClient, argo_fake: FakeArgo, follow: bool
) -> None:
    argo_client.apply(single_pod_template())
    run = argo_client.submit("one-pod", tag="1.0.0")
    argo_client.wait(run)
    argo_fake.follow_delay = 0.01
    lines = list(argo_client.logs(run, follow=follow))
    got = sorted((line.pod_name, line.container, line.content) for line in lines)
    assert got == sorted(
        (run.name, c, f"{c}: {word}")
        for c in ("tag-check", "git-clone", "build")
        for word in ("started", "succeeded")
    )
    asked = [
        r.query["logOptions.container"][0] for r in argo_fake.requests if r.path.endswith("/log")
    ]
    assert sorted(asked) == ["build", "git-clone", "tag-check"]
    only = list(argo_client.logs(run, container="git-clone"))
    assert [line.content for line in only] == ["git-clone: started", "git-clone: succeeded"]


def test_logs_follow_survives_a_quiet_period_longer_than_the_timeout(
    argo_fake: FakeArgo, fake_clock: Any
) -> None:
    with ArgoClient(argo_fake.url, token=argo_fake.token, timeout=0.3) as client:
        client.apply(template())
        run = client.submit("app-build", tag="1.0.0")
        argo_fake.set_logs("argo", run.name, [("p", "before"), ("p", "after a quiet minute")])
        argo_fake.follow_delay = 1.0  # > the client's 0.3 s timeout between the two lines
        lines = [line.content for line in client.logs(run, follow=True, container="main")]
    assert lines == ["before", "after a quiet minute"]


def test_logs_of_a_missing_run_fail_at_the_call(argo_client: ArgoClient) -> None:
    with pytest.raises(NotFoundError, match="no workflow 'gone'"):
        argo_client.logs("gone")


def test_logs_stream_is_json_lines_on_the_wire(
    argo_fake: FakeArgo, argo_client: ArgoClient, applied: str
) -> None:
    run = argo_client.submit(applied, tag="1.0.0")
    argo_fake.set_logs("argo", run.name, [("p", "x")])
    raw = requests.get(
        f"{argo_fake.url}/api/v1/workflows/argo/{run.name}/log",
        headers={"Authorization": "Bearer test-token"},
        timeout=5,
    )
    assert raw.headers["Transfer-Encoding"] == "chunked"
    assert [json.loads(line) for line in raw.text.splitlines()] == [
        {"result": {"content": "x", "podName": "p"}}
    ]


def test_normalise_drops_only_what_the_go_types_cannot_tell_from_absent() -> None:
    from argo_buildpacks.client._compare import normalise

    sent = {
        "templates": [
            {
                "name": "build",
                "container": {
                    "image": "busybox",
                    "env": [{"name": "EMPTY", "value": ""}],
                    "securityContext": {"runAsNonRoot": False, "privileged": False},
                },
                "nodeSelector": {"disk": ""},
                "inputs": {"parameters": [{"name": "tag", "value": ""}]},
            }
        ]
    }
    stored = as_stored({"spec": sent})["spec"]
    assert stored["templates"][0]["container"]["name"] == ""  # as argo-server answers
    assert normalise(stored, "WorkflowSpec") == normalise(sent, "WorkflowSpec")
    kept = normalise(sent, "WorkflowSpec")["templates"][0]
    assert kept["container"]["securityContext"] == {"runAsNonRoot": False, "privileged": False}
    assert kept["nodeSelector"] == {"disk": ""}  # a label value "" is a value
    assert kept["inputs"]["parameters"] == [{"name": "tag", "value": ""}]  # a pointer: kept
    assert kept["container"]["env"] == [{"name": "EMPTY"}]  # omitempty: "" is absent
