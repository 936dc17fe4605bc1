"""``buildpacks_build.sh``'s refusals of buildpack entries that could name a directory outside
the builder's buildpacks, before the lifecycle runs.

The lifecycle looks a buildpack up at ``<buildpacks dir>/<id, '/' as '_'>/<version>/``, so the
id and the version are path components. Behaviour only: the ``BUILDPACKS`` list goes in, the
one-line refusal comes out, no ``order.toml`` is written and the (fake, recording) analyzer
never ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.lifecycle import Workspace, config, make_work, run_phase
from tests.support.runscript import SHELLS, Shell


@pytest.fixture
def work(tmp_path: Path) -> Workspace:
    """A workspace after tag-check and git-clone, with a builder holding three buildpacks."""
    return make_work(tmp_path)


def add_buildpack(work: Workspace, bp_id: str, version: str) -> None:
    """A buildpack in the builder's directory, as the lifecycle lays them out."""
    where = work.buildpacks / bp_id.replace("/", "_") / version
    where.mkdir(parents=True)
    (where / "buildpack.toml").write_text("api = '0.10'\n")


def analyze(shell: Shell, work: Workspace, buildpacks: str) -> tuple[int, str]:
    done = run_phase(shell, work, config(), "analyze", env={"BUILDPACKS": buildpacks})
    return done.returncode, done.stderr


def assert_nothing_ran(work: Workspace) -> None:
    assert not (work.platform / "order.toml").exists()
    assert not work.ran("analyze")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "buildpacks",
    [
        "paketo-buildpacks/go@../../../../workspace/src/evil-bp",
        "paketo-buildpacks/go@..",
        "paketo-buildpacks/go@1..0",
        "paketo-buildpacks/go@4.1.0,node@..",
        # The id is a path component too: '..' in it is refused, whatever follows.
        "a..b@1",
        "acme/../paketo-buildpacks_go@4.1.0",
        "..@1",
    ],
)
def test_an_entry_with_dot_dot_is_refused(shell: Shell, work: Workspace, buildpacks: str) -> None:
    code, stderr = analyze(shell, work, buildpacks)
    bad = buildpacks.split(",")[-1]
    assert (code, stderr) == (
        1,
        f"buildpacks-build: buildpack '{bad}' is not an id or id@version\n",
    )
    assert_nothing_ran(work)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("version", ["1..0", "0.1..", "1.0..rc"])
def test_a_version_found_in_the_builder_with_dot_dot_is_refused(
    shell: Shell, work: Workspace, version: str
) -> None:
    # Without '@VERSION' the version is the name of the buildpack's one directory in the
    # builder (the glob skips names starting with '.'). It is checked like a given one: a
    # name with '..' never reaches order.toml.
    add_buildpack(work, "acme/odd", version)
    code, stderr = analyze(shell, work, "acme/odd")
    assert (code, stderr) == (
        1,
        f"buildpacks-build: buildpack 'acme/odd' has an invalid version '{version}'\n",
    )
    assert_nothing_ran(work)


@pytest.mark.parametrize("shell", SHELLS)
def test_a_version_found_in_the_builder_is_written_to_the_order(
    shell: Shell, work: Workspace
) -> None:
    # The other side: a plain version directory is taken, so the refusals above are the
    # version rule's.
    add_buildpack(work, "acme/odd", "1.2.0-rc.1")
    code, stderr = analyze(shell, work, "acme/odd,paketo-buildpacks/go@4.1.0")
    assert (code, stderr) == (0, "")
    assert (work.platform / "order.toml").read_text() == (
        "[[order]]\n"
        '  [[order.group]]\n    id = "acme/odd"\n    version = "1.2.0-rc.1"\n'
        '  [[order.group]]\n    id = "paketo-buildpacks/go"\n    version = "4.1.0"\n'
    )
    assert work.ran("analyze")
