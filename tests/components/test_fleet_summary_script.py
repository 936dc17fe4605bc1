"""``fleet_summary.sh`` under real shells: one tab-separated row per app, and no value can
add a row or a column to it (``fleet status`` reads the rows back as they are)."""

from __future__ import annotations

from pathlib import Path

import pytest

from argo_buildpacks.components.scripts import load
from tests.support.runscript import SHELLS, Rendered, Shell, run

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
SUMMARY = Rendered(script=load("fleet_summary.sh"), name="fleet-summary", args=(), env={})


def summarise(shell: Shell, tmp_path: Path, *groups: list[str]) -> tuple[int, str, str]:
    """Run the summary over ``groups`` of six; its status, stderr and the file it wrote."""
    out = tmp_path / "summary.tsv"
    done = run(shell, SUMMARY, args=[v for g in groups for v in g], env={"OUT": str(out)})
    return done.returncode, done.stderr, out.read_text() if out.exists() else ""


@pytest.mark.parametrize("shell", SHELLS)
def test_one_row_per_app(shell: Shell, tmp_path: Path) -> None:
    code, err, text = summarise(
        shell,
        tmp_path,
        ["api", "Succeeded", "rebased", OLD, NEW, "run image changed"],
        ["web", "Failed", "", "", "", ""],
    )
    assert (code, err) == (0, "")
    assert text == (
        f"api\tSucceeded\trebased\t{OLD}\t{NEW}\trun image changed\nweb\tFailed\t-\t-\t-\t\n"
    )


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "forged",
    [
        f"{OLD}\tforged-column",
        f"{OLD[:-2]}\tx",  # the right length: only the digits tell
        f"{OLD[:-2]}\nx",
        f"{OLD}\nevil\tSucceeded\trebased\t{OLD}\t{NEW}\tforged row",
        f"{OLD}\n",
        f"{OLD} ",
        f"x{OLD}",
        OLD[:-1],
        "sha512:" + "a" * 128,  # a digest, but not what a build pushes
    ],
)
def test_a_digest_is_the_whole_value_or_invalid(shell: Shell, tmp_path: Path, forged: str) -> None:
    code, err, text = summarise(
        shell, tmp_path, ["api", "Succeeded", "rebased", forged, forged, "reason"]
    )
    assert (code, err) == (0, "")
    assert text == "api\tSucceeded\trebased\tinvalid\tinvalid\treason\n"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("app", "shown"),
    [
        ("api\nevil", "api?evil"),
        ("api\tSucceeded", "api?Succeeded"),
        ("Api", "Api"),
        ("-api", "-api"),
        ("", ""),
    ],
)
def test_an_app_that_is_not_a_name_is_refused(
    shell: Shell, tmp_path: Path, app: str, shown: str
) -> None:
    code, err, text = summarise(
        shell,
        tmp_path,
        ["web", "Succeeded", "unchanged", OLD, OLD, ""],
        [app, "Succeeded", "rebased", OLD, NEW, "reason"],
    )
    assert (code, err, text) == (1, f"fleet-summary: app '{shown}' is not a name\n", "")


@pytest.mark.parametrize("shell", SHELLS)
def test_other_fields_are_made_safe(shell: Shell, tmp_path: Path) -> None:
    code, _, text = summarise(
        shell,
        tmp_path,
        ["api", "Succeeded\tx", "rebased\nx", OLD, NEW, "two\tcolumns\nand a row\x1b[2J"],
    )
    assert code == 0
    assert text == f"api\tUnknown\tinvalid\t{OLD}\t{NEW}\ttwo?columns?and a row?[2J\n"


@pytest.mark.parametrize("shell", SHELLS)
def test_arguments_come_in_groups_of_six(shell: Shell, tmp_path: Path) -> None:
    code, err, text = summarise(shell, tmp_path, ["api", "Succeeded", "rebased", OLD, NEW])
    assert (code, err, text) == (1, "fleet-summary: expected groups of six arguments, got 5\n", "")
