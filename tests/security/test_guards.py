"""Guards a mutation audit found unprotected: each test here fails when its guard is removed.

- Credentials are mounted read-only wherever they are mounted: a phase that could write the
  registry Secret's volume could leave a credential for a later container (or a later run of
  a reused pod spec) to pick up. Checked on every rendered layout and mode, the rebase and
  sign templates and the library's templates.
- Library mode refuses an app whose nested settings the library does not give
  (``builder.platform_api``, ``source.allow_any_sha``), naming the setting, instead of
  running the app under the library's settings in silence.
- ``apply`` checks every document of a stream for privileges before it sends any.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from argo_buildpacks import BuildConfig, ConfigError, to_manifest, workflow_template
from argo_buildpacks.cli._main import cli
from argo_buildpacks.templates.app import app_template
from argo_buildpacks.templates.library import (
    GIT_SECRET,
    REGISTRY_SECRET,
    library_template,
)
from argo_buildpacks.templates.rbac import release_manifests
from tests.support.argo_fake import FakeArgo

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
REGISTRY = "registry.example.com:5000/acme"
BUILDER = "paketobuildpacks/builder-jammy-base:0.4.642"


def with_keys(**over: Any) -> BuildConfig:
    return BuildConfig.from_dict({**EXAMPLE.model_dump(mode="json"), **over})


def pod_templates(manifest: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    spec = manifest.get("spec") or {}
    spec = spec.get("workflowSpec", spec)
    for t in spec.get("templates") or []:
        yield t["name"], t


def containers(template: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(container name, container) of every container a template's pod runs."""
    for key in ("container", "script"):
        if key in template:
            yield template[key].get("name") or key, template[key]
    for c in (template.get("containerSet") or {}).get("containers") or []:
        yield c["name"], c
    for key in ("initContainers", "sidecars"):
        for c in template.get(key) or []:
            yield c["name"], c


def secret_mounts(
    manifest: Mapping[str, Any], secret: str | None = None
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(template, container, mount) for each mount of a Secret volume (of Secret ``secret``,
    or of any Secret)."""
    spec = manifest.get("spec") or {}
    spec = spec.get("workflowSpec", spec)
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for name, template in pod_templates(manifest):
        volumes = [*(spec.get("volumes") or []), *(template.get("volumes") or [])]
        secrets = {
            v["name"]
            for v in volumes
            if "secret" in v and secret in (None, v["secret"].get("secretName"))
        }
        for cname, container in containers(template):
            found += [
                (name, cname, mount)
                for mount in container.get("volumeMounts") or []
                if mount["name"] in secrets
            ]
    return found


def manifests_of(layout: str, mode: str) -> list[dict[str, Any]]:
    config = with_keys(
        layout=layout,
        mode=mode,
        creation_time="commit" if mode == "daemonless" else "now",
        rebase={"schedule": "0 4 * * *", "tag": "1"} if mode == "daemonless" else None,
        sign={"cosign_key_secret": "cosign-key"},
        sbom=mode == "daemonless",
    )
    privileged = mode != "daemonless"
    made = [to_manifest(m) for m in release_manifests(config, allow_privileged=privileged)]
    assert [m for m in made if m["kind"] == "WorkflowTemplate"]
    return made


def library_manifests() -> list[dict[str, Any]]:
    return [to_manifest(library_template(registries=[REGISTRY], git_hosts=["github.com"]))]


# Where the push credentials go, per rendering: only the phases that talk to the registry.
REGISTRY_MOUNTS = {
    ("single-pod", "daemonless"): [
        ("build", "analyze"),
        ("build", "restore"),
        ("build", "main"),  # the exporter
        ("provenance", "container"),  # reads the pushed image back from the registry
        ("sign", "container"),  # the build's sign, and the rebase's (its own template)
        ("sign", "container"),
        ("rebase", "verify"),  # the signature, checked before any label is read
        ("rebase", "inspect"),
        ("rebase", "main"),
    ],
    ("steps", "daemonless"): [
        ("build", "analyze"),
        ("build", "restore"),
        ("export", "container"),
        ("provenance", "container"),
        ("sign", "container"),
        ("sign", "container"),
        ("rebase", "verify"),
        ("rebase", "inspect"),
        ("rebase", "main"),
    ],
    ("steps", "pack-dind"): {("build", "pack"), ("provenance", "container"), ("sign", "container")},
    ("steps", "pack-socket"): {
        ("build", "pack"),
        ("provenance", "container"),
        ("sign", "container"),
    },
    ("library", "daemonless"): {
        ("build", "analyze"),
        ("build", "restore"),
        ("build", "main"),
        ("buildpacks-build", "analyze"),
        ("buildpacks-build", "restore"),
        ("buildpacks-export", "container"),
        ("provenance", "container"),
    },
}


@pytest.mark.parametrize(
    ("layout", "mode"), list(REGISTRY_MOUNTS), ids=[f"{a}-{b}" for a, b in REGISTRY_MOUNTS]
)
def test_registry_secret_is_mounted_read_only_in_every_phase_that_has_it(
    layout: str, mode: str
) -> None:
    if layout == "library":
        docs, secret = library_manifests(), REGISTRY_SECRET
    else:
        docs, secret = manifests_of(layout, mode), "regcred"
    mounts = [found for doc in docs for found in secret_mounts(doc, secret)]
    where = [(template, container) for template, container, _ in mounts]
    assert sorted(where) == sorted(REGISTRY_MOUNTS[layout, mode])  # each mounts it once
    writable = [(t, c, m) for t, c, m in mounts if m.get("readOnly") is not True]
    assert writable == [], f"registry credentials mounted writable: {writable}"


@pytest.mark.parametrize(
    ("layout", "mode"),
    [("single-pod", "daemonless"), ("steps", "daemonless"), ("steps", "pack-dind")],
    ids=["single-pod", "steps", "steps-pack-dind"],
)
def test_every_secret_volume_is_mounted_read_only(layout: str, mode: str) -> None:
    # Git, cosign and registry Secrets alike; the deploy's GitOps token below.
    docs = manifests_of(layout, mode) + library_manifests()
    mounts = [found for doc in docs for found in secret_mounts(doc)]
    names = {m["name"] for _, _, m in mounts}
    assert {"git-credentials", "registry-credentials", "cosign-key"} <= names
    assert [(t, c, m) for t, c, m in mounts if m.get("readOnly") is not True] == []


def test_gitops_token_is_mounted_read_only() -> None:
    config = with_keys(
        deploy={
            "gitops": {
                "repo": "https://git.example.com/acme/deploy.git",
                "path": "apps/my-python-app/kustomization.yaml",
                "credentials": {"https_token_secret": "gitops-token"},
            }
        }
    )
    mounts = secret_mounts(to_manifest(workflow_template(config)), "gitops-token")
    assert [(t, m.get("readOnly")) for t, _, m in mounts] == [("deploy", True)]


# Library mode: nested settings the library does not give are refused, naming them. -------

LIB = library_template(registries=[REGISTRY], git_hosts=["github.com"])


def library_app(**over: Any) -> BuildConfig:
    data = EXAMPLE.model_dump(mode="json")
    data["builder"] = BUILDER
    data["registry_secret"] = REGISTRY_SECRET
    data["source"]["credentials"] = {"https_token_secret": GIT_SECRET}
    return BuildConfig.from_dict({**data, **over})


OLD_API_BUILDER = {"image": BUILDER, "uid": 1001, "gid": 1000, "platform_api": "0.11"}
ANY_SHA_SOURCE = {
    "url": "https://github.com/acme/my-python-app.git",
    "credentials": {"https_token_secret": GIT_SECRET},
    "allow_any_sha": True,
}


def test_library_refuses_another_platform_api() -> None:
    app = library_app(builder=OLD_API_BUILDER)
    assert app.builder.platform_api == "0.11"  # same image and uid/gid as the library's
    with pytest.raises(ConfigError) as info:
        app_template(app, LIB)
    assert str(info.value) == (
        "app 'my-python-app': builder.platform_api \"0.11\" differs from library "
        "'argo-buildpacks''s \"0.12\"; the library fixes it for every app "
        "(use workflow_template, or a library with these settings)"
    )
    # A library installed for that platform API takes the same app.
    old = library_template(registries=[REGISTRY], git_hosts=["github.com"], builder=app.builder)
    assert to_manifest(app_template(app, old))["kind"] == "WorkflowTemplate"


def test_library_refuses_allow_any_sha_it_does_not_allow() -> None:
    app = library_app(source=ANY_SHA_SOURCE)
    with pytest.raises(ConfigError) as info:
        app_template(app, LIB)
    assert str(info.value) == (
        "app 'my-python-app': source.allow_any_sha is true but library 'argo-buildpacks' "
        "does not allow it"
    )
    # A library that allows any SHA takes it; an app that does not ask fits either.
    loose = library_template(registries=[REGISTRY], git_hosts=["github.com"], allow_any_sha=True)
    assert to_manifest(app_template(app, loose))["kind"] == "WorkflowTemplate"
    assert to_manifest(app_template(library_app(), loose))["kind"] == "WorkflowTemplate"


@pytest.mark.parametrize(
    ("over", "setting"),
    [({"builder": OLD_API_BUILDER}, "builder.platform_api"), ({"source": ANY_SHA_SOURCE}, None)],
)
def test_cli_render_library_refuses_nested_settings(
    over: dict[str, Any], setting: str | None, tmp_path: Path
) -> None:
    # The command line path: exit 2, the setting named, no template written.
    lib = tmp_path / "lib.yaml"
    lib.write_text(yaml.safe_dump(to_manifest(LIB)))
    app = tmp_path / "app.yaml"
    app.write_text(yaml.safe_dump(library_app(**over).model_dump(mode="json", exclude_none=True)))
    out = tmp_path / "out.yaml"
    args = ["render", "-f", str(app), "--library", "argo-buildpacks", "--library-file", str(lib)]
    result = CliRunner().invoke(cli, [*args, "--output-file", str(out)])
    assert result.exit_code == 2, result.output
    assert (setting or "source.allow_any_sha is true") in result.output
    assert not out.exists()


# apply: the privileged gate looks at every document before anything is sent. --------------


def test_cli_apply_refuses_a_stream_with_a_privileged_template_before_sending_any(
    argo_fake: FakeArgo, tmp_path: Path
) -> None:
    # A clean template first, a privileged one second: without the command line's own gate
    # over the whole stream, the first would be applied before the client refused the second.
    clean = to_manifest(workflow_template(with_keys(name="clean-app")))
    privileged = to_manifest(
        workflow_template(with_keys(mode="pack-socket", layout="steps"), allow_privileged=True)
    )
    path = tmp_path / "stream.yaml"
    path.write_text(yaml.safe_dump_all([clean, privileged]))
    env = {
        **{k: None for k in os.environ if k.startswith("ARGO")},
        "ARGO_SERVER": argo_fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": argo_fake.token or "",
    }
    refused = CliRunner().invoke(cli, ["apply", "-f", str(path)], env=env)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(
        f"Error: {path}: not applied: WorkflowTemplate 'my-python-app' gives a pod root on "
        "the node ("
    ), refused.stderr
    assert refused.stderr.rstrip().endswith("pass --allow-privileged to accept it")
    assert argo_fake.requests == []  # nothing at all was sent, not even the clean template
