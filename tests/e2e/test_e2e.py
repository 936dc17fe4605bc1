"""ArgoClient against a real Argo Workflows server (k3d + Argo v4.1.2 in CI: e2e.yml).

Skipped unless ``ARGO_E2E=1``; the server comes from the argo CLI's variables (``ARGO_SERVER``,
``ARGO_TOKEN``, ``ARGO_SECURE``, ``ARGO_INSECURE_SKIP_VERIFY``, ``ARGO_NAMESPACE``). The
template is a busybox echo, not a buildpacks build: it checks the client and the server's
contract (apply, submit, wait, status outputs, logs, errors), in about a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hera.workflows import Container, Env, Parameter, WorkflowTemplate
from hera.workflows.models import ValueFrom

from argo_buildpacks.client._client import ArgoClient
from argo_buildpacks.errors import AuthenticationError, NotFoundError, TagError
from argo_buildpacks.model.runs import RunStatus

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("ARGO_E2E") != "1",
        reason="real-cluster suite: set ARGO_E2E=1 and ARGO_SERVER/ARGO_TOKEN/... to run it",
    ),
]

NAME = "argo-buildpacks-e2e-echo"
IMAGE = "registry.example.com/e2e/echo"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
# Values arrive as environment variables, never pasted into the script.
SCRIPT = f"""set -eu
echo "building $IMAGE:$TAG"
printf '%s' "$IMAGE:$TAG" > /tmp/image
printf 'sha256:%s' "$(printf '%s' "$IMAGE:$TAG" | sha256sum | cut -d' ' -f1)" > /tmp/digest
printf '%s' "$TAG" > /tmp/tags
printf '%s' {COMMIT} > /tmp/commit
echo done
"""


def echo_template(namespace: str) -> WorkflowTemplate:
    """A one-pod template that writes the build's four global outputs."""
    outputs = [
        Parameter(name=n, global_name=n, value_from=ValueFrom(path=f"/tmp/{n}"))
        for n in ("image", "digest", "tags", "commit")
    ]
    with WorkflowTemplate(
        name=NAME,
        namespace=namespace,
        entrypoint="echo",
        arguments=[Parameter(name="tag", value=""), Parameter(name="image", value=IMAGE)],
    ) as wt:
        Container(
            name="echo",
            image="busybox:1.36",
            command=["sh", "-c", SCRIPT],
            env=[
                Env(name="TAG", value="{{workflow.parameters.tag}}"),
                Env(name="IMAGE", value="{{workflow.parameters.image}}"),
            ],
            outputs=outputs,
        )
    return wt


@pytest.fixture(scope="module")
def argo() -> Iterator[ArgoClient]:
    """A client configured from the environment, with the echo template applied."""
    with ArgoClient.from_env(timeout=30) as client:
        result = client.apply(echo_template(client.namespace))
        assert result.action in ("created", "updated", "unchanged")
        yield client


def test_apply_again_changes_nothing(argo: ArgoClient) -> None:
    # The fixture applied it (created, or updated from an earlier run's version); applying
    # the same template twice more must write nothing: the server's own spelling of it
    # (a container template's name: "", inputs: {}...) is not a change.
    first = argo.apply(echo_template(argo.namespace))
    second = argo.apply(echo_template(argo.namespace))
    assert (first.action, second.action) == ("unchanged", "unchanged")
    assert second.resource_version == first.resource_version
    assert (second.kind, second.name, second.namespace) == (
        "WorkflowTemplate",
        NAME,
        argo.namespace,
    )


def test_apply_an_annotation_change_updates_then_settles(argo: ArgoClient) -> None:
    changed = echo_template(argo.namespace)
    changed.annotations = {"argo-buildpacks.io/e2e": "annotated"}
    try:
        assert argo.apply(changed).action == "updated"
        assert argo.apply(changed).action == "unchanged"
    finally:
        assert argo.apply(echo_template(argo.namespace)).action == "updated"


def test_submit_wait_status_and_logs(argo: ArgoClient) -> None:
    run = argo.submit(NAME, tag="v0.1.0", labels={"suite": "e2e"})
    seen: list[RunStatus] = []
    final = argo.wait(run, timeout=600, poll_interval=2, on_update=seen.append)
    assert final.phase == "Succeeded", final.message
    assert seen[-1] == final
    assert final.image == f"{IMAGE}:0.1.0"
    assert final.digest is not None
    assert final.digest.startswith("sha256:")
    assert len(final.digest) == len("sha256:") + 64
    assert final.tags == ["0.1.0"]
    assert final.commit == COMMIT
    assert final.started_at is not None
    assert final.finished_at is not None
    pods = [n for n in final.nodes if n.type == "Pod"]
    assert [n.pod_name for n in pods] == [run.name]

    lines = list(argo.logs(run))
    assert any(line.content.endswith(f"building {IMAGE}:0.1.0") for line in lines), lines
    assert {line.pod_name for line in lines} == {run.name}
    assert argo.status(run.name).phase == "Succeeded"


def test_a_failing_tag_is_refused_before_the_server(argo: ArgoClient) -> None:
    with pytest.raises(TagError):
        argo.submit(NAME, tag="1.0")


def test_server_errors_are_typed(argo: ArgoClient) -> None:
    with pytest.raises(NotFoundError, match="no-such-template"):
        argo.submit("no-such-template", tag="1.0.0")
    with pytest.raises(NotFoundError):
        argo.status("no-such-workflow")
    env = {**os.environ, "ARGO_TOKEN": "not-a-token"}
    with ArgoClient.from_env(env) as stranger, pytest.raises(AuthenticationError):
        stranger.status("no-such-workflow")
