"""Code in the docs, the README, the examples and the notebooks fits in 100 columns, comments
included, so nothing a reader copies hides past the edge of a page or a cell. What a program
printed (``text`` blocks, the output lines of ``console`` blocks and doctests) is quoted as
it is: the site scrolls it sideways (docs/stylesheets/extra.css)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 100
PAGES = sorted([*(ROOT / "docs").rglob("*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"])
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".py"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
_CODE_LANGUAGES = frozenset({"python", "py", "sh", "bash", "shell", "console", "yaml", "yml"})


def code_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of every line of code in the fenced blocks of a Markdown text:
    the blocks of `_CODE_LANGUAGES`, without the output lines of console blocks (those not
    starting with ``$ ``) and of doctests (those not starting with ``>>>`` or ``...``)."""
    block: list[tuple[int, str]] = []
    fence = language = None
    for number, line in enumerate(text.splitlines(), 1):
        found = _FENCE.match(line)
        if fence is None:
            if found:
                fence, language, block = found.group(1), found.group(2), []
            continue
        if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            if language in _CODE_LANGUAGES:
                doctest = any(b.lstrip().startswith(">>>") for _, b in block)
                for n, b in block:
                    if language == "console" and not b.startswith("$ "):
                        continue
                    if doctest and not b.lstrip().startswith((">>>", "...")):
                        continue
                    yield n, b
            fence = None
            continue
        block.append((number, line))


def test_the_checker_sees_code_and_skips_output() -> None:
    page = "\n".join(
        [
            "```console", "$ " + "a" * 120, "b" * 120, "```",
            "```python", ">>> x = 1", "c" * 120, "```",
            "```text", "d" * 120, "```",
            "```sh", "e" * 120, "```",
        ]
    )  # fmt: skip
    assert [n for n, _ in code_lines(page)] == [2, 6, 13]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_blocks_fit(page: Path) -> None:
    long = [f"{n}: {line}" for n, line in code_lines(page.read_text()) if len(line) > WIDTH]
    assert long == [], f"{page.name}: code lines over {WIDTH} columns"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_fit(path: Path) -> None:
    long = [n for n, line in enumerate(path.read_text().splitlines(), 1) if len(line) > WIDTH]
    assert long == [], f"{path.name}: lines over {WIDTH} columns"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_fit(path: Path) -> None:
    long = []
    for cell in json.loads(path.read_text())["cells"]:
        text = "".join(cell["source"])
        lines = (
            text.splitlines() if cell["cell_type"] == "code" else [b for _, b in code_lines(text)]
        )
        long += [f"{cell['id']}: {line}" for line in lines if len(line) > WIDTH]
    assert long == [], f"{path.name}: lines over {WIDTH} columns"
