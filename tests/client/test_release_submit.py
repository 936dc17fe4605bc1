"""``submit --release v1.4.2`` (and ``ArgoClient.submit(release=...)``): one git tag sets
both the version and the revision; a conflicting ``tag`` or ``revision`` is refused before
any request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from argo_buildpacks import workflow_template
from argo_buildpacks.cli._main import cli
from argo_buildpacks.client._client import ArgoClient
from argo_buildpacks.errors import ConfigError, TagError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.release import release_arguments
from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "my-python-app.yaml"


def test_release_sets_the_version_and_the_git_tag() -> None:
    # The revision is the tag's full ref: a branch named v1.4.2 is never built instead.
    assert release_arguments("v1.4.2") == ("1.4.2", {"revision": "refs/tags/v1.4.2"})
    assert release_arguments("2.0.0-rc.1", parameters={"repo": "x"}) == (
        "2.0.0-rc.1",
        {"repo": "x", "revision": "refs/tags/2.0.0-rc.1"},
    )
    # The same version or revision given again (plain or as the full ref) is not a conflict.
    for same in ("v1.4.2", "refs/tags/v1.4.2"):
        assert release_arguments("v1.4.2", tag="1.4.2", parameters={"revision": same}) == (
            "1.4.2",
            {"revision": "refs/tags/v1.4.2"},
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tag": "1.4.3"}, "release 'v1.4.2' is version 1.4.2 but tag '1.4.3' was also given"),
        ({"parameters": {"tag": "1.5.0"}}, "but parameter tag='1.5.0' was also given"),
        ({"parameters": {"revision": "main"}}, "but revision='main' was also given"),
        (
            {"parameters": {"revision": "refs/heads/v1.4.2"}},
            "release 'v1.4.2' builds the git tag 'refs/tags/v1.4.2' but "
            "revision='refs/heads/v1.4.2' was also given",
        ),
    ],
)
def test_conflicts_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        release_arguments("v1.4.2", **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_a_release_that_is_no_version_is_refused() -> None:
    with pytest.raises(TagError):
        release_arguments("refs/tags/v1.4.2")


@pytest.fixture
def client(argo_client: ArgoClient) -> ArgoClient:
    config = BuildConfig.from_file(EXAMPLE)
    argo_client.apply(workflow_template(config))
    return argo_client


def test_client_submit_with_release(client: ArgoClient, argo_fake: FakeArgo) -> None:
    client.submit("my-python-app", release="v1.4.2")
    body = argo_fake.requests[-1].body
    assert body["submitOptions"]["parameters"] == ["tag=1.4.2", "revision=refs/tags/v1.4.2"]


def test_client_refuses_a_conflict_without_a_request(
    client: ArgoClient, argo_fake: FakeArgo
) -> None:
    before = argo_fake.count()
    with pytest.raises(ConfigError, match="was also given"):
        client.submit("my-python-app", tag="1.4.3", release="v1.4.2")
    assert argo_fake.count() == before


def _env(fake: FakeArgo) -> dict[str, str | None]:
    """The fake server's environment, with no other ARGO_* variable of the outer shell."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ARGO_")}
    return {
        **unset,
        "ARGO_SERVER": fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": fake.token or "",
    }


def test_cli_submit_release(argo_fake: FakeArgo, kube_fake: FakeKube, tmp_path: Path) -> None:
    env = {**_env(argo_fake), "KUBECONFIG": str(kube_fake.write_kubeconfig(tmp_path / "kc"))}
    runner = CliRunner()
    assert runner.invoke(cli, ["apply", str(EXAMPLE)], env=env).exit_code == 0
    done = runner.invoke(cli, ["submit", "my-python-app", "--release", "v1.4.2"], env=env)
    assert done.exit_code == 0, done.output
    [request] = [r for r in argo_fake.requests if r.path.endswith("/submit")]
    assert request.body["submitOptions"]["parameters"] == ["tag=1.4.2", "revision=refs/tags/v1.4.2"]


@pytest.mark.parametrize(
    "extra", [["--tag", "1.4.3"], ["-p", "revision=main"]], ids=["tag", "revision"]
)
def test_cli_refuses_a_conflict_with_exit_2_and_no_request(
    argo_fake: FakeArgo, extra: list[str]
) -> None:
    env = _env(argo_fake)
    done = CliRunner().invoke(
        cli, ["submit", "my-python-app", "--release", "v1.4.2", *extra], env=env
    )
    assert done.exit_code == 2, done.output
    assert "was also given" in done.stderr
    assert argo_fake.count() == 0
