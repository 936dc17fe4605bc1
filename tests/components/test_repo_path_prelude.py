"""The prelude's ``repo_path`` (scripts/_prelude.sh) accepts exactly the app directories
`argo_buildpacks._kits.git.relative_path` gives: what Python renders passes, and a run that
bypasses Python (a hand-edited template) gets no other path through."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks._kits.git import relative_path
from argo_buildpacks.components.scripts import prelude
from tests.support.runscript import SHELLS, Shell, base_path

HARNESS = (
    "set -euf\nexport LC_ALL=C\nme=prelude-test\n"
    + prelude("fail", "one_line", "repo_path")
    + """
for v in "$@"; do
  if (repo_path path "$v") 2>/dev/null; then printf 1; else printf 0; fi
done
"""
)


def shell_accepts(shell: Shell, values: Sequence[str]) -> list[bool]:
    done = subprocess.run(
        [*shell, "-c", HARNESS, "harness", *values],
        env={"PATH": base_path()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr, len(done.stdout)) == (0, "", len(values))
    return [c == "1" for c in done.stdout]


def python_accepts(value: str) -> bool:
    """``relative_path`` accepts it unchanged (what a rendered template holds)."""
    try:
        return relative_path(value) == value
    except ValueError:
        return False


EDGES = [
    "", ".", "..", "a", "a/b", "a/", "/a", "a//b", "a/./b", "a/../b", "../a", "-a", "a/-b",
    "a-b/c_d.e", "a\nb", "a\rb", "a\tb", "a\x7fb", "é/ü", ".a/b..c", "a/.", "a/..", "//",
    "$(touch x)", "a b",
]  # fmt: skip

_SEGMENT = st.sampled_from(["a", "web", ".", "..", "", "-x", "b-c", ".git", "é", "a b", "\t"])
_PATHS = st.lists(_SEGMENT, min_size=0, max_size=4).map("/".join)
_ANY = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_edges_agree(shell: Shell) -> None:
    assert shell_accepts(shell, EDGES) == [python_accepts(v) for v in EDGES]
    assert [v for v in EDGES if python_accepts(v)] == [
        "",
        "a",
        "a/b",
        "a-b/c_d.e",
        "é/ü",
        ".a/b..c",
        "$(touch x)",
        "a b",
    ]


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(_PATHS, _ANY), min_size=5, max_size=25))
def test_repo_path_accepts_exactly_what_python_renders(shell: Shell, values: list[str]) -> None:
    assert shell_accepts(shell, values) == [python_accepts(v) for v in values]
