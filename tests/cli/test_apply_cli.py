"""``argo-buildpacks apply`` installs every object of a stream (issue 21.3): templates through
the local Argo API, the rest through the local Kubernetes API (tests/support/kube_fake.py)
by server-side apply, or nothing at all, saying what to run.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from argo_buildpacks.cli._main import cli
from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "examples" / "my-python-app-release.yaml"
LIBRARY_FLAGS = ("--registry", "registry.example.com:5000/acme", "--git-host", "github.com")
FLEET_APP = """name: {name}
source: {{url: https://github.com/acme/{name}.git}}
image: ghcr.io/acme/{name}
registry_secret: regcred
rebase: {{schedule: "0 4 * * *", tag: "1"}}
"""


def invoke(*args: str, env: dict[str, str], stdin: str | None = None) -> Result:
    unset = {k: None for k in os.environ if k.startswith(("ARGO", "KUBE"))}
    return CliRunner().invoke(cli, list(args), env={**unset, **env}, input=stdin)


@pytest.fixture
def env(argo_fake: FakeArgo, kube_fake: FakeKube, tmp_path: Path) -> dict[str, str]:
    return {
        "ARGO_SERVER": argo_fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": argo_fake.token or "",
        "KUBECONFIG": str(kube_fake.write_kubeconfig(tmp_path / "kubeconfig")),
        "HOME": str(tmp_path),  # no ~/.kube/config of the machine's
    }


def _verdicts(stdout: str) -> dict[str, str]:
    return {f"{r['kind']}/{r['name']}": r["action"] for r in json.loads(stdout)}


def test_render_piped_into_apply_installs_every_object_idempotently(
    argo_fake: FakeArgo, kube_fake: FakeKube, env: dict[str, str]
) -> None:
    stream = invoke("render", "-f", str(RELEASE), env=env).stdout
    kinds = [d["kind"] for d in yaml.safe_load_all(stream)]
    first = invoke("apply", "-f", "-", "-o", "json", env=env, stdin=stream)
    assert first.exit_code == 0, first.output
    done = _verdicts(first.stdout)
    assert sorted(k.split("/")[0] for k in done) == sorted(kinds)  # every object, once
    assert set(done.values()) == {"created"}
    assert ("argo", "my-python-app") in argo_fake.templates
    for plural, ns, name in (
        ("serviceaccounts", "argo", "my-python-app-executor"),
        ("secrets", "argo", "my-python-app-executor.service-account-token"),
        ("roles", "apps", "my-python-app-deploy"),
        ("eventsources", "argo", "my-python-app"),
        ("sensors", "argo", "my-python-app"),
        ("cronworkflows", "argo", "my-python-app-rebuild"),
    ):
        assert kube_fake.get(plural, ns, name) is not None, (plural, name)
    # Every Kubernetes write is a server-side apply as argo-buildpacks, never forced.
    for request in kube_fake.writes():
        assert request.method == "PATCH"
        assert request.content_type == "application/apply-patch+yaml"
        assert request.query["fieldManager"] == ["argo-buildpacks"]
        assert request.query.get("force", ["false"]) == ["false"]
    writes = len(kube_fake.writes())
    again = invoke("apply", "-f", "-", "-o", "json", env=env, stdin=stream)
    assert again.exit_code == 0, again.output
    assert set(_verdicts(again.stdout).values()) == {"unchanged"}
    assert argo_fake.count("PUT") == 0
    # The second apply sends the same patches; the API server wrote nothing.
    assert len(kube_fake.writes()) == 2 * writes
    assert all(
        obj["metadata"]["resourceVersion"] == kube_fake.objects[key]["metadata"]["resourceVersion"]
        for key, obj in kube_fake.objects.items()
    )


def test_a_changed_object_is_updated_and_its_dropped_field_removed(
    kube_fake: FakeKube, env: dict[str, str], tmp_path: Path
) -> None:
    assert invoke("apply", str(RELEASE), env=env).exit_code == 0
    changed = tmp_path / "app.yaml"
    changed.write_text(
        RELEASE.read_text().replace('schedule: "0 3 * * 1"', 'schedule: "0 5 * * 1"')
    )
    done = invoke("apply", str(changed), env=env)
    assert done.exit_code == 0, done.output
    assert "CronWorkflow argo/my-python-app-rebuild updated" in done.stdout
    assert "ServiceAccount argo/my-python-app-executor unchanged" in done.stdout
    cron = kube_fake.get("cronworkflows", "argo", "my-python-app-rebuild")
    assert cron is not None
    assert "0 5 * * 1" in json.dumps(cron["spec"])


def test_the_trial_library_fleet_and_release_install_with_one_apply_then_fleet_submit(
    argo_fake: FakeArgo, env: dict[str, str], tmp_path: Path
) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    for i in range(20):
        (apps / f"app-{i}.yaml").write_text(FLEET_APP.format(name=f"app-{i}"))
    library = invoke("library", *LIBRARY_FLAGS, env=env).stdout
    fleet = invoke("fleet", "render", str(apps), env=env).stdout
    release = invoke("render", "-f", str(RELEASE), env=env).stdout
    stream = "---\n".join((library, fleet, release))
    before = invoke("fleet", "submit", str(apps), env=env)
    assert before.exit_code == 1  # the fleet's template is not installed yet
    assert "HTTP 404" in before.stderr
    done = invoke("apply", "-f", "-", env=env, stdin=stream)
    assert done.exit_code == 0, done.output
    count = sum(1 for d in yaml.safe_load_all(stream) if d)
    assert len(done.stdout.splitlines()) == count
    submitted = invoke("fleet", "submit", str(apps), env=env)
    assert submitted.exit_code == 0, submitted.output
    assert submitted.stdout.startswith("submitted fleet-")


def test_no_kubernetes_credentials_refuses_everything_and_says_what_to_run(
    argo_fake: FakeArgo, kube_fake: FakeKube, env: dict[str, str]
) -> None:
    del env["KUBECONFIG"]
    done = invoke("apply", "-f", str(RELEASE), env=env)
    assert done.exit_code == 2
    assert "nothing was applied" in done.stderr
    assert "need Kubernetes credentials and none were found" in done.stderr
    assert f"kubectl apply --server-side -f {RELEASE}" in done.stderr
    assert "Traceback" not in done.stderr
    assert argo_fake.requests == [] and kube_fake.requests == []


def test_missing_argo_events_crds_refuse_before_any_write(
    argo_fake: FakeArgo, env: dict[str, str], tmp_path: Path
) -> None:
    with FakeKube(namespaces=("argo", "apps"), events=False) as kube:
        env["KUBECONFIG"] = str(kube.write_kubeconfig(tmp_path / "no-events"))
        done = invoke("apply", "-f", str(RELEASE), env=env)
        assert done.exit_code == 2
        assert "EventSource argo/my-python-app: the cluster does not serve EventSource" in (
            done.stderr
        )
        assert "argo-events/releases/download/v1.9.11/install.yaml" in done.stderr
        assert "Sensor argo/my-python-app" in done.stderr
        assert kube.writes() == [] and kube.objects == {}
    assert argo_fake.templates == {}


def test_a_missing_namespace_names_the_command_that_creates_it(
    argo_fake: FakeArgo, env: dict[str, str], tmp_path: Path
) -> None:
    with FakeKube(namespaces=("argo",)) as kube:
        env["KUBECONFIG"] = str(kube.write_kubeconfig(tmp_path / "no-apps"))
        done = invoke("apply", "-f", str(RELEASE), env=env)
        assert done.exit_code == 2
        assert "namespace 'apps' does not exist; run: kubectl create namespace apps" in (
            done.stderr
        )
        assert kube.objects == {}
    assert argo_fake.templates == {}


def test_a_forbidden_object_refuses_the_whole_stream(
    argo_fake: FakeArgo, kube_fake: FakeKube, env: dict[str, str]
) -> None:
    kube_fake.denied.add(("patch", "secrets", "argo"))
    done = invoke("apply", "-f", str(RELEASE), env=env)
    assert done.exit_code == 2
    assert "Secret argo/my-python-app-executor.service-account-token" in done.stderr
    assert 'cannot patch resource "secrets"' in done.stderr
    assert kube_fake.objects == {} and argo_fake.templates == {}


def test_a_field_another_manager_set_is_a_conflict_unless_forced(
    kube_fake: FakeKube, env: dict[str, str]
) -> None:
    stream = invoke("render", "-f", str(RELEASE), env=env).stdout
    account = next(d for d in yaml.safe_load_all(stream) if d["kind"] == "ServiceAccount")
    edited = json.loads(json.dumps(account))
    edited["metadata"]["labels"]["argo-buildpacks.io/app"] = "other"  # kubectl edit, say
    kube_fake.seed(edited, "serviceaccounts", "kubectl-edit")
    refused = invoke("apply", "-f", "-", env=env, stdin=stream)
    assert refused.exit_code == 2
    assert 'conflict with "kubectl-edit": .metadata.labels.argo-buildpacks.io/app' in (
        refused.stderr
    )
    assert "--force-conflicts" in refused.stderr
    assert len(kube_fake.objects) == 1  # only the seeded account
    forced = invoke("apply", "-f", "-", "--force-conflicts", env=env, stdin=stream)
    assert forced.exit_code == 0, forced.output
    name = account["metadata"]["name"]
    assert f"ServiceAccount argo/{name} updated" in forced.stdout
    stored = kube_fake.get("serviceaccounts", "argo", name)
    assert stored is not None
    assert stored["metadata"]["labels"]["argo-buildpacks.io/app"] == "my-python-app"
    assert all(r.query.get("force") == ["true"] for r in kube_fake.writes()[1:])


def test_a_secret_with_data_is_refused_and_its_values_never_printed(
    argo_fake: FakeArgo, kube_fake: FakeKube, env: dict[str, str]
) -> None:
    value = "hunter2-do-not-print"
    encoded = base64.b64encode(value.encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "argo"},
        "type": "Opaque",
        "data": {"password": encoded},
        "stringData": {"token": value},
    }
    done = invoke("apply", "-f", "-", env=env, stdin=yaml.safe_dump(secret))
    assert done.exit_code == 2
    assert "Secret argo/regcred: apply installs only service-account token Secrets" in done.stderr
    assert value not in done.output and encoded not in done.output
    assert kube_fake.requests == [] and argo_fake.requests == []


def test_the_token_the_cluster_puts_in_the_secret_is_never_printed(
    kube_fake: FakeKube, env: dict[str, str]
) -> None:
    for output in ("text", "json", "yaml", "name"):
        done = invoke("apply", "-f", str(RELEASE), "-o", output, env=env)
        assert done.exit_code == 0, done.output
        stored = kube_fake.get("secrets", "argo", "my-python-app-executor.service-account-token")
        assert stored is not None
        token = stored["data"]["token"]
        assert token not in done.output
        assert base64.b64decode(token).decode() not in done.output


def test_apply_help_does_not_import_the_kubernetes_client() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from argo_buildpacks.cli._main import cli\n"
        "assert CliRunner().invoke(cli, ['apply', '--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('lightkube', 'httpx'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_an_unreachable_kubernetes_api_is_named_as_such(
    argo_fake: FakeArgo, env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
    )
    (tmp_path / "closed").write_text(config, encoding="utf-8")
    env["KUBECONFIG"] = str(tmp_path / "closed")
    done = invoke("apply", "-f", str(RELEASE), env=env)
    assert done.exit_code == 1
    assert "cannot reach the Kubernetes API" in done.stderr
    assert "Argo server" not in done.stderr and "Traceback" not in done.stderr
    assert argo_fake.templates == {}
