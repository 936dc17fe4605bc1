"""The trigger, schedule and deploy config sections: each mistake names the key, the value
and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig

BASE: dict[str, Any] = {
    "name": "app",
    "source": {"url": "https://github.com/acme/app.git"},
    "image": "ghcr.io/acme/app",
}
GITOPS = {"repo": "https://g.example.com/deploy.git", "path": "apps/app/kustomization.yaml"}


def error(**sections: Any) -> str:
    with pytest.raises(ConfigError) as info:
        BuildConfig.from_dict({**BASE, **sections}, source="app.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            {"trigger": {"provider": "bitbucket", "webhook_secret": "s"}},
            "app.yaml: trigger.provider: Input should be 'github', 'gitlab' or 'webhook' "
            "(got 'bitbucket')",
        ),
        (
            {"trigger": {"provider": "github", "webhook_secret": "s", "webhook_url": "https://x"}},
            "webhook_url apply to provider 'gitlab' only (provider is 'github')",
        ),
        (
            {"trigger": {"provider": "github", "webhook_secret": "Not_A_Name"}},
            "trigger.webhook_secret: Secret name 'Not_A_Name' is not a DNS-1123 subdomain",
        ),
        (
            {"trigger": {"provider": "github", "webhook_secret": "s", "branches": ["-x"]}},
            "trigger.branches.0: branch '-x' is not a valid git branch or tag name: it starts "
            "with '-'",
        ),
        (
            {"trigger": {"provider": "github", "webhook_secret": "s", "tags": "v[0-9]*"}},
            "trigger.tags: tag pattern 'v[0-9]*' is not allowed",
        ),
        (
            {"deploy": {"kubernetes": {"namespace": "apps", "deployment": "web"}}},
            "deploy.kubernetes.container: required key is missing",
        ),
        (
            {"deploy": {"kubernetes": {"namespace": "a", "deployment": "w", "containr": "c"}}},
            "deploy.kubernetes.containr: unknown key 'containr'; did you mean 'container'?",
        ),
        (
            {"deploy": {"gitops": {**GITOPS, "repo": "http://g.example.com/deploy.git"}}},
            "gitops repo 'http://g.example.com/deploy.git' must be an https:// URL (got http)",
        ),
        (
            {"deploy": {"gitops": {**GITOPS, "yaml_path": "image..digest"}}},
            "deploy.gitops.yaml_path: String should match pattern",
        ),
        (
            {"trigger": {"provider": "webhook", "webhook_secret": "s", "endpoint": "/a b"}},
            "trigger.endpoint: String should match pattern",
        ),
        (
            {"deploy": {"gitops": {**GITOPS, "branch": "main..x"}}},
            "deploy.gitops.branch: branch 'main..x' is not a valid git branch or tag name: it "
            "contains '..'",
        ),
        (
            {
                "deploy": {
                    "gitops": {
                        **GITOPS,
                        "repo": "file:///srv/deploy.git",
                        "credentials": {"https_token_secret": "t"},
                    }
                }
            },
            "gitops credentials need an https:// repo URL",
        ),
    ],
)
def test_mistakes_name_the_key_the_value_and_what_is_allowed(
    sections: dict[str, Any], expected: str
) -> None:
    assert expected in error(**sections)


def test_the_sections_round_trip_and_appear_in_the_editor_schema() -> None:
    config = BuildConfig.from_dict(
        {
            **BASE,
            "tag": {"from_git": True},
            "trigger": {"provider": "webhook", "webhook_secret": "hook"},
            "schedule": "@weekly",
            "deploy": {"gitops": GITOPS},
        }
    )
    again = BuildConfig.from_yaml(config.to_yaml())
    assert again == config
    properties = BuildConfig.json_schema()["properties"]
    assert {"trigger", "schedule", "deploy"} <= set(properties)
