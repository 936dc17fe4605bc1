"""The SBOM collection cannot copy the registry credential out, nor be made slow.

The SBOMs are files the build (the app's code) wrote. The collection runs in a container of
its own that mounts no credential (checked on every rendered shape), and the script refuses
the trees app code could use against it: a name with a line break (which splits one path into
two lines of a listing, one of them a path through a link to the Secret's directory), and more
files than the cap. Each refusal is asserted by its message, and that no byte of the Secret is
in the collected artifact directory. The Secret's directory exists here (on the test machine)
so that a collection that followed a link would find it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from argo_buildpacks.components.buildpacks_build import lifecycle_phase
from tests.support.runscript import SHELLS, Shell, render, run

SECRET = '{"auths":{"ghcr.io":{"auth":"c2VjcmV0LXRva2Vu"}}}'


def config(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": "ghcr.io/acme/app",
        "registry_secret": "regcred",
        "sbom": True,
    }
    data.update(extra)
    return BuildConfig.from_dict(data)


class Tree:
    def __init__(self, root: Path) -> None:
        self.layers = root / "layers"
        self.launch = self.layers / "sbom" / "launch"
        self.launch.mkdir(parents=True)
        self.out = root / "out" / "sbom"
        # The Secret as Kubernetes mounts it: files behind a ..data link.
        secret = root / "secrets" / "registry"
        (secret / "..2024_01_01").mkdir(parents=True)
        (secret / "..2024_01_01" / "config.json").write_text(SECRET)
        (secret / "..2024_01_01" / "sbom.cdx.json").write_text(SECRET)
        (secret / "..data").symlink_to("..2024_01_01")
        self.secret_data = secret / "..data"
        (root / "cwd").mkdir()
        self.cwd = root / "cwd"

    def sbom(self, rel: str, text: str = "{}") -> None:
        path = self.launch / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def collect(self, shell: Shell, **env: str) -> Any:
        return run(
            shell,
            render(lifecycle_phase(config(), "sbom")),
            env={"LAYERS_DIR": str(self.layers), "SBOM_DIR": str(self.out), **env},
            cwd=self.cwd,
            timeout=60,
        )

    def collected_bytes(self) -> bytes:
        if not self.out.exists():
            return b""
        return b"".join(
            p.read_bytes()
            for p in sorted(self.out.rglob("*"))
            if p.is_file() and not p.is_symlink()
        )


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
class TestHostileLayers:
    def test_a_line_break_that_forges_a_path_through_a_link_is_refused(
        self, shell: Shell, tree: Tree
    ) -> None:
        # x -> the Secret's directory; then a real file whose path, split at its line breaks,
        # holds the line "<launch>/x/config.json": a listing read line by line would take it.
        (tree.launch / "x").symlink_to(tree.secret_data)
        forged = tree.launch / "a\n" / str(tree.launch).lstrip("/") / "x" / "config.json\n"
        forged.mkdir(parents=True)
        (forged / "sbom.cdx.json").write_text("{}")
        tree.sbom("paketo-buildpacks_cpython/cpython/sbom.cdx.json")
        done = tree.collect(shell)
        assert done.returncode == 1
        assert (
            f"sbom-collect: a name under {tree.launch} holds a line break ('{tree.launch}/a?"
            in (done.stderr)
        )
        assert done.stderr.rstrip().endswith("'); refused, no SBOM collected")
        assert SECRET.encode() not in tree.collected_bytes()
        assert b"c2VjcmV0" not in tree.collected_bytes()
        assert not (tree.out / "launch").exists()

    def test_links_to_the_secret_are_never_followed(self, shell: Shell, tree: Tree) -> None:
        (tree.launch / "linked-dir").symlink_to(tree.secret_data)
        (tree.launch / "bp").mkdir()
        (tree.launch / "bp" / "sbom.cdx.json").symlink_to(tree.secret_data / "sbom.cdx.json")
        (tree.launch / "bp" / "layer").symlink_to(tree.secret_data)
        tree.sbom("paketo-buildpacks_cpython/cpython/sbom.spdx.json", '{"ok": 1}')
        done = tree.collect(shell)
        assert done.returncode == 0, done.stderr
        assert "kept 1 SBOM file(s)" in done.stdout
        assert sorted(str(p.relative_to(tree.out)) for p in tree.out.rglob("*") if p.is_file()) == [
            "launch/paketo-buildpacks_cpython/cpython/sbom.spdx.json",
            "skipped.txt",
        ]
        assert b"c2VjcmV0" not in tree.collected_bytes()

    def test_too_many_files_are_refused_at_once(self, shell: Shell, tree: Tree) -> None:
        # 4,000 empty SBOM files once took 30 s to copy, and each is then cosign-attested.
        for i in range(4000):
            layer = tree.launch / "bp" / f"l{i}"
            layer.mkdir(parents=True)
            (layer / "sbom.cdx.json").touch()
        started = time.monotonic()
        done = tree.collect(shell)
        elapsed = time.monotonic() - started
        assert done.returncode == 1
        assert done.stderr == (
            f"sbom-collect: 4000 SBOM files under {tree.launch}, more than 256; refused, "
            "no SBOM collected\n"
        )
        assert not tree.out.exists()
        assert elapsed < 10, elapsed

    def test_the_cap_is_a_setting(self, shell: Shell, tree: Tree) -> None:
        for i in range(3):
            tree.sbom(f"bp/l{i}/sbom.cdx.json")
        assert tree.collect(shell, SBOM_MAX_FILES="3").returncode == 0
        done = tree.collect(shell, SBOM_MAX_FILES="2")
        assert (done.returncode, done.stderr.split(": ", 1)[1]) == (
            1,
            f"3 SBOM files under {tree.launch}, more than 2; refused, no SBOM collected\n",
        )
        bad = tree.collect(shell, SBOM_MAX_FILES="1;id")
        assert bad.stderr == (
            "sbom-collect: SBOM_MAX_BYTES/SBOM_MAX_TOTAL/SBOM_MAX_FILES must be numbers\n"
        )


def collectors(manifest: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(template, container) for every container that runs the SBOM collection."""
    found = []
    for t in manifest["spec"]["templates"]:
        nodes = [
            *t.get("containerSet", {}).get("containers", []),
            *t.get("initContainers", []),
            *([t["container"]] if "container" in t else []),
        ]
        found += [(t, c) for c in nodes if "sbom-collect" in c.get("command", [])]
    return found


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_the_collection_runs_where_no_credential_is_mounted(layout: str) -> None:
    manifest = to_manifest(workflow_template(config(layout=layout)))
    ((template, collector),) = collectors(manifest)
    secrets = {v["name"] for v in template.get("volumes", []) if "secret" in v}
    shared = {m["name"] for m in template.get("containerSet", {}).get("volumeMounts", [])}
    mounted = {m["name"] for m in collector.get("volumeMounts", [])} | shared
    assert secrets and not mounted & secrets
    env = {e["name"] for e in collector.get("env", [])}
    assert env == {"LAYERS_DIR", "SBOM_DIR"}
    assert collector["image"] == "busybox:1.37.0"
    if layout == "steps":  # before the push, in the export pod, as an init container
        assert template["name"] == "export"
        assert collector in template["initContainers"]
    # No container that holds the credential reads the SBOM tree.
    nodes = [
        *template.get("containerSet", {}).get("containers", []),
        *([template["container"]] if "container" in template else []),
    ]
    holders = [n for n in nodes if "DOCKER_CONFIG" in {e["name"] for e in n.get("env", [])}]
    assert holders and all("SBOM_DIR" not in str(n) for n in holders)


# ---- the sign step, which attests the artifact Argo saved (in one pod, app code can replace
# it through /var/run/argo/outputs/artifacts) and holds the cosign key ------------------------

FAKE_COSIGN = r"""printf '%s\n' "$*" >>"$FAKE_DIR/cosign.calls"
"""


def sign(shell: Shell, root: Path, artifact: Path, **env: str) -> tuple[Any, list[str]]:
    from argo_buildpacks.components.sign import sign_template
    from tests.support.runscript import write_executable

    fake = root / "fake"
    fake.mkdir(exist_ok=True)
    write_executable(root / "bin" / "cosign", FAKE_COSIGN)
    key = root / "keys" / "cosign.key"
    key.parent.mkdir(exist_ok=True)
    key.write_text(SECRET)
    cfg = config(sign={"cosign_key_secret": "cosign-key"})
    container = sign_template(cfg).container
    assert container is not None
    done = run(
        shell,
        render(container),
        env={
            "DIGEST": "sha256:" + "a" * 64,
            "BUILT": "ghcr.io/acme/app:1.4.2",
            "COSIGN_KEY": str(key),
            "COSIGN_PASSWORD_FILE": str(root / "none"),
            "SBOM_DIR": str(artifact),
            "HOME": str(root / "cwd"),
            "TMPDIR": str(root / "cwd"),
            "FAKE_DIR": str(fake),
            **env,
        },
        path_prefix=[root / "bin"],
        cwd=root / "cwd",
    )
    calls = fake / "cosign.calls"
    return done, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize("shell", SHELLS)
def test_a_forged_artifact_cannot_attest_the_cosign_key(
    shell: Shell, tree: Tree, tmp_path: Path
) -> None:
    artifact = tmp_path / "artifact"
    key = tmp_path / "keys" / "cosign.key"
    # A path that, split at its line breaks, names the key file the sign container mounts.
    forged = artifact / "launch" / "a\n" / str(key.parent).lstrip("/") / "cosign.key\n"
    forged.mkdir(parents=True)
    (forged / "sbom.spdx.json").write_text("{}")
    done, calls = sign(shell, tmp_path, artifact)
    assert done.returncode == 1
    assert "holds a line break" in done.stderr and done.stderr.endswith("nothing signed\n")
    assert calls == []


@pytest.mark.parametrize("shell", SHELLS)
def test_an_artifact_with_too_many_sboms_is_not_signed(
    shell: Shell, tree: Tree, tmp_path: Path
) -> None:
    artifact = tmp_path / "artifact"
    for i in range(3):
        (artifact / "launch" / f"l{i}").mkdir(parents=True)
        (artifact / "launch" / f"l{i}" / "sbom.cdx.json").write_text("{}")
    done, calls = sign(shell, tmp_path, artifact, SBOM_MAX_FILES="2")
    assert done.stderr == (
        "sign: the sbom artifact holds 3 SBOM files, more than 2; nothing signed\n"
    )
    assert calls == []
    done, calls = sign(shell, tmp_path, artifact, SBOM_MAX_FILES="3")
    assert done.returncode == 0, done.stderr
    assert [c.split()[0] for c in calls] == ["sign", "attest", "attest", "attest"]
