"""The private CA and the insecure registries (``registry.ca``, ``registry.insecure``,
``source.ca``), by what the tools receive.

The rendered templates mount each bundle (one key, read-only) into the containers that talk
to its party and no other; the fake lifecycle, crane and cosign record the arguments and
environment the scripts hand them; lint finds every mount's volume. The shell's rule for
"this reference is on an insecure registry" is held in parity with Python's ImageRef.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from argo_buildpacks.components import _ca
from argo_buildpacks.components.buildpacks_build import PHASES, lifecycle_phase
from argo_buildpacks.components.provenance import provenance_template
from argo_buildpacks.components.rebase import rebase
from argo_buildpacks.components.scripts import prelude
from argo_buildpacks.components.sign import sign_template
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.model.images import ImageRef
from tests.support import lifecycle as lc
from tests.support.runscript import (
    SHELLS,
    WORKFLOW_UID,
    Rendered,
    Shell,
    render,
    run,
    write_executable,
)

IMAGE = "registry.local:5000/acme/app"
INSECURE = ["registry.local:5000", "mirror.internal"]
CERT_DIR = "/var/run/argo-buildpacks/ca/registry:/etc/ssl/certs:/etc/pki/tls/certs"


def cfg(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "app",
        "source": {
            "url": "https://git.internal/acme/app.git",
            "ca": {"config_map": "internal-ca", "key": "root.pem"},
        },
        "image": IMAGE,
        "registry_secret": "regcred",
        "builder": {
            "image": "paketobuildpacks/builder-jammy-base",
            "uid": 1001,
            "gid": 1000,
            "platform_api": "0.13",
        },
        "registry": {"ca": {"secret": "registry-ca", "key": "ca.crt"}, "insecure": INSECURE},
    }
    data.update(extra)
    return BuildConfig.from_dict(data)


def _containers(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every container of the manifest by ``<template>/<container>``."""
    found: dict[str, dict[str, Any]] = {}
    for t in manifest["spec"]["templates"]:
        if "container" in t:
            found[f"{t['name']}/{t['name']}"] = t["container"]
        for c in t.get("containerSet", {}).get("containers", []):
            found[f"{t['name']}/{c['name']}"] = c
        for c in t.get("initContainers", []):
            found[f"{t['name']}/{c['name']}"] = c
    return found


def _mounting(manifest: dict[str, Any], volume: str) -> set[str]:
    return {
        key
        for key, c in _containers(manifest).items()
        if any(m["name"] == volume for m in c.get("volumeMounts", []))
    }


def _volumes(manifest: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        v for t in manifest["spec"]["templates"] for v in t.get("volumes", []) if v["name"] == name
    ]


@pytest.mark.parametrize(
    ("layout", "registry_containers", "git_containers"),
    [
        (
            "single-pod",
            {"build/analyze", "build/restore", "build/main", "provenance/provenance"},
            {"build/git-clone"},
        ),
        (
            "steps",
            {"build/analyze", "build/restore", "export/export", "provenance/provenance"},
            {"git-clone/git-clone"},
        ),
    ],
)
def test_each_bundle_reaches_only_the_containers_that_talk_to_its_party(
    layout: str, registry_containers: set[str], git_containers: set[str]
) -> None:
    manifest = to_manifest(workflow_template(cfg(layout=layout, sbom=True)))
    assert _mounting(manifest, _ca.REGISTRY_CA_VOLUME) == registry_containers
    assert _mounting(manifest, _ca.GIT_CA_VOLUME) == git_containers
    # detect and build run the app's code: no CA, no insecure list, no trust setting at all.
    for key, container in _containers(manifest).items():
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        talks_to_registry = key in registry_containers
        assert ("SSL_CERT_DIR" in env) == talks_to_registry, key
        lifecycle = talks_to_registry and not key.startswith("provenance/")
        assert ("CNB_INSECURE_REGISTRIES" in env) == lifecycle, key
        if talks_to_registry:
            assert env["SSL_CERT_DIR"] == CERT_DIR
        if lifecycle:
            assert env["CNB_INSECURE_REGISTRIES"] == "registry.local:5000,mirror.internal"
        assert ("GIT_CA_FILE" in env) == (key in git_containers), key
    for mount in (
        m
        for c in _containers(manifest).values()
        for m in c.get("volumeMounts", [])
        if m["name"] in (_ca.REGISTRY_CA_VOLUME, _ca.GIT_CA_VOLUME)
    ):
        assert mount["readOnly"] is True
    # Only the bundle's key is projected, as ca.crt, world-readable (a CA is public).
    (registry,) = {str(v) for v in _volumes(manifest, _ca.REGISTRY_CA_VOLUME)}
    assert registry == str(
        {
            "name": "registry-ca",
            "secret": {
                "defaultMode": 0o444,
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                "secretName": "registry-ca",
            },
        }
    )
    (git,) = {str(v) for v in _volumes(manifest, _ca.GIT_CA_VOLUME)}
    assert git == str(
        {
            "configMap": {
                "defaultMode": 0o444,
                "items": [{"key": "root.pem", "path": "ca.crt"}],
                "name": "internal-ca",
            },
            "name": "git-ca",
        }
    )
    assert lint(manifest) == []


def test_lint_finds_a_mount_whose_volume_is_missing() -> None:
    """The rendered mounts and volumes agree (lint above); lint would say so if they did not."""
    manifest = to_manifest(workflow_template(cfg(layout="steps")))
    for t in manifest["spec"]["templates"]:
        t["volumes"] = [v for v in t.get("volumes", []) if v["name"] != _ca.REGISTRY_CA_VOLUME]
    messages = [f.message for f in lint(manifest)]
    assert any('volume mount "registry-ca" names no volume' in m for m in messages), messages


def test_without_the_settings_nothing_is_rendered() -> None:
    plain = cfg(registry={}, source={"url": "https://git.internal/acme/app.git"})
    manifest = to_manifest(workflow_template(plain))
    assert not _volumes(manifest, _ca.REGISTRY_CA_VOLUME)
    assert not _volumes(manifest, _ca.GIT_CA_VOLUME)
    names = {e["name"] for c in _containers(manifest).values() for e in c.get("env", [])}
    assert not names & {"SSL_CERT_DIR", "CNB_INSECURE_REGISTRIES", "GIT_CA_FILE"}
    assert "INSECURE_REGISTRIES" not in names


def test_sign_and_rebase_containers_get_the_registry_trust() -> None:
    config = cfg(
        sign={"cosign_key_secret": "cosign"},
        rebase={"schedule": "0 4 * * *", "tag": "1"},
    )
    sign = sign_template(config).container
    assert sign is not None
    env = {e.name: e.value for e in sign.env or []}
    assert env["SSL_CERT_DIR"] == CERT_DIR
    assert env["INSECURE_REGISTRIES"] == "registry.local:5000\nmirror.internal"
    assert _ca.REGISTRY_CA_VOLUME in {m.name for m in sign.volume_mounts or []}
    rebase_set = rebase(config)
    for node in rebase_set.containers or []:
        node_env = {e.name: e.value for e in getattr(node, "env", None) or []}
        assert node_env["SSL_CERT_DIR"] == CERT_DIR, node.name
        assert ("CNB_INSECURE_REGISTRIES" in node_env) == (node.name == "main"), node.name
        assert _ca.REGISTRY_CA_VOLUME in {m.name for m in node.volume_mounts or []}
    manifest = to_manifest(workflow_template(config))
    assert lint(manifest) == []


# --- what the lifecycle receives ------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_the_lifecycle_gets_the_insecure_registries_and_the_ca_in_its_registry_phases(
    shell: Shell, tmp_path: Path
) -> None:
    work = lc.make_work(tmp_path)
    config = cfg(overridable=["image"])
    for phase in PHASES:
        done = lc.run_phase(shell, work, config, phase)
        assert done.returncode == 0, done.stderr
    for phase in PHASES:
        env = dict(
            line.split("=", 1)
            for line in (work.fake / f"{lc.BINARY[phase]}.env").read_text().splitlines()
            if "=" in line
        )
        if phase in ("analyze", "restore", "export"):
            # The lifecycle's own environment form of -insecure-registry (platform/defaults.go
            # EnvInsecureRegistries, split at ',' by lifecycle_inputs.go sliceEnv).
            assert env["CNB_INSECURE_REGISTRIES"] == "registry.local:5000,mirror.internal"
            assert env["SSL_CERT_DIR"] == CERT_DIR
        else:
            assert "CNB_INSECURE_REGISTRIES" not in env, phase
            assert "SSL_CERT_DIR" not in env, phase


def test_the_registry_phases_mount_the_ca_where_ssl_cert_dir_says() -> None:
    config = cfg()
    for phase in PHASES:
        container = lifecycle_phase(config, phase)
        mounts = {m.name: m for m in container.volume_mounts or []}
        if phase in ("analyze", "restore", "export"):
            mount = mounts[_ca.REGISTRY_CA_VOLUME]
            assert mount.read_only is True
            env = render(container).env
            assert env["SSL_CERT_DIR"].split(":")[0] == mount.mount_path
        else:
            assert _ca.REGISTRY_CA_VOLUME not in mounts


# --- what crane and cosign receive ------------------------------------------------------------

RECORDER = r"""printf '%s\n' "$*" >>"$FAKE_DIR/${0##*/}.calls"
printf '%s\n' "${SSL_CERT_DIR-<unset>}" >>"$FAKE_DIR/${0##*/}.certdir"
case "$*" in
  *' digest '* | digest*) printf 'sha256:%s\n' "$FAKE_HEX" ;;
  *config*) printf '{"config":{"Labels":{"io.buildpacks.project.metadata":"%s"}}}' \
    '{\"source\":{\"metadata\":{\"argo-buildpacks-run\":\"'"$RUN"'\"}}}' ;;
esac
"""
HEX = "ab" * 32


def _script_env(container: Any) -> Rendered:
    command = list(container.command or [])
    return Rendered(
        script=command[2],
        name=command[3],
        args=(),
        env={e.name: str(e.value) for e in container.env or []},
    )


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("image", "flag"),
    [(IMAGE, ["--insecure"]), ("ghcr.io/acme/app", []), ("registry.local/acme/app", [])],
)
def test_crane_gets_insecure_for_a_named_registry_only(
    shell: Shell, tmp_path: Path, image: str, flag: list[str]
) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    write_executable(tmp_path / "bin" / "crane", RECORDER)
    config = cfg(image=image)
    done = run(
        shell,
        _script_env(provenance_template(config).container),
        params={
            "claimed-image": f"{image}:1.0.0",
            "claimed-tags": "1.0.0",
            "claimed-digest": "",
            "claimed-commit": "",
        },
        env={"OUT_DIR": str(tmp_path / "out"), "HOME": str(tmp_path), "FAKE_DIR": str(fake)}
        | {"FAKE_HEX": HEX, "RUN": WORKFLOW_UID, "DOCKER_CONFIG": str(tmp_path)},
        path_prefix=[tmp_path / "bin"],
    )
    assert done.returncode == 0, done.stderr
    calls = (fake / "crane.calls").read_text().splitlines()
    digest = f"sha256:{HEX}"
    assert calls == [
        " ".join(["digest", *flag, "--", f"{image}:1.0.0"]),
        " ".join(["config", *flag, "--", f"{image}@{digest}"]),
    ]
    assert set((fake / "crane.certdir").read_text().splitlines()) == {CERT_DIR}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("image", "insecure"), [(IMAGE, True), ("ghcr.io/acme/app", False)])
def test_cosign_gets_the_insecure_flags_for_a_named_registry_only(
    shell: Shell, tmp_path: Path, image: str, insecure: bool
) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    write_executable(tmp_path / "bin" / "cosign", RECORDER)
    (tmp_path / "cosign.key").write_text("key")
    config = cfg(image=image, sign={"cosign_key_secret": "cosign"})
    template = sign_template(config)
    rendered = _script_env(template.container)
    env = dict(rendered.env)
    env["DIGEST"] = f"sha256:{HEX}"
    env["BUILT"] = f"{image}:1.0.0"
    done = run(
        shell,
        Rendered(rendered.script, rendered.name, (), env),
        env={
            "COSIGN_KEY": str(tmp_path / "cosign.key"),
            "COSIGN_PASSWORD_FILE": None,
            "HOME": str(tmp_path),
            "TMPDIR": str(tmp_path),
            "FAKE_DIR": str(fake),
            "FAKE_HEX": HEX,
            "RUN": WORKFLOW_UID,
            "DOCKER_CONFIG": str(tmp_path),
        },
        path_prefix=[tmp_path / "bin"],
    )
    assert done.returncode == 0, done.stderr
    (call,) = (fake / "cosign.calls").read_text().splitlines()
    flags = "--allow-insecure-registry --allow-http-registry " if insecure else ""
    assert call == (
        f"sign {flags}--key {tmp_path / 'cosign.key'} --tlog-upload=false --yes "
        f"{image}@sha256:{HEX}"
    )
    assert (fake / "cosign.certdir").read_text() == CERT_DIR + "\n"


# --- one rule for "on an insecure registry", in Python and in the prelude -------------------

REFS = [
    "registry.local:5000/acme/app",
    "registry.local:5000/acme/app:1.0@sha256:" + "0" * 64,
    "registry.local/acme/app",
    "registry.local:50001/acme/app",
    "mirror.internal/x",
    "mirror.internal.evil.io/x",
    "evil.io/mirror.internal/x",
    "mirror/internal",
    "acme/app",
    "app",
    "localhost:5000/app",
    "[::1]:5000/app",
]


def _python_insecure(ref: str, insecure: list[str]) -> bool:
    return ImageRef.parse(ref).registry in insecure


@pytest.mark.parametrize("shell", SHELLS)
def test_the_prelude_and_python_agree_on_which_references_are_insecure(shell: Shell) -> None:
    insecure = [*INSECURE, "[::1]:5000"]
    script = (
        "set -euf\nme=t\n"
        + prelude("fail", "one_line", "insecure")
        + 'for r in "$@"; do if is_insecure "$r"; then echo yes; else echo no; fi; done\n'
    )
    done = subprocess.run(
        [*shell, "-c", script, "t", *REFS],
        env={"INSECURE_REGISTRIES": "\n".join(insecure), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    shell_says = [line == "yes" for line in done.stdout.splitlines()]
    assert shell_says == [_python_insecure(r, insecure) for r in REFS]
    assert any(shell_says) and not all(shell_says)
