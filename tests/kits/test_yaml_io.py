"""The one YAML reader: every document read on its own, lines named, and no input that can
make it crash or hang."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from argo_buildpacks._kits import yaml_io
from argo_buildpacks._kits.yaml_io import MAX_BYTES, MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES
from argo_buildpacks.errors import ConfigError


def problems(text: str) -> list[str]:
    return [d.problem for d in yaml_io.read_documents(text)]


def test_a_broken_document_does_not_hide_its_neighbours() -> None:
    documents = yaml_io.read_documents("a: 1\n---\nb: [\n---\nc: 3\n")
    assert [d.data for d in documents] == [{"a": 1}, None, {"c": 3}]
    assert documents[1].problem.startswith("not valid YAML: ")
    assert "line 4" in documents[1].problem  # the line in the whole text, not in the part


def test_duplicates_name_both_lines_of_the_whole_text() -> None:
    (first, second) = yaml_io.read_documents("a: 1\n---\nkind: A\nx: 0\nkind: B\n")
    assert first.duplicates == ()
    assert second.duplicates == (yaml_io.Duplicate("kind", 5, 3),)
    assert second.data == {"kind": "B", "x": 0}  # read, as Argo reads it: the last one counts
    with pytest.raises(ConfigError, match=r"^f.yaml: line 5: duplicate key 'kind' \(first given"):
        list(yaml_io.load_all("a: 1\n---\nkind: A\nx: 0\nkind: B\n", source="f.yaml"))


def test_merge_keys_are_not_duplicates() -> None:
    (doc,) = yaml_io.read_documents("base: &b {x: 1}\nc: {<<: *b, y: 2}\n")
    assert doc.duplicates == () and doc.data["c"] == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("%YAML 1.1\n---\na: 1\n", [{"a": 1}]),  # a directive belongs to the document after it
        ("# only a comment\n", []),
        ("", []),
        ("---\n---\na: 1\n", [None, {"a": 1}]),
        ("--- {a: 1}\n--- |\n  text\n", [{"a": 1}, "text\n"]),
        ("a: 1\n...\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
        ("a: '---'\nb: |\n  ---x\n", [{"a": "---", "b": "---x\n"}]),
    ],
)
def test_documents_are_split_as_yaml_splits_them(text: str, data: list[object]) -> None:
    assert [d.data for d in yaml_io.read_documents(text)] == data
    assert list(yaml_io.load_all(text)) == data


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: " + "[" * 5000 + "]" * 5000, f"line 1: nested more than {MAX_DEPTH} levels deep"),
        ("a:\n" + "".join(f"{' ' * i}- \n" for i in range(150)), "nested more than"),
        ("x: 1\n---\na: " + "{b: " * 120 + "}" * 120, f"line 3: nested more than {MAX_DEPTH}"),
        ("a: &a [*a]\n", "a[0]: a YAML alias refers to itself"),
        ("a: &a {b: *a}\n", "a.b: a YAML alias refers to itself"),
        ("[" + "1, " * (MAX_NODES + 1) + "]", f"line 1: holds more than {MAX_NODES} nodes"),
        ('env: {A: "x\\0y"}\n', "env.A: the value contains a NUL character"),
        ('env: {"\\0": x}\n', "env.\x00: the key contains a NUL character"),
        ('a:\n  - ["\\ud800"]\n', "a[0][0]: the value contains a lone surrogate (U+D800)"),
        ("a: !!python/object/apply:os.system [id]\n", "could not determine a constructor"),
        ("? [a]\n: 1\n", "found unhashable key"),
    ],
    ids=[
        "deep-flow",
        "deep-block",
        "deep-later-document",
        "recursive-list",
        "recursive-map",
        "too-many-nodes",
        "nul",
        "nul-key",
        "surrogate",
        "python-tag",
        "unhashable-key",
    ],
)
def test_hostile_documents_are_one_problem_quickly(text: str, problem: str) -> None:
    start = time.perf_counter()
    documents = yaml_io.read_documents(text)
    assert time.perf_counter() - start < 2
    assert problem in documents[-1].problem
    assert documents[-1].data is None  # never handed out: it may contain itself
    with pytest.raises(ConfigError) as info:
        list(yaml_io.load_all(text, source="in.yaml"))
    assert str(info.value).startswith("in.yaml: ") and "\n" not in str(info.value)


def _bomb(levels: int) -> str:
    rows = [f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 9)}]\n" for i in range(levels)]
    return "l0: &l0 [a, a, a, a, a, a, a, a, a]\n" + "".join(rows)


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    start = time.perf_counter()
    (doc,) = yaml_io.read_documents(_bomb(9))  # 9**10 strings once expanded
    assert time.perf_counter() - start < 1
    assert f"expands to more than {MAX_NODES} nodes once its YAML aliases" in doc.problem
    (small,) = yaml_io.read_documents(_bomb(3))  # shared parts within the limit: fine
    assert small.problem == "" and len(small.data["l3"][0][0]) == 9


def test_an_alias_that_expands_too_deep_is_refused() -> None:
    # Each anchor nests the previous one 50 levels down: no level of the text is deep,
    # the expanded document is.
    rows = ["a0: &a0 x\n"] + [f"a{i}: &a{i} {'[' * 50}*a{i - 1}{']' * 50}\n" for i in range(1, 4)]
    (doc,) = yaml_io.read_documents("".join(rows))
    assert f"nested more than {MAX_DEPTH} levels deep once its YAML aliases" in doc.problem


def test_text_over_the_limits_is_refused_without_reading_it() -> None:
    start = time.perf_counter()
    assert problems("#" * (MAX_BYTES + 1)) == [
        f"the YAML text is larger than {MAX_BYTES} bytes; not read"
    ]
    assert "larger than" in problems("é" * (MAX_BYTES // 2 + 1))[0]  # bytes, not characters
    assert problems("---\n" * (MAX_DOCUMENTS + 1)) == [
        f"the YAML text holds more than {MAX_DOCUMENTS} documents"
    ]
    assert time.perf_counter() - start < 2


def test_value_problem_holds_python_values_to_the_same_limits() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert "contains itself" in yaml_io.value_problem({"a": loop})
    deep: list[object] = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    assert "nested more than" in yaml_io.value_problem(deep)
    wide = ["x"] * 1000
    assert "expands to more than" in yaml_io.value_problem([wide] * (MAX_NODES // 1000 + 1))
    assert yaml_io.value_problem({"a": [1, 2.0, None, True, "x"]}) == ""


def test_load_is_one_document() -> None:
    assert yaml_io.load("a: 1\n") == {"a": 1}
    assert yaml_io.load("") is None
    with pytest.raises(ConfigError, match="holds 2 YAML documents; expected one"):
        yaml_io.load("a: 1\n---\nb: 2\n")
    with pytest.raises(ConfigError, match="expected YAML text \\(str\\), got bytes"):
        yaml_io.load(b"a: 1")  # type: ignore[arg-type]


def test_read_file_refuses_devices_and_stops_reading_an_endless_pipe(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="/dev/zero: not a regular file"):
        yaml_io.read_file("/dev/zero")
    pipe = tmp_path / "endless"
    os.mkfifo(pipe)

    def write_forever() -> None:
        try:
            with pipe.open("wb") as out:
                while True:
                    out.write(b"a: b\n" * 65536)
        except BrokenPipeError:
            pass  # the reader stopped: as it should

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    with pytest.raises(ConfigError, match=f"larger than {MAX_BYTES} bytes; not read"):
        yaml_io.read_file(pipe)
    writer.join(timeout=5)
    assert not writer.is_alive()
