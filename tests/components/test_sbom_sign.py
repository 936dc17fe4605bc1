"""SBOMs kept with each run, and the pushed digest signed and attested with cosign.

The SBOM collection (the ``sbom`` container, no credential) runs under real shells on fake
SBOM files (a symlink that would copy a secret out, an oversize file, odd names; the hostile
trees are in tests/security/test_sbom_secrets.py); the
signing script runs with a recording fake ``cosign`` on PATH (its argv, one file per call,
and the password it saw), and hostile values are refused before cosign runs. Every rendered
shape lints clean, and the cosign key reaches the signing container only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, ConfigError, to_manifest, workflow_template
from argo_buildpacks.components.buildpacks_build import lifecycle_phase, pod_phases
from argo_buildpacks.components.sign import COSIGN_SECRET_DIR, sign_template
from argo_buildpacks.linting._lint import lint
from tests.support.lifecycle import BINARY, EPOCH, FAKE_LIFECYCLE, Workspace, config, run_phase
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

DIGEST = "sha256:" + "0123456789abcdef" * 4
KEY_SECRET = "cosign-key"

CDX = '{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}'


@pytest.fixture
def work(tmp_path: Path) -> Workspace:
    """A workspace after tag-check and git-clone, with the recording fake lifecycle."""
    w = Workspace(tmp_path)
    (w.ws / "src").mkdir(parents=True)
    w.out.mkdir()
    (w.out / "tags").write_text("1.4.2,1.4,1")
    (w.out / "commit-epoch").write_text(EPOCH)
    w.fake.mkdir()
    (tmp_path / "cwd").mkdir()
    for binary in BINARY.values():
        write_executable(tmp_path / "lifecycle" / binary, FAKE_LIFECYCLE)
    return w


def sbom_config(**extra: Any) -> BuildConfig:
    return config(sbom=True, **extra)


def seed(layers: Path) -> None:
    """What the builder phase leaves in ``<layers>/sbom``: launch SBOMs per buildpack and
    layer, a build SBOM (not in the image), a legacy file."""
    launch = layers / "sbom" / "launch"
    (launch / "paketo-buildpacks_cpython" / "cpython").mkdir(parents=True)
    (launch / "paketo-buildpacks_cpython" / "cpython" / "sbom.cdx.json").write_text(CDX)
    (launch / "paketo-buildpacks_cpython" / "cpython" / "sbom.spdx.json").write_text("{}")
    (launch / "paketo-buildpacks_pip-install" / "packages").mkdir(parents=True)
    (launch / "paketo-buildpacks_pip-install" / "packages" / "sbom.syft.json").write_text("{}")
    (launch / "sbom.legacy.json").write_text("{}")
    (layers / "sbom" / "build" / "x").mkdir(parents=True)
    (layers / "sbom" / "build" / "x" / "sbom.cdx.json").write_text(CDX)


def export(
    shell: Shell, w: Workspace, cfg: BuildConfig, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the ``sbom`` container (the collection) of ``cfg``'s build on ``w``."""
    return run(
        shell,
        render(lifecycle_phase(cfg, "sbom")),
        env={"LAYERS_DIR": str(w.layers), "SBOM_DIR": str(w.out / "sbom"), **env},
        cwd=w.root / "cwd",
    )


def kept(w: Workspace) -> list[str]:
    root = w.out / "sbom"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("shell", SHELLS)
class TestSbomCollection:
    def test_launch_sboms_are_copied_byte_for_byte(self, shell: Shell, work: Workspace) -> None:
        seed(work.layers)
        done = export(shell, work, sbom_config())
        assert done.returncode == 0, done.stderr
        assert kept(work) == [
            "launch/paketo-buildpacks_cpython/cpython/sbom.cdx.json",
            "launch/paketo-buildpacks_cpython/cpython/sbom.spdx.json",
            "launch/paketo-buildpacks_pip-install/packages/sbom.syft.json",
            "skipped.txt",
        ]
        copied = work.out / "sbom/launch/paketo-buildpacks_cpython/cpython/sbom.cdx.json"
        assert copied.read_text() == CDX
        assert "kept 3 SBOM file(s)" in done.stdout

    def test_a_symlink_is_never_followed(
        self, shell: Shell, work: Workspace, tmp_path: Path
    ) -> None:
        # The build (app code) could plant links to the registry credential the export holds.
        secret = tmp_path / "registry" / "config.json"
        secret.parent.mkdir()
        secret.write_text('{"auths": {"ghcr.io": {"auth": "c2VjcmV0"}}}')
        seed(work.layers)
        evil = work.layers / "sbom" / "launch" / "evil"
        evil.mkdir()
        (evil / "sbom.cdx.json").symlink_to(secret)
        (work.layers / "sbom" / "launch" / "linked").symlink_to(secret.parent)
        (secret.parent / "sbom.spdx.json").write_text("secret too")
        done = export(shell, work, sbom_config())
        assert done.returncode == 0, done.stderr
        assert not any("evil" in p or "linked" in p for p in kept(work))
        for path in (work.out / "sbom").rglob("*"):
            assert not path.is_symlink()
            if path.is_file():
                assert "c2VjcmV0" not in path.read_text() and "secret" not in path.read_text()

    def test_a_linked_sbom_tree_is_not_read(
        self, shell: Shell, work: Workspace, tmp_path: Path
    ) -> None:
        elsewhere = tmp_path / "elsewhere"
        seed(elsewhere)
        (work.layers).mkdir(exist_ok=True)
        (work.layers / "sbom").symlink_to(elsewhere / "sbom")
        done = export(shell, work, sbom_config())
        assert done.returncode == 0, done.stderr
        assert kept(work) == ["skipped.txt"]
        assert "no SBOM directory" in done.stdout

    def test_an_oversize_file_is_skipped_and_listed(self, shell: Shell, work: Workspace) -> None:
        seed(work.layers)
        big = work.layers / "sbom/launch/paketo-buildpacks_cpython/cpython/sbom.cdx.json"
        big.write_text("x" * 2000)
        done = export(shell, work, sbom_config(), SBOM_MAX_BYTES="1000")
        assert done.returncode == 0, done.stderr
        assert "launch/paketo-buildpacks_cpython/cpython/sbom.cdx.json" not in kept(work)
        assert "launch/paketo-buildpacks_cpython/cpython/sbom.spdx.json" in kept(work)
        skipped = (work.out / "sbom" / "skipped.txt").read_text()
        assert skipped == (
            "over 1000 bytes: paketo-buildpacks_cpython/cpython/sbom.cdx.json (2000 bytes)\n"
        )

    def test_the_total_is_capped(self, shell: Shell, work: Workspace) -> None:
        seed(work.layers)
        done = export(shell, work, sbom_config(), SBOM_MAX_TOTAL=str(len(CDX) + 1))
        assert done.returncode == 0, done.stderr
        assert len([p for p in kept(work) if p.startswith("launch/")]) == 1
        assert "over the total" in (work.out / "sbom" / "skipped.txt").read_text()

    def test_odd_names_are_skipped_not_interpreted(self, shell: Shell, work: Workspace) -> None:
        seed(work.layers)
        odd = work.layers / "sbom" / "launch" / "bp" / "$(touch pwned) x\tline"
        odd.mkdir(parents=True)
        (odd / "sbom.cdx.json").write_text(CDX)
        done = export(shell, work, sbom_config())
        assert done.returncode == 0, done.stderr
        assert not (work.root / "cwd" / "pwned").exists()
        assert all("pwned" not in p for p in kept(work))
        assert (
            "odd path: bp/??touch?pwned??x?line/sbom.cdx.json\n"
            in (work.out / "sbom/skipped.txt").read_text()
        )

    def test_no_sbom_directory(self, shell: Shell, work: Workspace) -> None:
        done = export(shell, work, sbom_config())
        assert done.returncode == 0, done.stderr
        assert kept(work) == ["skipped.txt"]

    def test_without_sbom_nothing_is_collected(self, shell: Shell, work: Workspace) -> None:
        seed(work.layers)
        cfg = config()
        assert "sbom" not in pod_phases(cfg)
        assert "SBOM_DIR" not in render(lifecycle_phase(cfg, "export")).env
        done = run_phase(shell, work, cfg, "export")
        assert done.returncode == 0, done.stderr
        assert not (work.out / "sbom").exists()


def test_the_collector_writes_into_the_out_volume_and_holds_no_credential() -> None:
    cfg = sbom_config(registry_secret="regcred")
    assert pod_phases(cfg) == ["analyze", "detect", "restore", "build", "sbom", "export"]
    collector = lifecycle_phase(cfg, "sbom")
    env = render(collector).env
    assert env == {"LAYERS_DIR": "/layers", "SBOM_DIR": "/workspace/app/out/sbom"}
    assert collector.image == "busybox:1.37.0"
    assert [m.name for m in collector.volume_mounts or []] == ["layers", "out"]


# ---- signing ---------------------------------------------------------------------------

FAKE_COSIGN = r"""n=$(ls "$FAKE_DIR" | wc -l)
n=$((n + 1))
: >"$FAKE_DIR/call-$n"
for a in "$@"; do printf '%s\000' "$a" >>"$FAKE_DIR/call-$n"; done
printf '%s' "${COSIGN_PASSWORD-<unset>}" >"$FAKE_DIR/password-$n"
exit "${FAKE_EXIT:-0}"
"""
IMAGE = "ghcr.io/acme/app"


def sign_config(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": IMAGE,
        "registry_secret": "regcred",
        "sign": {"cosign_key_secret": KEY_SECRET},
    }
    data.update(extra)
    return BuildConfig.from_dict(data)


class Signer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.fake = root / "fake"
        self.fake.mkdir()
        self.bin = root / "bin"
        write_executable(self.bin / "cosign", FAKE_COSIGN)
        self.keys = root / "keys"
        self.keys.mkdir()
        (self.keys / "cosign.key").write_text("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
        (self.keys / "cosign.password").write_text("pa ss$(word)")
        self.sbom = root / "sbom"
        (root / "tmp").mkdir()

    def calls(self) -> list[list[str]]:
        found = sorted(self.fake.glob("call-*"), key=lambda p: int(p.name.split("-")[1]))
        return [p.read_text().split("\0")[:-1] for p in found]

    def run(
        self, shell: Shell, cfg: BuildConfig, **env: str | None
    ) -> subprocess.CompletedProcess[str]:
        values: dict[str, str | None] = {
            "DIGEST": DIGEST,
            "BUILT": f"{IMAGE}:1.4.2",
            "COSIGN_KEY": str(self.keys / "cosign.key"),
            "COSIGN_PASSWORD_FILE": str(self.keys / "cosign.password"),
            "HOME": str(self.root / "tmp"),
            "TMPDIR": str(self.root / "tmp"),
            "FAKE_DIR": str(self.fake),
        }
        if cfg.sbom:
            values["SBOM_DIR"] = str(self.sbom)
        values.update(env)
        return run(
            shell,
            render(sign_template(cfg).container),
            env=values,
            path_prefix=[self.bin],
            cwd=self.root / "tmp",
        )


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer(tmp_path)


KEY = "<key>"


def normal(calls: list[list[str]], signer: Signer) -> list[list[str]]:
    key = str(signer.keys / "cosign.key")
    return [[KEY if a == key else a.replace(str(signer.sbom), "<sbom>") for a in c] for c in calls]


@pytest.mark.parametrize("shell", SHELLS)
class TestSignScript:
    def test_signs_the_digest_with_the_key(self, shell: Shell, signer: Signer) -> None:
        done = signer.run(shell, sign_config())
        assert done.returncode == 0, done.stderr
        assert normal(signer.calls(), signer) == [
            ["sign", "--key", KEY, "--tlog-upload=false", "--yes", f"{IMAGE}@{DIGEST}"]
        ]
        # The password reaches cosign from the Secret's file, never the pod spec.
        assert (signer.fake / "password-1").read_text() == "pa ss$(word)"
        assert f"signed {IMAGE}@{DIGEST}" in done.stdout

    def test_tlog_upload_when_configured(self, shell: Shell, signer: Signer) -> None:
        cfg = sign_config(sign={"cosign_key_secret": KEY_SECRET, "tlog_upload": True})
        done = signer.run(shell, cfg)
        assert done.returncode == 0, done.stderr
        assert "--tlog-upload=true" in signer.calls()[0]

    def test_attests_each_cyclonedx_and_spdx_sbom(self, shell: Shell, signer: Signer) -> None:
        seed(signer.root / "layers")
        (signer.root / "layers" / "sbom").rename(signer.sbom)
        cfg = sign_config(sbom=True)
        done = signer.run(shell, cfg)
        assert done.returncode == 0, done.stderr
        ref = f"{IMAGE}@{DIGEST}"
        cpython = "<sbom>/launch/paketo-buildpacks_cpython/cpython"
        common = ["--tlog-upload=false", "--yes", ref]
        cdx, spdx = ["--type", "cyclonedx"], ["--type", "spdxjson"]
        assert normal(signer.calls(), signer) == [
            ["sign", "--key", KEY, *common],
            ["attest", "--key", KEY, "--predicate", f"{cpython}/sbom.cdx.json", *cdx, *common],
            ["attest", "--key", KEY, "--predicate", f"{cpython}/sbom.spdx.json", *spdx, *common],
        ]
        assert "attested 2 SBOM file(s)" in done.stdout

    def test_a_failed_signature_fails_the_step(self, shell: Shell, signer: Signer) -> None:
        done = signer.run(shell, sign_config(), FAKE_EXIT="3")
        assert done.returncode != 0
        assert len(signer.calls()) == 1

    @pytest.mark.parametrize(
        ("env", "refusal"),
        [
            ({"DIGEST": ""}, "digest '' is not sha256:<64 hex digits>; nothing signed"),
            ({"DIGEST": "sha256:" + "0" * 63}, "is not sha256:<64 hex digits>"),
            ({"DIGEST": "sha256:" + "A" * 64}, "is not sha256:<64 hex digits>"),
            ({"DIGEST": "sha512:" + "0" * 128}, "is not sha256:<64 hex digits>"),
            ({"DIGEST": DIGEST + "\n--key=/x"}, "is not sha256:<64 hex digits>"),
            (
                {"DIGEST": "{{workflow.outputs.parameters.digest}}"},
                "digest '{{workflow.outputs.parameters.digest}}' is not sha256",
            ),
            ({"BUILT": "evil.example.com/acme/app:1.4.2"}, "not a tag of the configured image"),
            ({"BUILT": f"{IMAGE}:1.4.2 --key=x"}, "not a tag of the configured image"),
            ({"BUILT": f"{IMAGE}/other:1.4.2"}, "not a tag of the configured image"),
            ({"BUILT": ""}, "not a tag of the configured image"),
            ({"BUILT": "1.4.2"}, "not a tag of the configured image"),  # a bare tag: no image
            ({"IMAGE": "--output-file=/tmp/x"}, "is not an image repository"),
            ({"IMAGE": "ghcr.io/acme/app\nevil"}, "contains a line break"),
            ({"TLOG_UPLOAD": "yes"}, "TLOG_UPLOAD 'yes' must be true or false"),
            ({"COSIGN_KEY": "/nonexistent/key"}, "no cosign key at '/nonexistent/key'"),
        ],
    )
    def test_hostile_values_are_refused_before_cosign(
        self, shell: Shell, signer: Signer, env: dict[str, str], refusal: str
    ) -> None:
        done = signer.run(shell, sign_config(), **env)
        assert done.returncode == 1
        assert refusal in done.stderr
        assert signer.calls() == [], "cosign ran"

    def test_a_linked_sbom_directory_is_not_attested(
        self, shell: Shell, signer: Signer, tmp_path: Path
    ) -> None:
        seed(tmp_path / "other")
        signer.sbom.mkdir()
        (signer.sbom / "launch").symlink_to(tmp_path / "other" / "sbom" / "launch")
        done = signer.run(shell, sign_config(sbom=True))
        assert done.returncode == 0, done.stderr
        assert [c[0] for c in signer.calls()] == ["sign"]


# ---- the rendered templates -------------------------------------------------------------


def shapes() -> list[Any]:
    found = []
    for layout in ("single-pod", "steps"):
        for sbom in (True, False):
            for deploy in (
                None,
                {"kubernetes": {"namespace": "apps", "deployment": "app", "container": "app"}},
            ):
                for kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
                    found.append(
                        pytest.param(
                            layout,
                            sbom,
                            deploy,
                            kind,
                            id=f"{layout}-sbom{sbom}-deploy{bool(deploy)}-{kind}",
                        )
                    )
    return found


def manifest(layout: str, sbom: bool, deploy: Any, kind: Any = "WorkflowTemplate") -> Any:
    extra: dict[str, Any] = {"layout": layout, "sbom": sbom}
    if deploy:
        extra["deploy"] = deploy
    return to_manifest(workflow_template(sign_config(**extra), kind=kind))


def template(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [t for t in doc["spec"]["templates"] if t["name"] == name]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize(("layout", "sbom", "deploy", "kind"), shapes())
def test_every_shape_lints_clean(layout: str, sbom: bool, deploy: Any, kind: str) -> None:
    doc = manifest(layout, sbom, deploy, kind)
    assert lint(doc) == []
    assert lint(doc, argo_version="3.6") == []
    assert lint(doc, restricted=True) == []


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_sign_follows_the_push_and_precedes_the_deploy(layout: str) -> None:
    deploy = {"kubernetes": {"namespace": "apps", "deployment": "app", "container": "app"}}
    doc = manifest(layout, True, deploy)
    names = [group[0]["name"] for group in template(doc, "main")["steps"]]
    push = "build" if layout == "single-pod" else "export"
    # After the provenance step, which alone publishes the digest the sign step reads.
    assert names[-4:] == [push, "provenance", "sign", "deploy"]
    sign_step = template(doc, "main")["steps"][-2][0]
    # The SBOM comes from the push step of the installed template; no parameter at all.
    assert sign_step["arguments"] == {
        "artifacts": [{"name": "sbom", "from": "{{steps." + push + ".outputs.artifacts.sbom}}"}]
    }
    push_template = template(doc, push)
    assert push_template["outputs"]["artifacts"] == [
        {"name": "sbom", "globalName": "sbom", "path": "/workspace/app/out/sbom"}
    ]


def test_sign_reads_the_builds_workflow_outputs_and_no_input() -> None:
    sign = template(manifest("single-pod", False, None), "sign")
    env = {e["name"]: e["value"] for e in sign["container"]["env"]}
    assert env["DIGEST"] == "{{workflow.outputs.parameters.digest}}"
    assert env["BUILT"] == "{{workflow.outputs.parameters.image}}"
    assert env["IMAGE"] == IMAGE
    assert "inputs" not in sign
    assert "{{inputs." not in str(sign)
    assert sign["container"]["image"] == "ghcr.io/sigstore/cosign/cosign:v2.6.1-dev"
    assert sign["automountServiceAccountToken"] is False


def test_sign_without_sbom_has_no_artifact() -> None:
    doc = manifest("single-pod", False, None)
    assert "arguments" not in template(doc, "main")["steps"][-1][0]
    assert "artifacts" not in template(doc, "build").get("outputs", {})


def secret_holders(doc: dict[str, Any], secret: str) -> set[str]:
    """Containers (template/container) that mount a volume of ``secret``."""
    holders = set()
    for t in doc["spec"]["templates"]:
        volumes = {
            v["name"]
            for v in t.get("volumes", [])
            if v.get("secret", {}).get("secretName") == secret
        }
        nodes = (
            [t["container"]]
            if "container" in t
            else t.get("containerSet", {}).get("containers", [])
        )
        shared = t.get("containerSet", {}).get("volumeMounts", [])
        for c in nodes:
            for m in [*c.get("volumeMounts", []), *shared]:
                if m["name"] in volumes:
                    holders.add(f"{t['name']}/{c.get('name', 'main')}")
    return holders


@pytest.mark.parametrize(("layout", "sbom", "deploy", "kind"), shapes())
def test_the_cosign_key_reaches_the_signing_container_only(
    layout: str, sbom: bool, deploy: Any, kind: str
) -> None:
    doc = manifest(layout, sbom, deploy, kind)
    assert secret_holders(doc, KEY_SECRET) == {"sign/main"}
    # And the registry credential: the registry phases and the signer, never app code.
    registry = secret_holders(doc, "regcred")
    assert not {h for h in registry if h.split("/")[1] in {"detect", "build"}}
    assert "sign/main" in registry
    assert KEY_SECRET not in str(doc["spec"].get("arguments"))
    for t in doc["spec"]["templates"]:
        if t["name"] != "sign":
            assert KEY_SECRET not in str(t), t["name"]


def test_the_signer_mounts_the_key_read_only() -> None:
    sign = template(manifest("single-pod", False, None), "sign")
    mount = next(
        m for m in sign["container"]["volumeMounts"] if m["mountPath"] == COSIGN_SECRET_DIR
    )
    assert mount["readOnly"] is True
    secret = next(v for v in sign["volumes"] if v["name"] == mount["name"])["secret"]
    assert secret == {
        "secretName": KEY_SECRET,
        "defaultMode": 0o440,
        "items": [
            {"key": "cosign.key", "path": "cosign.key"},
            {"key": "cosign.password", "path": "cosign.password"},
        ],
    }


# ---- config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign", "message"),
    [
        ({"cosign_key_secret": "Cosign_Key"}, "sign.cosign_key_secret: Secret name 'Cosign_Key'"),
        ({}, "sign.cosign_key_secret: required key is missing"),
        ({"cosign_key": "x"}, "unknown key 'cosign_key'; did you mean 'cosign_key_secret'?"),
        (
            {"cosign_key_secret": "k", "tlog_upload": "maybe"},
            "sign.tlog_upload",
        ),
        (
            {"cosign_key_secret": "k", "image": "cosign; rm -rf /"},
            "sign.image",
        ),
    ],
)
def test_sign_config_is_validated(sign: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        sign_config(sign=sign)
    assert message in str(info.value)


def test_sbom_needs_the_daemonless_export() -> None:
    with pytest.raises(ConfigError) as info:
        sign_config(sbom=True, mode="pack-dind")
    assert "sbom: true needs mode 'daemonless'" in str(info.value)
    assert "'pack-dind'" in str(info.value)


def test_sign_needs_a_config_with_sign() -> None:
    with pytest.raises(ConfigError, match="has no sign section"):
        sign_template(config())


@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_pack_modes_sign_too_without_an_sbom(layout: str) -> None:
    cfg = sign_config(layout=layout, mode="pack-dind", creation_time="now")
    doc = to_manifest(workflow_template(cfg, allow_privileged=True))
    names = [group[0]["name"] for group in template(doc, "main")["steps"]]
    assert names[-3:] == ["build", "provenance", "sign"]
    # Only the warning every pack-dind template gets: its privileged daemon.
    assert [f.severity for f in lint(doc)] == ["warning"]
