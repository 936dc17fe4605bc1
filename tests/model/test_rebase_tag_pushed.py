"""Issue 21 item 1: the rebase acts on a tag the build pushes, or the config is refused.

The README's ``tag.latest: false`` with the default ``rebase.tag`` (``latest``) and a
``deploy`` rendered a nightly rebase of a tag no release pushes: it failed every night, or
rebased and rolled out a stale ``latest`` pushed by someone else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from argo_buildpacks.cli._main import cli
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.tags import SemverTag
from argo_buildpacks.templates.rbac import release_manifests

BASE: dict[str, Any] = {
    "name": "shop",
    "source": {"url": "https://github.com/acme/shop.git"},
    "image": "ghcr.io/acme/shop",
    "registry_secret": "regcred",
    "deploy": {"kubernetes": {"namespace": "apps", "deployment": "shop", "container": "app"}},
}
README_TAGS = {"from_git": False, "floating": True, "latest": False}


def test_the_readme_tags_with_a_default_rebase_and_deploy_are_refused_naming_the_fix(
    tmp_path: Path,
) -> None:
    app = tmp_path / "shop.yaml"
    out = tmp_path / "out.yaml"
    app.write_text(
        "name: shop\nsource: {url: https://github.com/acme/shop.git}\nimage: ghcr.io/acme/shop\n"
        "tag: {from_git: false, floating: true, latest: false}\n"
        'rebase: {schedule: "0 4 * * *"}\n'
        "deploy: {kubernetes: {namespace: apps, deployment: shop, container: app}}\n"
    )
    env = {k: None for k in os.environ if k.startswith("ARGO")}
    result = CliRunner().invoke(cli, ["render", "-f", str(app), "--output-file", str(out)], env=env)
    assert result.exit_code == 2, result.output
    assert "rebase.tag 'latest' (the default) names a tag the build never pushes" in result.output
    assert "set tag: {latest: true, floating: true}" in result.output
    assert "set rebase.tag to a tag the build pushes" in result.output
    assert "Traceback" not in result.output
    # Nothing was rendered: no rebase (nor anything else) to install.
    assert not out.exists()


@pytest.mark.parametrize(
    ("tags", "rebase", "message"),
    [
        (README_TAGS, {}, "rebase.tag 'latest' (the default) names a tag the build never pushes"),
        (
            {"latest": True, "floating": False},
            {"tag": "latest"},
            "(tag.latest: true, tag.floating: false)",
        ),
        ({"floating": False}, {"tag": "1"}, "rebase.tag '1' is a floating tag"),
        ({"floating": False}, {"tag": "1.4"}, "rebase.tag '1.4' is a floating tag"),
        (README_TAGS, {"tag": "v1.4.2"}, "without the leading 'v' (use '1.4.2')"),
    ],
)
def test_a_tag_no_release_pushes_is_refused(
    tags: dict[str, bool], rebase: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=r"rebase: ") as info:
        BuildConfig.from_dict({**BASE, "tag": tags, "rebase": rebase})
    assert message in str(info.value)


def test_a_floating_tag_the_build_moves_is_what_the_rebase_and_its_cron_act_on() -> None:
    config = BuildConfig.from_dict(
        {**BASE, "tag": README_TAGS, "rebase": {"schedule": "0 4 * * *", "tag": "1"}}
    )
    docs = {(d["kind"], d["metadata"]["name"]): d for d in release_manifests(config)}
    cron = docs[("CronWorkflow", "shop-rebase")]
    assert cron["spec"]["workflowSpec"]["arguments"]["parameters"] == [
        {"name": "tag", "value": "1"}
    ]
    template = docs[("WorkflowTemplate", "shop-rebase")]
    assert template["spec"]["arguments"]["parameters"][0] == {
        "name": "tag",
        "value": "1",
        "description": "The tag naming the image to keep patched (moved to the patched image).",
    }


@given(
    major=st.integers(0, 50),
    minor=st.integers(0, 50),
    patch=st.integers(0, 50),
    floating=st.booleans(),
    latest=st.booleans(),
    form=st.sampled_from(["latest", "major", "minor", "full"]),
)
def test_a_rebase_tag_is_accepted_exactly_when_a_release_pushes_it(
    major: int, minor: int, patch: int, floating: bool, latest: bool, form: str
) -> None:
    # The rule of the tags a release pushes lives in SemverTag.oci_tags: the config agrees.
    version = SemverTag.parse(f"{major}.{minor}.{patch}")
    tag = {
        "latest": "latest",
        "major": f"{major}",
        "minor": f"{major}.{minor}",
        "full": f"{major}.{minor}.{patch}",
    }[form]
    pushed = tag in version.oci_tags(floating=floating, latest=latest)
    data = {**BASE, "tag": {"floating": floating, "latest": latest}, "rebase": {"tag": tag}}
    try:
        BuildConfig.from_dict(data)
        accepted = True
    except ConfigError:
        accepted = False
    assert accepted == pushed
