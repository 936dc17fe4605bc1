"""Golden manifests: what the command line renders for every example config, kept verbatim.

Each ``examples/<name>.yaml`` config has ``tests/golden/<name>.yaml``: the exact stream that
``argo-buildpacks render -f examples/<name>.yaml`` writes (every object it implies). The
library app is rendered the way its header says, against the library as the command line
renders it (``argo-buildpacks library --registry registry.example.com:5000/acme --git-host
github.com``), and that library is kept too, as ``tests/golden/library.yaml``.

A change to a template therefore shows up as a diff of these files, to be reviewed like code.
When a change is intended, regenerate them and read the diff before committing::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/templates/test_golden.py
    git diff tests/golden/

Without ``UPDATE_GOLDEN`` a difference fails with a unified diff (golden -> rendered); a new
example without its golden file fails until one is written the same way, and a golden file
whose example is gone fails as stale.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from argo_buildpacks.cli._main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")

LIBRARY_ARGS = (
    "library",
    "--registry",
    "registry.example.com:5000/acme",
    "--git-host",
    "github.com",
)
#: Examples rendered through the library (the header of each says so), by file stem.
LIBRARY_APPS = {"library-app"}
#: Golden files that are not an example's own rendering.
EXTRA = {"library"}
#: At most this many diff lines in a failure message (the rest is counted).
MAX_DIFF_LINES = 400


def examples() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def cli_output(args: Sequence[str], tmp_path: Path) -> str:
    """What ``argo-buildpacks ARGS`` writes to stdout; it must succeed."""
    env = {k: None for k in os.environ if k.startswith("ARGO")}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)  # relative output files land in the test's own directory
        result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def rendered(name: str, tmp_path: Path) -> str:
    """The stream the command line renders for golden file ``name``."""
    if name == "library":
        return cli_output(LIBRARY_ARGS, tmp_path)
    args = ["render", "-f", str(EXAMPLES / f"{name}.yaml")]
    if name in LIBRARY_APPS:
        library = tmp_path / "lib.yaml"
        cli_output([*LIBRARY_ARGS, "--output-file", str(library)], tmp_path)
        args += ["--library", "argo-buildpacks", "--library-file", str(library)]
    return cli_output(args, tmp_path)


def compare(name: str, text: str, *, update: bool = UPDATE) -> None:
    """Fail with a readable unified diff unless ``text`` is golden file ``name``; with
    ``update`` (``UPDATE_GOLDEN`` set), write it instead."""
    path = GOLDEN / f"{name}.yaml"
    if update:
        GOLDEN.mkdir(exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        return
    if not path.exists():
        pytest.fail(
            f"no golden file {path.relative_to(ROOT)} for {name!r}: write it with "
            "UPDATE_GOLDEN=1 .venv/bin/pytest tests/templates/test_golden.py, then review it"
        )
    want = path.read_text()
    if want == text:
        return
    diff = list(
        difflib.unified_diff(
            want.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"golden/{name}.yaml",
            tofile=f"rendered/{name}.yaml",
        )
    )
    shown = "".join(diff[:MAX_DIFF_LINES])
    more = len(diff) - MAX_DIFF_LINES
    pytest.fail(
        f"{name}: the rendered stream differs from {path.relative_to(ROOT)}:\n{shown}"
        + (f"\n... {more} more diff lines" if more > 0 else "")
        + "\nIf the change is intended: UPDATE_GOLDEN=1 .venv/bin/pytest "
        "tests/templates/test_golden.py, and review git diff tests/golden/",
        pytrace=False,
    )


@pytest.mark.parametrize("name", [*examples(), *sorted(EXTRA)])
def test_rendered_stream_matches_golden(name: str, tmp_path: Path) -> None:
    compare(name, rendered(name, tmp_path))


def test_every_golden_file_belongs_to_an_example() -> None:
    names = {p.stem for p in GOLDEN.glob("*.yaml")}
    assert names == set(examples()) | EXTRA, "stale or missing golden files"


def test_library_app_examples_say_they_use_the_library() -> None:
    # The table above follows each example's own header: a library app says how to render it.
    for name in examples():
        header = (EXAMPLES / f"{name}.yaml").read_text()
        says_library = f"render -f examples/{name}.yaml --library " in header
        assert says_library == (name in LIBRARY_APPS), name


def test_golden_files_are_what_they_claim() -> None:
    # Not an empty or truncated write: each holds the kinds its example implies.
    def kinds(name: str) -> list[str]:
        return [
            line.removeprefix("kind: ")
            for line in (GOLDEN / f"{name}.yaml").read_text().splitlines()
            if line.startswith("kind: ")
        ]

    # Every app brings its executor's account, token Secret, Role and binding (issue 19).
    executor = ["ServiceAccount", "Secret", "Role", "RoleBinding"]
    assert kinds("my-python-app") == [*executor, "WorkflowTemplate"]
    assert kinds("library") == ["ClusterWorkflowTemplate"]
    assert kinds("library-app") == [*executor, "WorkflowTemplate"]
    release = kinds("my-python-app-release")
    assert {"WorkflowTemplate", "EventSource", "Sensor", "CronWorkflow"} <= set(release)
    assert {"ServiceAccount", "Role", "RoleBinding"} <= set(release)


def test_a_changed_template_fails_with_a_unified_diff() -> None:
    # The failure a reviewer sees: which file, the changed line with -/+ and the update hint.
    text = (GOLDEN / "my-python-app.yaml").read_text().replace("tag", "TAG", 1)
    with pytest.raises(pytest.fail.Exception) as info:
        compare("my-python-app", text, update=False)
    message = str(info.value)
    assert "--- golden/my-python-app.yaml" in message
    assert "+++ rendered/my-python-app.yaml" in message
    changed = [line for line in message.splitlines() if line.startswith(("-", "+"))]
    assert any("TAG" in line and line.startswith("+") for line in changed), message
    assert "UPDATE_GOLDEN=1" in message


def test_library_app_header_commands_run_as_written(tmp_path: Path) -> None:
    # A command wrapped with a trailing backslash is one command, as sh reads it.
    header = (EXAMPLES / "library-app.yaml").read_text().replace("\\\n#", "").splitlines()
    commands = [
        line.split("argo-buildpacks ", 1)[1].split()
        for line in header
        if line.startswith("#") and "argo-buildpacks library" in line
    ]
    assert commands
    for args in commands:
        cli_output(args, tmp_path)
