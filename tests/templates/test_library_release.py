"""Issue 21 item 2 from Python: library mode with the release features and per-app resources.

``app_manifests(config, library)`` renders what ``release_manifests`` renders for a
standalone app (RBAC with the executor account and its token Secret, EventSource, Sensor,
CronWorkflows, the rebase template), around the thin template; per-app resources reach the
library within the maxima it sets, and an app asking more is refused naming app, phase,
value and maximum.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from argo_buildpacks._kits.yaml_emit import to_manifest
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig, Resources
from argo_buildpacks.templates.app import app_manifests, app_template
from argo_buildpacks.templates.library import SETTINGS_ANNOTATION, library_template
from argo_buildpacks.templates.rbac import release_manifests

LIB = library_template(
    registries=["registry.example.com/acme"],
    git_hosts=["github.com"],
    max_resources={"build": {"requests": {"memory": "8Gi"}, "limits": {"memory": "16Gi"}}},
)
BASE: dict[str, Any] = {
    "name": "shop",
    "source": {
        "url": "https://github.com/acme/shop.git",
        "credentials": {"https_token_secret": "argo-buildpacks-git"},
    },
    "image": "registry.example.com/acme/shop",
    "registry_secret": "argo-buildpacks-registry",
}
RELEASE: dict[str, Any] = {
    "tag": {"from_git": True, "latest": True},
    "trigger": {"provider": "github", "webhook_secret": "hook", "branches": ["main"]},
    "schedule": "0 3 * * 1",
    "deploy": {"kubernetes": {"namespace": "apps", "deployment": "shop", "container": "app"}},
    "rebase": {"schedule": "0 4 * * *"},
}


def config(**extra: Any) -> BuildConfig:
    return BuildConfig.from_dict({**BASE, **extra})


def names(docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["kind"], d["metadata"]["name"]) for d in docs]


def test_an_app_on_the_library_gets_every_object_a_standalone_app_gets() -> None:
    app = config(**RELEASE)
    mine = app_manifests(app, LIB)
    assert names(mine) == names(release_manifests(app))
    kinds = {kind for kind, _ in names(mine)}
    assert {"EventSource", "Sensor", "CronWorkflow", "Role", "RoleBinding", "Secret"} <= kinds
    # The deploy's account and Role: what app_template alone never rendered.
    assert ("ServiceAccount", "shop-deploy") in names(mine)
    assert ("Role", "shop-deploy") in names(mine)
    template = next(
        d for d in mine if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == "shop"
    )
    assert template["metadata"]["labels"]["argo-buildpacks.io/library"] == "argo-buildpacks"
    # The thin template: the build is the library's, by templateRef, never a copy of it.
    assert '"templateRef"' in json.dumps(template)
    assert {t["name"] for t in template["spec"]["templates"]} == {"main", "deploy"}


@pytest.mark.parametrize("key", ["trigger", "schedule", "rebase"])
def test_app_template_alone_points_at_app_manifests(key: str) -> None:
    app = config(**{"tag": RELEASE["tag"], key: RELEASE[key]})
    with pytest.raises(ConfigError, match=rf"{key} is set.*app_manifests\(config, library\)"):
        app_template(app, LIB)


def build_arguments(app: BuildConfig) -> dict[str, str]:
    manifest = to_manifest(app_template(app, LIB))
    main = next(t for t in manifest["spec"]["templates"] if t["name"] == "main")
    step = next(s for g in main["steps"] for s in g if s["name"] == "build")
    return {p["name"]: p["value"] for p in step["arguments"]["parameters"]}


def test_resources_within_the_maxima_reach_the_library_as_inputs() -> None:
    args = build_arguments(config(resources={"build": {"requests": {"memory": "8Gi"}}}))
    assert args["resources-build-requests-memory"] == "8Gi"
    assert "resources-build-limits-memory" not in args  # the library's own value
    smaller = build_arguments(config(resources={"clone": {"requests": {"cpu": "50m"}}}))
    assert smaller["resources-clone-requests-cpu"] == "50m"
    assert not [k for k in build_arguments(config()) if k.startswith("resources-")]


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            {"build": {"limits": {"memory": "17Gi"}}},
            "app 'shop': resources.build.limits.memory = '17Gi' is above the maximum library "
            "'argo-buildpacks' sets for the build phase, '16Gi'",
        ),
        (
            {"clone": {"requests": {"cpu": "2"}}},
            "app 'shop': resources.clone.requests.cpu = '2' is above the maximum library "
            "'argo-buildpacks' sets for the clone phase, '100m'",
        ),
        (
            {"build": {"limits": {"cpu": "4"}}},
            "resources.build.limits.cpu = '4', but library 'argo-buildpacks' takes no build "
            "limits 'cpu' per app",
        ),
        (
            {"build": {"limits": {"memory": None}}},
            "resources.build.limits has no 'memory', but library 'argo-buildpacks' sets '4Gi'",
        ),
    ],
)
def test_resources_the_library_cannot_give_are_refused_naming_them(
    resources: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        app_manifests(config(resources=resources), LIB)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("maxima", "message"),
    [
        ({"build": {"limits": {"memory": "1Gi"}}}, "'1Gi' is below the library's own '4Gi'"),
        ({"bild": {}}, "max_resources: 'bild' is not a phase"),
        ({"build": {"limit": {}}}, "'limit' is not requests or limits"),
        ({"build": {"limits": {"cpu": "4"}}}, "the library sets no limits 'cpu' for build"),
        ({"build": {"limits": {"memory": "lots"}}}, "'lots' is not a Kubernetes quantity"),
    ],
)
def test_bad_maxima_are_refused_naming_them(maxima: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="max_resources") as info:
        library_template(registries=["registry.example.com/acme"], max_resources=maxima)
    assert message in str(info.value)


def test_a_library_without_maxima_keeps_its_resources_fixed() -> None:
    """A library rendered before maxima existed fixes its resources: an app asking other
    values is refused (never run with the library's in silence)."""
    old = library_template(registries=["registry.example.com/acme"], git_hosts=["github.com"])
    settings = json.loads((old.annotations or {})[SETTINGS_ANNOTATION])
    settings.pop("max_resources")
    old.annotations = {**(old.annotations or {}), SETTINGS_ANNOTATION: json.dumps(settings)}
    for t in old.templates or []:  # and without the inputs
        found = getattr(t, "inputs", None)
        inputs = found if isinstance(found, list) else []
        kept = [p for p in inputs if not str(getattr(p, "name", "")).startswith("resources-")]
        setattr(t, "inputs", kept)  # noqa: B010 - the union type has no inputs attribute
    with pytest.raises(ConfigError, match=r"above the maximum.*'4Gi'"):
        app_template(config(resources={"build": {"limits": {"memory": "8Gi"}}}), old)
    with pytest.raises(ConfigError, match=r"has no input 'resources-build-limits-memory'"):
        app_template(config(resources={"build": {"limits": {"memory": "3Gi"}}}), old)
    app_template(config(resources=Resources().model_dump()), old)  # the same values: fine
