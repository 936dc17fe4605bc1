"""BuildConfig and its parts: every key of the config file, and every kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from argo_buildpacks import BuildConfig, Builder, ConfigError, GitSource
from argo_buildpacks.config import BUILDER_PRESETS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "my-python-app.yaml"


def base(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": "ghcr.io/acme/app",
    }
    data.update(over)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        BuildConfig.from_dict(data, source="app.yaml")
    return str(info.value)


def test_example_file_loads_every_key() -> None:
    cfg = BuildConfig.from_file(EXAMPLE)
    assert cfg.name == "my-python-app"
    assert cfg.namespace == "argo"
    assert cfg.source.credentials is not None
    assert cfg.source.credentials.https_token_secret == "git-token"
    assert str(cfg.image) == "registry.example.com:5000/acme/my-python-app"
    assert (cfg.builder.uid, cfg.builder.gid) == (1001, 1000)
    assert cfg.env == {"BP_CPYTHON_VERSION": "3.12"}
    assert str(cfg.cache_image) == "registry.example.com:5000/acme/my-python-app-cache"
    assert cfg.run_image is None
    assert cfg.registry_secret == "regcred"
    assert (cfg.tag.from_git, cfg.tag.floating, cfg.tag.latest) == (False, True, False)
    assert (cfg.creation_time, cfg.layout, cfg.mode) == ("commit", "single-pod", "daemonless")


def test_yaml_round_trip() -> None:
    cfg = BuildConfig.from_file(EXAMPLE)
    assert BuildConfig.from_yaml(cfg.to_yaml()) == cfg


def test_defaults() -> None:
    cfg = BuildConfig.from_dict(base())
    assert cfg.source.revision == "main"
    assert cfg.source.depth == 1
    assert cfg.builder.image.name == "paketobuildpacks/builder-jammy-base"
    assert cfg.mutex and cfg.active_deadline_seconds == 3600 and cfg.pod_gc == "OnPodSuccess"


@pytest.mark.parametrize(
    ("image", "uid", "gid"),
    [
        ("paketobuildpacks/builder-jammy-base", 1001, 1000),
        ("paketobuildpacks/builder-jammy-full:0.3.400", 1001, 1000),
        ("docker.io/paketobuildpacks/builder-jammy-tiny", 1001, 1000),
        ("heroku/builder:24", 1002, 1000),
        ("heroku/builder:22", 1000, 1000),
        ("gcr.io/buildpacks/builder:google-22", 1000, 1000),
        ("gcr.io/buildpacks/builder:google-24", 33, 33),
    ],
)
def test_builder_presets(image: str, uid: int, gid: int) -> None:
    builder = Builder.from_image(image)
    assert (builder.uid, builder.gid) == (uid, gid)
    assert str(builder.image) == image
    assert BuildConfig.from_dict(base(builder=image)).builder == builder


def test_unknown_builder_needs_ids() -> None:
    message = error_of(base(builder="acme/builder:1"))
    assert "builder: builder 'acme/builder:1' is not a known builder" in message
    assert "uid" in message
    cfg = BuildConfig.from_dict(base(builder={"image": "acme/builder:1", "uid": 2000, "gid": 2000}))
    assert cfg.builder.uid == 2000
    assert "heroku/builder" in message
    assert len(BUILDER_PRESETS) >= 7


def test_root_builder_refused() -> None:
    assert "builder.uid" in error_of(base(builder={"image": "a/b:1", "uid": 0, "gid": 0}))


@pytest.mark.parametrize(
    ("over", "where", "what"),
    [
        ({"name": "My_App"}, "name", "DNS-1123"),
        ({"name": "a" * 58}, "name", "at most 57"),
        ({"name": "-app"}, "name", "DNS-1123"),
        ({"namespace": "Argo"}, "namespace", "DNS-1123"),
        ({"image": "ghcr.io/acme/app:1.0"}, "image", "must have no tag"),
        ({"image": "ghcr.io/Acme/app"}, "image", "lower-case"),
        ({"image": ""}, "image", ""),
        ({"env": {"1BAD": "x"}}, "env.1BAD", "invalid"),
        ({"env": {"CNB_PLATFORM_API": "0.9"}}, "env.CNB_PLATFORM_API", "reserved"),
        ({"env": {"OK": 3}}, "env.OK", "string"),
        ({"cache_image": "ghcr.io/acme/app"}, "(top level)", "different repository"),
        ({"cache_image": "ghcr.io/acme/c@sha256:" + "a" * 64}, "cache_image", "digest"),
        ({"registry_secret": "Reg_Cred"}, "registry_secret", "DNS-1123 subdomain"),
        ({"creation_time": "yesterday"}, "creation_time", "'commit', 'epoch' or 'now'"),
        ({"layout": "pods"}, "layout", "'single-pod' or 'steps'"),
        ({"mode": "docker"}, "mode", "'daemonless', 'pack-dind' or 'pack-socket'"),
        ({"buildpacks": ["paketo-buildpacks/python", "bad id"]}, "buildpacks.1", "pattern"),
        ({"active_deadline_seconds": 5}, "active_deadline_seconds", "greater than or equal to 60"),
        ({"retries": {"clone": -1}}, "retries.clone", "greater than or equal to 0"),
        (
            {"resources": {"build": {"requests": {"memory": "lots"}}}},
            "resources.build.requests",
            "quantity",
        ),
        ({"tag": {"from_git": True}, "mode": "pack-dind"}, "(top level)", "from_git needs mode"),
        (
            {"source": {"url": "https://github.com/a/b.git", "revision": "abc1234"}},
            "source.revision",
            "abbreviated",
        ),
        (
            {"source": {"url": "https://github.com/a/b.git", "revision": "-x"}},
            "source.revision",
            "starts with '-'",
        ),
        (
            {"source": {"url": "https://github.com/a/b.git", "revision": "a..b"}},
            "source.revision",
            "'..'",
        ),
        (
            {"source": {"url": "https://github.com/a/b.git", "subpath": "../x"}},
            "source.subpath",
            "plain relative",
        ),
        (
            {"source": {"url": "https://github.com/a/b.git", "subpath": "/abs"}},
            "source.subpath",
            "relative",
        ),
        (
            {"source": {"url": "https://github.com/a/b.git", "depth": 0}},
            "source.depth",
            "greater than or equal to 1",
        ),
        ({"source": {"url": "ftp://host/x"}}, "source.url", "scheme 'ftp'"),
        ({"source": {"url": "ext::sh -c touch% /tmp/x"}}, "source.url", "whitespace"),
        ({"source": {"url": "ext::ssh"}}, "source.url", "remote helper"),
        ({"source": {"url": "-oProxyCommand=x"}}, "source.url", "starts with '-'"),
        ({"source": {"url": "https://"}}, "source.url", "invalid host"),
        ({"source": {"url": "https://github.com"}}, "source.url", "no repository path"),
        (
            {"source": {"url": "https://github.com/a/b.git", "credentials": {}}},
            "source.credentials",
            "exactly one",
        ),
        (
            {
                "source": {
                    "url": "http://git.local/a.git",
                    "credentials": {"https_token_secret": "t"},
                }
            },
            "source",
            "never sent over plain http",
        ),
        (
            {"source": {"url": "https://github.com/a.git", "credentials": {"ssh_key_secret": "k"}}},
            "source",
            "ssh_key_secret needs an ssh URL",
        ),
        ({"source": {}}, "source.url", "required key is missing"),
    ],
)
def test_mistakes_are_located_and_explained(over: dict[str, Any], where: str, what: str) -> None:
    message = error_of(base(**over))
    assert message.startswith(f"app.yaml: {where}:"), message
    assert what in message


def test_url_credentials_are_never_echoed() -> None:
    message = error_of(base(source={"url": "https://user:s3cret@github.com/a/b.git"}))
    assert "s3cret" not in message
    assert "credentials" in message


def test_unknown_keys_named_with_suggestion() -> None:
    message = error_of(
        base(imagee="x", tag={"from_gti": True}, source={"url": "https://h/a", "revison": "x"})
    )
    assert "app.yaml: imagee: unknown key 'imagee'; did you mean 'image'?" in message
    assert "tag.from_gti: unknown key 'from_gti'; did you mean 'from_git'?" in message
    assert "source.revison: unknown key 'revison'; did you mean 'revision'?" in message
    assert len(message.splitlines()) == 3


def test_missing_required_keys() -> None:
    message = error_of({"name": "app"})
    assert "source: required key is missing" in message
    assert "image: required key is missing" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/app.git",
        "https://git.example.com:8443/group/sub/app",
        "ssh://git@github.com/acme/app.git",
        "ssh://git@[::1]:2222/acme/app.git",
        "git@github.com:acme/app.git",
        "git://example.com/app.git",
        "file:///srv/git/app.git",
        "http://gitea.local/app.git",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert GitSource(url=url).url == url


def test_credentials_refs() -> None:
    https = GitSource(url="https://github.com/a/b", credentials={"https_token_secret": "git-token"})
    assert https.credentials is not None and https.credentials.kind == "https"
    ssh = GitSource(url="git@github.com:a/b.git", credentials={"ssh_key_secret": "git-ssh"})
    assert ssh.credentials is not None and ssh.credentials.kind == "ssh"


def test_models_are_frozen() -> None:
    cfg = BuildConfig.from_dict(base())
    with pytest.raises(ValidationError):
        cfg.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("", "the file is empty"),
        ("name: [unclosed", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=what):
        BuildConfig.from_file(path)


def test_missing_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        BuildConfig.from_file(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="cannot read"):
        BuildConfig.from_file(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="cannot read"):
        BuildConfig.from_file(binary)


def test_json_schema_describes_the_file() -> None:
    schema = BuildConfig.json_schema()
    json.dumps(schema)
    assert set(schema["required"]) == {"name", "source", "image"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["image"]["type"] == "string"
    assert "commit" in json.dumps(schema["properties"]["creation_time"])


def test_json_schema_validates_example() -> None:
    import jsonschema
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text())
    jsonschema.validate(data, BuildConfig.json_schema())
