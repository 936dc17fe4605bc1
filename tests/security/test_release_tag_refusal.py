"""Issue 20, item 6: in one pod, a release's ``version`` container is its only tag check.

Where the version may come from git (``tag.from_git``), the daemonless single pod no longer
runs ``tag-check`` before the clone: ``version``, after the clone, checks a given tag by the
same rules (``tag_check.sh``) before any lifecycle phase, so a refused tag still runs no app
code, reaches no registry and pushes nothing. The whole workflow runs pod by pod under the
emissary model (tests/support/emissary.py) against a real repository, with the recording fake
lifecycle of tests/security/test_forged_outputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from tests.security.test_forged_outputs import IMAGE, World
from tests.security.test_forged_outputs import repo as repo  # the fixture
from tests.support.emissary import Workflow
from tests.support.gitrepos import Repo
from tests.support.runscript import SHELLS, Shell


def _release(world: World, tag: str) -> Workflow:
    config = BuildConfig.from_dict(
        {
            "name": "app",
            "source": {"url": world.repo.url},
            "image": IMAGE,
            "registry_secret": "regcred",
            "tag": {"from_git": True},
        }
    )
    manifest = to_manifest(workflow_template(config))
    build = next(t for t in manifest["spec"]["templates"] if t["name"] == "build")
    assert [c["name"] for c in build["containerSet"]["containers"]][:3] == [
        "git-clone",
        "version",
        "analyze",
    ]
    # Every phase waits for `version` (the first, and each after it in turn).
    assert build["containerSet"]["containers"][2]["dependencies"] == ["version"]
    world.knobs.update(FORGED_COMMIT="0" * 40)
    workflow = Workflow(manifest, {"tag": tag, "revision": "main"})
    workflow.run(world.pod)
    return workflow


@pytest.mark.parametrize("shell", SHELLS)
def test_a_refused_tag_runs_no_phase_and_pushes_nothing(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    world = World(tmp_path, shell, repo)
    workflow = _release(world, "1.4")
    (build,) = [r.pod for r in workflow.ran if r.name == "build"]
    # Which refusal: the version container's, by SemverTag's rules.
    assert build.exit_codes["version"] == 1
    assert build.logs["version"].strip() == (
        "tag-check: '1.4' is not a SemVer 2.0.0 version: its core '1.4' is not "
        "MAJOR.MINOR.PATCH (three dot-separated numbers)"
    )
    # What it guards never ran: no lifecycle program (the app's code, the registry), no push.
    for program in ("analyzer", "detector", "restorer", "builder", "exporter"):
        assert world.calls(program) == [], program
    assert list((world.registry.root / "tags").iterdir()) == []
    assert workflow.failed.startswith("build: ")
    assert [r.name for r in workflow.ran] == ["build"]


@pytest.mark.parametrize("shell", SHELLS)
def test_a_valid_tag_passes_the_same_container(shell: Shell, tmp_path: Path, repo: Repo) -> None:
    world = World(tmp_path, shell, repo)
    workflow = _release(world, "v1.4.2")
    (build,) = [r.pod for r in workflow.ran if r.name == "build"]
    assert build.exit_codes["version"] == 0
    assert "version 1.4.2, pushing 1.4.2,1.4,1" in build.logs["version"]
    assert world.calls("analyzer") != []
