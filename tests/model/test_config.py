"""BuildConfig and its parts: every key of the config file, and every kind of mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, Builder, ConfigError, GitSource, SemverTag
from argo_buildpacks._kits.yaml_io import MAX_NODES
from argo_buildpacks.model.config import BUILDER_PRESETS

ROOT = Path(__file__).resolve().parents[2]
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
    with pytest.raises(ConfigError, match="BuildConfig: name: Instance is frozen"):
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
    with pytest.raises(ConfigError, match="is a directory, not a config file"):
        BuildConfig.from_file(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
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


# -- hostile and mistaken input: one ConfigError naming the place, never another exception --

_CONFIG_YAML = (
    "name: app\nsource: {url: 'https://github.com/acme/app.git'}\nimage: ghcr.io/acme/app\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_CONFIG_YAML + "env: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100 levels"),
        (_CONFIG_YAML + 'env: {A: "\\ud800"}\n', "env.A: the value contains a lone surrogate"),
        (_CONFIG_YAML + 'env: {A: "x\\0y"}\n', "env.A: the value contains a NUL character"),
        (_CONFIG_YAML + "image: ghcr.io/acme/other\n", "line 4: duplicate key 'image'"),
        (
            _CONFIG_YAML
            + "x0: &a0 [a, a, a, a, a, a, a, a, a, a]\n"
            + "".join(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
            f"expands to more than {MAX_NODES} nodes",
        ),
        ("a: &a [*a]\n", "alias refers to itself"),
    ],
    ids=["deep", "surrogate", "nul", "duplicate-key", "alias-bomb", "recursive-alias"],
)
def test_hostile_yaml_is_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        BuildConfig.from_yaml(text, source="app.yaml")
    assert str(info.value).startswith("app.yaml: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_device_or_a_huge_file_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="/dev/zero: not a regular file"):
        BuildConfig.from_file("/dev/zero")
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"#" * (8 * 1024 * 1024 + 1))
    with pytest.raises(ConfigError, match="larger than 8388608 bytes"):
        BuildConfig.from_file(huge)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: BuildConfig.from_file(None), "from_file: path must be a str or os.PathLike"),  # type: ignore[arg-type]
        (lambda: BuildConfig.from_yaml(b"name: x"), "from_yaml: text must be a str, not bytes"),  # type: ignore[arg-type]
        (lambda: BuildConfig.from_dict([1]), "expected a mapping of config keys, got list"),  # type: ignore[arg-type]
        (lambda: SemverTag.from_git_describe(None), "git describe output must be a string"),  # type: ignore[arg-type]
    ],
)
def test_python_api_wrong_types_raise_config_error(call: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call()


def test_workflow_template_of_a_dict_names_the_argument() -> None:
    from argo_buildpacks import workflow_template

    with pytest.raises(
        ConfigError, match="workflow_template: config must be a BuildConfig, not dict"
    ):
        workflow_template(base())  # type: ignore[arg-type]


def test_constructor_raises_config_error_with_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        BuildConfig(**base(imagee="x"))
    assert "BuildConfig: imagee: unknown key 'imagee'; did you mean 'image'?" in str(info.value)
    assert isinstance(info.value, ValueError)  # `except ValueError` keeps working
    assert ("imagee",) in [e["loc"] for e in info.value.errors()]  # as pydantic's
    assert info.value.error_count() == 1
    with pytest.raises(ConfigError, match="GitSource: revision: revision '-x'"):
        GitSource(url="https://github.com/acme/app.git", revision="-x")


def test_nested_errors_keep_their_location() -> None:
    assert "app.yaml: builder.uid:" in error_of(
        base(builder={"image": "a/b:1", "uid": 0, "gid": 0})
    )


def test_model_copy_validates_the_update() -> None:
    cfg = BuildConfig.from_dict(base())
    with pytest.raises(ConfigError, match=r"BuildConfig\.model_copy: layout: "):
        cfg.model_copy(update={"layout": "sideways"})
    with pytest.raises(ConfigError, match=r"model_copy: image: .*must have no tag"):
        cfg.model_copy(update={"image": "ghcr.io/acme/app:1.0"})
    assert cfg.model_copy(update={"layout": "steps"}).layout == "steps"
    assert cfg.model_copy() == cfg


@pytest.mark.parametrize("quantity", ["\u0665\u0660\u0660m", "\uff15Gi", "1.5e\u0663"])
def test_resource_quantities_need_ascii_digits(quantity: str) -> None:
    message = error_of(base(resources={"build": {"requests": {"cpu": quantity}}}))
    assert "is not a Kubernetes quantity" in message
    assert "resources.build.requests" in message


@pytest.mark.parametrize("where", ["value", "name"])
def test_nul_in_env_is_refused(where: str) -> None:
    env = {"A": "x\x00y"} if where == "value" else {"A\x00B": "x"}
    message = error_of(base(env=env))
    assert "NUL" in message


def test_lone_surrogate_from_python_is_refused() -> None:
    assert "lone surrogate" in error_of(base(env={"A": "\ud800"}))


@pytest.mark.parametrize(
    ("toleration", "message"),
    [
        ({"operator": "Equal", "value": "x"}, "operator must be 'Exists' when key is empty"),
        ({"key": "gpu", "operator": "Exists", "value": "x"}, "value must be empty when operator"),
        ({"key": "gpu", "toleration_seconds": 5}, "effect must be 'NoExecute' when toleration_"),
        ({"key": "bad key!"}, "toleration key 'bad key!' is not a valid label key"),
        ({"key": "gpu", "value": "-x-"}, "toleration value '-x-' is invalid"),
    ],
)
def test_malformed_tolerations_are_refused(toleration: dict[str, Any], message: str) -> None:
    got = error_of(base(tolerations=[toleration]))
    assert "tolerations.0" in got
    assert message in got


def test_valid_tolerations_pass() -> None:
    cfg = BuildConfig.from_dict(
        base(
            tolerations=[
                {"operator": "Exists"},
                {"key": "example.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                {"key": "spot", "value": "true", "effect": "NoExecute", "toleration_seconds": 30},
            ]
        )
    )
    assert len(cfg.tolerations) == 3


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ({"bad key": "x"}, "label key 'bad key' is not a valid label key"),
        ({"Example.com/disk": "ssd"}, "prefix 'Example.com' must be a DNS-1123 subdomain"),
        ({"disk": "s s d"}, "label value 's s d' is invalid"),
        ({"disk": "x" * 64}, "is invalid"),
        ({"a" * 64: "x"}, "is not a valid label key"),
    ],
)
def test_malformed_node_selectors_are_refused(selector: dict[str, str], message: str) -> None:
    got = error_of(base(node_selector=selector))
    assert "node_selector" in got
    assert message in got


def test_valid_node_selector_passes() -> None:
    selector = {"kubernetes.io/arch": "amd64", "disk": "", "pool_1.x": "ssd-fast"}
    assert BuildConfig.from_dict(base(node_selector=selector)).node_selector == selector
