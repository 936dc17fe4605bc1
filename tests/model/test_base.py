"""Every config model raises ConfigError, never pydantic's ValidationError, however it is made,
and the message names the key, the bad value and what is allowed."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

import argo_buildpacks.model
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model._base import Model
from argo_buildpacks.model.config import BuildConfig

_APP = {"name": "app", "source": {"url": "https://github.com/acme/app.git"}, "image": "ghcr.io/a/b"}
_GITOPS = {"repo": "https://g.example.com/deploy.git", "path": "apps/kustomization.yaml"}
_KUBE = {"namespace": "apps", "deployment": "web", "container": "app"}

# class name -> (valid fields, the field made bad, its bad value, what the message must say
# besides the field and the value: what is allowed). Every public model must be here.
CASES: dict[str, tuple[dict[str, Any], str, Any, str]] = {
    "GitCredentials": ({"https_token_secret": "t"}, "https_token_key", "a/b", "may only contain"),
    "GitSource": (
        {"url": "https://github.com/acme/app.git"},
        "revision",
        "-x",
        "not a valid git branch or tag name",
    ),
    "Builder": (
        {"image": "acme/builder:1", "uid": 1001, "gid": 1000},
        "uid",
        0,
        "greater than or equal to 1",
    ),
    "TagPolicy": ({}, "floating", "maybe", "valid boolean"),
    "ResourceSpec": ({}, "requests", {"cpu": "lots"}, "not a Kubernetes quantity"),
    "Resources": ({}, "build", {"limits": {"memory": "lots"}}, "not a Kubernetes quantity"),
    "Retries": ({}, "clone", 11, "less than or equal to 10"),
    "Workspace": ({}, "size", "big", "positive Kubernetes quantity"),
    "TTL": ({}, "after_success", -1, "greater than or equal to 0"),
    "Toleration": ({"key": "k"}, "effect", "Sometimes", "'NoSchedule', 'PreferNoSchedule'"),
    "Images": ({}, "git", "Not A Ref", "an image reference has none"),
    "BuildConfig": (_APP, "namespace", "Bad_NS", "is not a DNS-1123 label"),
    "TriggerConfig": (
        {"provider": "github", "webhook_secret": "s"},
        "provider",
        "svn",
        "'github', 'gitlab' or 'webhook'",
    ),
    "KubernetesDeploy": (_KUBE, "container", "App", "is not a DNS-1123 label"),
    "GitOpsCredentials": ({"https_token_secret": "s"}, "https_token_secret", "S!", "DNS-1123"),
    "GitOpsDeploy": (_GITOPS, "branch", "-x", "not a valid git branch or tag name"),
    "DeployConfig": (
        {"kubernetes": _KUBE},
        "kubernetes",
        {**_KUBE, "timeout_seconds": 5},
        "greater than or equal to 30",
    ),
    "SignConfig": ({"cosign_key_secret": "cosign"}, "key", "a b", "may only contain"),
    "RebaseConfig": ({}, "schedule", "nope", "is not a cron expression"),
    "CaBundle": ({"secret": "ca"}, "key", "a/b", "may only contain"),
    "RegistryTrust": ({}, "ca", {"secret": "S!"}, "is not a DNS-1123 subdomain"),
}


def _model_classes() -> dict[str, type[BaseModel]]:
    """Every pydantic model defined in argo_buildpacks.model, by name."""
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(argo_buildpacks.model.__path__):
        module = importlib.import_module(f"argo_buildpacks.model.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[value.__name__] = value
    return found


MODELS = _model_classes()


def test_every_model_derives_from_the_one_base() -> None:
    # A model that forgot the base would let pydantic's ValidationError escape.
    assert MODELS, "no model found: the walk is broken"
    strays = [name for name, cls in MODELS.items() if not issubclass(cls, Model)]
    assert strays == []


def test_every_public_model_is_checked_here() -> None:
    public = {name for name, cls in MODELS.items() if cls is not Model}
    assert public == set(CASES), "add the new model to CASES"


def _bad(name: str) -> tuple[type[BaseModel], dict[str, Any], str, Any, str]:
    valid, field, value, allowed = CASES[name]
    return MODELS[name], {**valid, field: value}, field, value, allowed


def _leaf(value: Any) -> Any:
    """The bad value itself, inside the mappings that carry it."""
    while isinstance(value, dict):
        value = next(v for k, v in value.items() if k not in _KUBE or v != _KUBE[k])
    return value


def _assert_names_it(error: ConfigError, field: str, value: Any, allowed: str) -> None:
    message = str(error)
    assert re.search(f": {field}(: |\\.)", message), message  # the key path starts there
    assert repr(_leaf(value)) in message  # the bad value
    assert allowed in message
    assert error.errors()[0]["loc"][0] == field  # as pydantic's errors() would say


@pytest.mark.parametrize("name", sorted(CASES))
def test_valid_fields_make_a_model(name: str) -> None:
    valid = CASES[name][0]
    assert MODELS[name](**valid) == MODELS[name].model_validate(valid)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("how", ["constructor", "model_validate", "model_validate_json"])
def test_a_bad_value_is_a_config_error_naming_field_value_and_what_is_allowed(
    name: str, how: str
) -> None:
    cls, data, field, value, allowed = _bad(name)
    make: Callable[[], object] = {
        "constructor": lambda: cls(**data),
        "model_validate": lambda: cls.model_validate(data),
        "model_validate_json": lambda: cls.model_validate_json(json.dumps(data)),
    }[how]
    with pytest.raises(ConfigError) as info:
        make()
    assert str(info.value).startswith(f"{name}: ")
    _assert_names_it(info.value, field, value, allowed)


@pytest.mark.parametrize("name", sorted(CASES))
def test_model_copy_validates_the_update(name: str) -> None:
    cls, _, field, value, allowed = _bad(name)
    good = cls(**CASES[name][0])
    with pytest.raises(ConfigError) as info:
        good.model_copy(update={field: value})
    assert str(info.value).startswith(f"{name}.model_copy: ")
    _assert_names_it(info.value, field, value, allowed)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_model_is_frozen(name: str) -> None:
    good = MODELS[name](**CASES[name][0])
    field = CASES[name][1]
    with pytest.raises(ConfigError, match=f"{name}: {field}: Instance is frozen"):
        setattr(good, field, CASES[name][2])


@pytest.mark.parametrize(
    ("section", "data", "where"),
    [
        ("trigger", {"provider": "svn", "webhook_secret": "s"}, "trigger.provider"),
        ("deploy", {"kubernetes": 1}, "deploy.kubernetes"),
        ("rebase", {"schedule": "nope"}, "rebase.schedule"),
        ("sign", {"cosign_key_secret": "Bad"}, "sign.cosign_key_secret"),
        ("source", {"url": "https://github.com/a/b", "revision": "-x"}, "source.revision"),
    ],
)
def test_a_nested_section_keeps_its_location(section: str, data: Any, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        BuildConfig(**{**_APP, section: data})
    assert f"BuildConfig: {where}: " in str(info.value)
    with pytest.raises(ConfigError, match=f"app.yaml: {where}: "):
        BuildConfig.from_yaml(json.dumps({**_APP, section: data}), source="app.yaml")


def test_an_unknown_key_names_the_closest_known_one_in_any_model() -> None:
    with pytest.raises(ConfigError) as info:
        MODELS["KubernetesDeploy"](**{**_KUBE, "containr": "c"})
    assert "unknown key 'containr'; did you mean 'container'?" in str(info.value)
    with pytest.raises(ConfigError, match=r"deploy\.gitops\.pth: unknown key 'pth'; did you mean"):
        BuildConfig(**{**_APP, "deploy": {"gitops": {**_GITOPS, "pth": "x"}}})


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_a_nul_or_a_lone_surrogate_is_refused_in_every_model(text: str) -> None:
    with pytest.raises(ConfigError, match=r"RebaseConfig: tag: .*(NUL|surrogate)"):
        MODELS["RebaseConfig"](tag=text)
    with pytest.raises(ConfigError, match=r"TriggerConfig: tags: .*(NUL|surrogate)"):
        MODELS["TriggerConfig"](provider="github", webhook_secret="s", tags=text)
