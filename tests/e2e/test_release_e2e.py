"""From a tag push to a running app on a real cluster: trigger -> build -> deploy.

Skipped unless ``ARGO_E2E_RELEASE=1`` (it builds a real image: minutes, and network). The
cluster is the one ``docs/tag-to-production.md`` sets up ("Try the whole loop") and
``.github/workflows/e2e-release.yml`` runs in CI: k3d, Argo Workflows v4.1.2, Argo Events
v1.9.11 with an EventBus, and a git daemon (``git-server`` Service) that accepts pushes.

Environment:
    ARGO_SERVER, ARGO_TOKEN...  the Argo server, as the argo CLI reads it (apply sends the
                        template there; the other objects go through the kubeconfig)
    ARGO_NAMESPACE      where workflows, the EventSource and the Sensor run (default argo)
    E2E_GIT_PUSH_URL    where this test pushes the app (e.g. git://localhost:9418/app.git,
                        a port-forward of the git daemon)
    E2E_GIT_CLONE_URL   the same repository as the cluster reaches it
                        (e.g. git://git-server.argo.svc:9418/app.git)
    E2E_IMAGE           the image repository to push to (a TLS registry, e.g.
                        ttl.sh/argo-buildpacks-e2e-<run id>; anonymous pushes expire)
    E2E_EVENTS_URL      the EventSource's endpoint; unset: the test port-forwards
                        svc/<name>-eventsource-svc itself

What it proves: a POSTed tag-push event makes the Sensor submit the WorkflowTemplate with
``tag`` and ``revision`` from the tag; the build pushes the image; the deploy step sets the
Deployment's container to ``IMAGE@DIGEST`` and its rollout completes, using only the RBAC
``render`` wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates.rbac import release_manifests

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("ARGO_E2E_RELEASE") != "1",
        reason="release suite: set ARGO_E2E_RELEASE=1 on a prepared cluster "
        "(docs/tag-to-production.md, 'Try the whole loop')",
    ),
]

NAME = "e2e-hello"
_SCRIPT = shutil.which("argo-buildpacks", path=str(Path(sys.executable).parent))
CLI = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "argo_buildpacks.cli._main"]
TOKEN = uuid.uuid4().hex
APP_FILES = {
    "go.mod": "module example.com/hello\n\ngo 1.22\n",
    "main.go": (
        "package main\n\n"
        'import (\n\t"fmt"\n\t"net/http"\n)\n\n'
        "func main() {\n"
        '\thttp.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {\n'
        '\t\tfmt.Fprintln(w, "hello")\n\t})\n'
        '\t_ = http.ListenAndServe(":8080", nil)\n}\n'
    ),
}


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        pytest.fail(f"{name} is not set (see this module's docstring)")
    return value


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> str:
    done = subprocess.run(
        ["kubectl", *args], input=stdin, capture_output=True, text=True, timeout=300, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=120,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "e2e",
            "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
            "GIT_COMMITTER_NAME": "e2e",
            "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
        },
    )


def config(namespace: str) -> BuildConfig:
    return BuildConfig.from_dict(
        {
            "name": NAME,
            "namespace": namespace,
            "source": {"url": env("E2E_GIT_CLONE_URL")},
            "image": env("E2E_IMAGE"),
            "builder": "paketobuildpacks/builder-jammy-tiny",
            "trigger": {"provider": "webhook", "webhook_secret": f"{NAME}-webhook"},
            "deploy": {
                "kubernetes": {
                    "namespace": namespace,
                    "deployment": NAME,
                    "container": "app",
                    "timeout_seconds": 300,
                }
            },
        }
    )


def deployment(namespace: str) -> dict[str, Any]:
    labels = {"app": NAME}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "registry.k8s.io/pause:3.10"},
                    ]
                },
            },
        },
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> BuildConfig:
    """The app pushed (v0.1.0 tagged), its Deployment, its webhook Secret and everything
    ``render`` writes for it applied."""
    assert shutil.which("kubectl"), "kubectl is needed"
    namespace = env("ARGO_NAMESPACE", "argo")
    repo = tmp_path_factory.mktemp("app")
    for rel, text in APP_FILES.items():
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hello")
    git(repo, "tag", "v0.1.0")
    git(repo, "push", "-q", "--force", env("E2E_GIT_PUSH_URL"), "main", "v0.1.0")

    cfg = config(namespace)
    secret = kubectl(
        "-n", namespace, "create", "secret", "generic", f"{NAME}-webhook",
        f"--from-literal=secret={TOKEN}", "--dry-run=client", "-o", "yaml",
    )  # fmt: skip
    kubectl("apply", "-f", "-", stdin=secret)
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(deployment(namespace)))
    # Everything render writes, with one apply (templates through argo-server, the rest by
    # server-side apply): the install this suite proves, not kubectl's.
    docs = release_manifests(cfg)
    installed = subprocess.run(
        [*CLI, "apply", "-f", "-"],
        input=yaml.safe_dump_all(docs),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    kubectl(
        "-n", namespace, "wait", "--for=condition=Available", f"deployment/{NAME}",
        "--timeout=180s",
    )  # fmt: skip
    return cfg


@pytest.fixture(scope="module")
def events_url(installed: BuildConfig) -> Iterator[str]:
    """The EventSource's endpoint: E2E_EVENTS_URL, or a port-forward this fixture starts
    (and stops) once the EventSource's Service exists."""
    given = os.environ.get("E2E_EVENTS_URL")
    if given:
        yield given
        return
    service = f"svc/{NAME}-eventsource-svc"
    deadline = time.monotonic() + 300
    while not kubectl(
        "-n", installed.namespace, "get", service, "--ignore-not-found", "-o", "name"
    ):
        assert time.monotonic() < deadline, f"{service} never appeared"
        time.sleep(5)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    forward = subprocess.Popen(
        ["kubectl", "-n", installed.namespace, "port-forward", service, f"{port}:12000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}/push"
    finally:
        forward.terminate()
        forward.wait(timeout=30)


def post_event(url: str, body: dict[str, str], deadline: float) -> None:
    """POST the event, retrying while the EventSource starts."""
    data = json.dumps(body).encode()
    while True:
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                assert resp.status == 200
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(5)


def test_tag_push_builds_and_deploys_by_digest(installed: BuildConfig, events_url: str) -> None:
    namespace = installed.namespace
    deadline = time.monotonic() + 1800
    post_event(
        events_url,
        {"ref": "refs/tags/v0.1.0", "repository": installed.source.url},
        time.monotonic() + 300,
    )
    # The Sensor submits a workflow from the template, tag and revision from the tag.
    selector = f"argo-buildpacks.io/template={NAME}"
    workflow: dict[str, Any] = {}
    while time.monotonic() < deadline:
        items = json.loads(
            kubectl("-n", namespace, "get", "workflows", "-l", selector, "-o", "json")
        )["items"]
        if items:
            workflow = items[-1]
            phase = workflow.get("status", {}).get("phase")
            if phase in ("Succeeded", "Failed", "Error"):
                break
        time.sleep(10)
    assert workflow, "the Sensor submitted no workflow"
    params = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    assert params == {"tag": "v0.1.0", "revision": "v0.1.0"}
    status = workflow["status"]
    assert status["phase"] == "Succeeded", status.get("message")
    outputs = {p["name"]: p.get("value") for p in status["outputs"]["parameters"]}
    digest = outputs["digest"]
    assert outputs["image"] == f"{installed.image}:0.1.0"
    assert digest.startswith("sha256:")

    # The deploy step set the container to the digest and waited for the rollout.
    deployed = json.loads(kubectl("-n", namespace, "get", f"deployment/{NAME}", "-o", "json"))
    [container] = deployed["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{installed.image.name}@{digest}"
    assert deployed["status"].get("updatedReplicas") == 1
    kubectl("-n", namespace, "rollout", "status", f"deployment/{NAME}", "--timeout=60s")


def count_workflows(namespace: str, selector: str) -> int:
    listing = kubectl("-n", namespace, "get", "workflows", "-l", selector, "-o", "json")
    return len(json.loads(listing)["items"])


def test_an_event_for_another_repository_submits_nothing(
    installed: BuildConfig, events_url: str
) -> None:
    namespace = installed.namespace
    selector = f"argo-buildpacks.io/template={NAME}"
    before = count_workflows(namespace, selector)
    post_event(
        events_url,
        {"ref": "refs/tags/v0.2.0", "repository": "git://elsewhere.invalid/app.git"},
        time.monotonic() + 60,
    )
    time.sleep(30)
    assert count_workflows(namespace, selector) == before


def test_the_deploy_account_can_touch_nothing_else(installed: BuildConfig) -> None:
    namespace = installed.namespace
    sa = f"system:serviceaccount:{namespace}:{NAME}-deploy"
    can = {
        (verb, target): kubectl(
            "auth", "can-i", verb, target, "-n", namespace, "--as", sa, check=False
        ).strip()
        for verb, target in [
            ("patch", f"deployment/{NAME}"),
            ("patch", "deployment/other"),
            ("delete", f"deployment/{NAME}"),
            ("get", "secrets"),
            ("create", "workflows.argoproj.io"),
        ]
    }
    assert can == {
        ("patch", f"deployment/{NAME}"): "yes",
        ("patch", "deployment/other"): "no",
        ("delete", f"deployment/{NAME}"): "no",
        ("get", "secrets"): "no",
        ("create", "workflows.argoproj.io"): "no",
    }
