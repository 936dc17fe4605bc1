"""Every mode and layout installed with one ``argo-buildpacks apply`` on a real cluster, from
nothing: the executor's account, its token Secret (which a fresh cluster lacks and the
cluster then fills), Role, RoleBinding and the WorkflowTemplate; then built.

Skipped unless ``ARGO_E2E=1``. Needs ``kubectl`` and a kubeconfig whose user may apply RBAC
in ``ARGO_NAMESPACE`` (apply finds it as kubectl does), and the argo CLI's variables for
the Argo server. ``.github/workflows/e2e.yml`` runs it on k3d with Argo v3.6 and v4.1.

Environment (beyond the Argo variables):
    E2E_GIT_PUSH_URL    where this test pushes a small Go app (e.g. git://localhost:9418/app.git)
    E2E_GIT_CLONE_URL   the same repository as the cluster reaches it
    E2E_IMAGE           the image repository to push to (TLS, anonymous: e.g. ttl.sh/...)
    E2E_PACK=1          also build in the pack modes (they need a Docker daemon: pack-socket
                        the node's /var/run/docker.sock, which k3d and kind nodes lack)

Without the three E2E_GIT/IMAGE variables only the install is checked (every mode and
layout: created, then unchanged, the token issued, the template accepted by the server).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from argo_buildpacks.client._client import ArgoClient

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        os.environ.get("ARGO_E2E") != "1",
        reason="real-cluster suite: set ARGO_E2E=1 and ARGO_SERVER/ARGO_TOKEN/... to run it",
    ),
]

MODES = ("daemonless", "pack-dind", "pack-socket")
LAYOUTS = ("single-pod", "steps")
_SCRIPT = shutil.which("argo-buildpacks", path=str(Path(sys.executable).parent))
CLI = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "argo_buildpacks.cli._main"]
APP_FILES = {
    "go.mod": "module example.com/hello\n\ngo 1.22\n",
    "main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n',
}


def _namespace() -> str:
    return os.environ.get("ARGO_NAMESPACE") or "argo"


def _built() -> bool:
    return all(os.environ.get(k) for k in ("E2E_GIT_PUSH_URL", "E2E_GIT_CLONE_URL", "E2E_IMAGE"))


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), input=stdin, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def source_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app's repository as the cluster clones it (pushed first when building)."""
    if not _built():
        return "https://github.com/acme/never-cloned.git"
    repo = tmp_path_factory.mktemp("app")
    for rel, text in APP_FILES.items():
        (repo / rel).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid"}
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("commit", "-qm", "hello"),
        ("push", "-q", "--force", os.environ["E2E_GIT_PUSH_URL"], "main"),
    ):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, timeout=120)
    return os.environ["E2E_GIT_CLONE_URL"]


def _config(path: Path, name: str, source_url: str) -> Path:
    image = os.environ.get("E2E_IMAGE", "registry.example.com/e2e/never-pushed")
    config = {
        "name": name,
        "namespace": _namespace(),
        "source": {"url": source_url, "revision": "main"},
        "image": f"{image}-{name}",
        "builder": "paketobuildpacks/builder-jammy-tiny",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.parametrize(("mode", "layout"), list(itertools.product(MODES, LAYOUTS)))
def test_one_apply_installs_every_mode_and_layout(
    mode: str, layout: str, source_url: str, tmp_path: Path
) -> None:
    assert shutil.which("kubectl"), "kubectl is needed (and a kubeconfig for apply)"
    name = f"e2e-{mode}-{layout}"
    config = _config(tmp_path / "app.yaml", name, source_url)
    flags = ["--mode", mode, "--layout", layout]
    if mode != "daemonless":
        flags.append("--allow-privileged")
    first = _run(*CLI, "apply", "-f", str(config), *flags, "-o", "json")
    assert first.returncode == 0, first.stderr
    kinds = {r["kind"]: r["action"] for r in json.loads(first.stdout)}
    assert set(kinds) == {"ServiceAccount", "Secret", "Role", "RoleBinding", "WorkflowTemplate"}
    again = _run(*CLI, "apply", "-f", str(config), *flags, "-o", "json")
    assert again.returncode == 0, again.stderr
    assert {r["action"] for r in json.loads(again.stdout)} == {"unchanged"}

    # The cluster issues the executor's token into the Secret apply created.
    secret = f"{name}-executor.service-account-token"
    deadline = time.monotonic() + 120
    token = ""
    while not token and time.monotonic() < deadline:
        got = _run("kubectl", "-n", _namespace(), "get", "secret", secret, "-o", "json")
        if got.returncode == 0:
            token = (json.loads(got.stdout).get("data") or {}).get("token", "")
        time.sleep(2)
    assert base64.b64decode(token), f"the cluster never issued a token into {secret}"

    with ArgoClient.from_env(timeout=30) as argo:
        template = argo.read_template({"kind": "WorkflowTemplate", "metadata": {"name": name}})
        assert template["spec"]["serviceAccountName"] == f"{name}-executor"
        if not _built() or (mode != "daemonless" and os.environ.get("E2E_PACK") != "1"):
            return
        run = argo.submit(name, tag="0.1.0")
        final = argo.wait(run, timeout=1800, poll_interval=5)
        assert final.phase == "Succeeded", final.message
        assert final.image == f"{os.environ['E2E_IMAGE']}-{name}:0.1.0"
        assert final.digest is not None
        assert final.digest.startswith("sha256:")
