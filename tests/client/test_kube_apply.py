"""The Python API of the install (issue 21.3): `install` with explicit clients, `connect_kube`
configured only by what it is given, and the dry run that keeps a refusal from writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from argo_buildpacks.client._client import ArgoClient
from argo_buildpacks.client._install import InstallRefusedError, install
from argo_buildpacks.client._kube import connect_kube
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates.rbac import release_manifests
from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

RELEASE = Path(__file__).resolve().parents[2] / "examples" / "my-python-app-release.yaml"


def _objects() -> list[dict[str, object]]:
    return release_manifests(BuildConfig.from_file(RELEASE))


def test_install_with_explicit_clients_reports_each_object(
    argo_client: ArgoClient, kube_fake: FakeKube, tmp_path: Path
) -> None:
    kube = connect_kube(kube_fake.write_kubeconfig(tmp_path / "kc"), environ={})
    assert kube is not None
    seen: list[str] = []
    results = install(
        _objects(),
        argo=argo_client,
        kube=kube,
        namespace="argo",
        on_result=lambda r: seen.append(f"{r.kind}/{r.name} {r.action}"),
    )
    assert seen == [f"{r.kind}/{r.name} {r.action}" for r in results]
    assert seen[0] == "ServiceAccount/my-python-app-executor created"
    # Identities and rights first, the template next, what starts it last.
    kinds = [r.kind for r in results]
    assert kinds.index("RoleBinding") < kinds.index("WorkflowTemplate") < kinds.index("Sensor")
    again = install(_objects(), argo=argo_client, kube=kube, namespace="argo")
    assert {r.action for r in again} == {"unchanged"}


def test_connect_kube_reads_only_what_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert connect_kube(environ={}) is None  # no path, no $KUBECONFIG, no pod, no ~/.kube
    with FakeKube() as fake:
        first = fake.write_kubeconfig(tmp_path / "first")
        # $KUBECONFIG as kubectl reads it: a list of paths; the first one is used.
        listed = connect_kube(environ={"KUBECONFIG": f"{first}:{tmp_path / 'absent'}"})
        assert listed is not None
        assert str(listed.config.cluster.server) == fake.url
    broken = tmp_path / "broken"
    broken.write_text("clusters: [", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"kubeconfig '{broken}' is not usable"):
        connect_kube(environ={"KUBECONFIG": str(broken)})
    with pytest.raises(ConfigError, match=r"absent. is not usable: .* not found"):
        connect_kube(tmp_path / "absent")


def test_a_refusal_writes_nothing_to_either_server(
    argo_fake: FakeArgo, argo_client: ArgoClient, tmp_path: Path
) -> None:
    with FakeKube(namespaces=("argo", "apps")) as fake:
        fake.denied.add(("patch", "sensors", "argo"))  # the last object of the stream
        kube = connect_kube(fake.write_kubeconfig(tmp_path / "kc"), environ={})
        assert kube is not None
        with pytest.raises(InstallRefusedError) as refused:
            install(_objects(), argo=argo_client, kube=kube, namespace="argo")
        [problem] = refused.value.problems
        assert problem.startswith("Sensor argo/my-python-app: ")
        assert "cannot patch resource" in problem
        # Every object before it was dry-run, none written.
        assert fake.objects == {}
        assert all(r.query.get("dryRun") == ["All"] for r in fake.requests if r.method == "PATCH")
    assert argo_fake.templates == {}
