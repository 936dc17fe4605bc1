"""The one way this package reads YAML (config files, manifests, the lint, the CLI's ``-f``).

PyYAML's ``safe_load`` still lets a file hurt the reader; each of these is refused with one
line naming the place, never a traceback or a hang:

- deep nesting (thousands of ``[``) exhausts Python's recursion, and building a million
  values takes seconds: nesting and size are measured on the event stream, which libyaml
  produces without recursion, before anything is built;
- aliases that multiply (the "billion laughs") build a small graph that expands to
  billions of nodes as soon as it is walked or dumped, and an alias may make a document
  contain itself: the expanded size and depth are counted (`value_problem`);
- a key given twice in one mapping silently keeps the last value: noted with both lines
  (`load_all` refuses it, as ``kubectl`` does; the lint warns, as Argo accepts it);
- a string holding a lone surrogate (``"\\ud800"``) cannot be encoded later; a NUL cannot
  reach a container's argument or environment;
- text larger than `MAX_BYTES`, or with more than `MAX_DOCUMENTS` documents.

`read_documents` reads every document on its own (the text is split at ``---``), so a broken
document does not hide the others, and never raises; `load_all` and `load` raise
`ConfigError` at the first problem.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from argo_buildpacks.errors import ConfigError

try:  # libyaml parses several times faster than pure Python
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DOCUMENTS",
    "MAX_NODES",
    "Document",
    "Duplicate",
    "load",
    "load_all",
    "read_documents",
    "read_file",
    "value_problem",
]

# One set of limits for every reader (configs, manifests, the lint). They bound the work of
# the slowest reader of a document, the lint, which walks it several times:
#: The largest YAML text read, in UTF-8 bytes. A rendered WorkflowTemplate is about 30 KB;
#: a fleet of 200 apps rendered into one stream is about 6 MB.
MAX_BYTES = 8 * 1024 * 1024
#: The most documents one text may hold (each is parsed on its own); a fleet of 200 apps
#: renders to about a thousand.
MAX_DOCUMENTS = 10_000
#: The deepest nesting of mappings and sequences in one document (Argo's deepest is ~15).
MAX_DEPTH = 100
#: The most nodes (mapping keys, values and items) one document may hold once its aliases
#: are expanded: a rendered template has a few thousand, and the lint reads 200,000 in well
#: under a second; anything larger is an alias bomb, not a manifest.
MAX_NODES = 200_000

_SEPARATOR = re.compile(r"^---(?=[ \t\r]|$)", re.M)
# A part before the first ``---`` that holds only directives (``%YAML 1.2``), comments and
# blank lines belongs to the document after it.
_PROLOGUE = re.compile(r"(?:[ \t]*(?:[#%][^\n]*)?\r?\n)*[ \t]*(?:[#%][^\n]*)?")
_BLANK = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:#[^\n]*)?")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class Duplicate(NamedTuple):
    """A key given twice in one mapping: the key, and the lines (1-based) of both."""

    key: str
    line: int
    first_line: int


@dataclass(frozen=True)
class Document:
    """One document of a YAML text.

    Attributes:
        data: what it holds (``None`` when empty, or when it could not be read).
        problem: why it could not be read (one line, starting ``line N:`` where one is
            known), or ``""``.
        duplicates: keys given twice in one of its mappings (only the last value counts).
    """

    data: Any
    problem: str = ""
    duplicates: tuple[Duplicate, ...] = ()


class _NotesDuplicates(yaml.constructor.SafeConstructor):
    """Notes keys given twice in one mapping (merge keys ``<<`` excepted)."""

    duplicates: list[Duplicate]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, noting each scalar key given twice."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue  # a collection as key is refused by the constructor itself
            key = self.construct_object(key_node)  # memoised: built once, reused below
            line = key_node.start_mark.line + 1
            if key in seen:
                self.duplicates.append(Duplicate(str(key), line, seen[key]))
            else:
                seen[key] = line
        return super().construct_mapping(node, deep)


class _Loader(_NotesDuplicates, _SafeLoader):
    """The safe loader (libyaml's parser) that notes duplicate keys."""


class _PythonLoader(_NotesDuplicates, yaml.SafeLoader):
    """The same in pure Python, used only to say where a ``\\ud800`` escape is: libyaml
    refuses the escape without naming the key; PyYAML reads it, and `value_problem`
    names the key."""


def read_documents(text: str) -> list[Document]:
    """Every document of ``text``, each read on its own; never raises for what it holds.

    A document that cannot be read (not YAML, too deep, too big once its aliases are
    expanded, a NUL...) is a `Document` with a ``problem`` and the documents around it are
    still read. A text over `MAX_BYTES` or `MAX_DOCUMENTS` is one such document.
    """
    # Characters first: never more than the bytes, and no copy of a huge text to count them.
    too_big = len(text) > MAX_BYTES or (
        not text.isascii() and len(text.encode("utf-8", errors="replace")) > MAX_BYTES
    )
    if too_big:
        return [Document(None, f"the YAML text is larger than {MAX_BYTES} bytes; not read")]
    starts = [0]
    for match in _SEPARATOR.finditer(text):
        starts.append(match.start())
        if len(starts) > MAX_DOCUMENTS + 1:
            return [Document(None, f"the YAML text holds more than {MAX_DOCUMENTS} documents")]
    if len(starts) > 1 and _PROLOGUE.fullmatch(text, 0, starts[1]):
        del starts[1]  # directives before the first '---' go with it
    documents: list[Document] = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        offset = text.count("\n", 0, begin)  # line numbers stay those of the whole text
        chunk = text[begin + 3 : end] if begin else text[:end]
        if begin and _BLANK.fullmatch(chunk):
            documents.append(Document(None))  # '---' and nothing: an empty document
        else:
            documents.extend(_read_chunk(chunk, offset))
    return documents


def _read_chunk(
    chunk: str, offset: int, loader_class: type[_Loader | _PythonLoader] = _Loader
) -> list[Document]:
    """The documents of one part of the text (normally one); ``offset``: its first line."""
    try:
        if problem := _shape_problem(chunk, loader_class):
            return [Document(None, _shift(problem, offset))]
        loader = loader_class(chunk)
        try:
            documents = []
            while loader.check_data():  # type: ignore[no-untyped-call]
                loader.duplicates = []
                data = loader.get_data()
                duplicates = tuple(
                    Duplicate(d.key, d.line + offset, d.first_line + offset)
                    for d in loader.duplicates
                )
                problem = value_problem(data)
                # A document with a problem is not handed out: it may contain itself.
                documents.append(Document(None if problem else data, problem, duplicates))
            return documents
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem) and exc.problem_mark is not None:
            # libyaml's own limit (1000 levels), met while it scans ahead for a flow key.
            line = exc.problem_mark.line + 1 + offset
            return [Document(None, f"line {line}: nested more than {MAX_DEPTH} levels deep")]
        if "invalid Unicode character escape" in str(exc.problem) and loader_class is _Loader:
            return _read_chunk(chunk, offset, _PythonLoader)
        # libyaml's marks are read-only: the message is written from shifted copies.
        exc.context_mark = _shifted(exc.context_mark, offset)
        exc.problem_mark = _shifted(exc.problem_mark, offset)
        return [Document(None, _yaml_problem(exc))]
    except yaml.YAMLError as exc:
        return [Document(None, _yaml_problem(exc))]


def _shifted(mark: Any, offset: int) -> yaml.Mark | None:
    if mark is None:
        return None
    return yaml.Mark(mark.name, mark.index, mark.line + offset, mark.column, None, 0)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    message = " ".join(str(exc).split()).replace(' in "<unicode string>"', "")
    return f"not valid YAML: {message}"


def _shift(problem: str, offset: int) -> str:
    line, sep, rest = problem.partition(": ")
    if sep and line.startswith("line ") and line[5:].isdigit():
        return f"line {int(line[5:]) + offset}: {rest}"
    return problem


def _shape_problem(chunk: str, loader_class: type[_Loader | _PythonLoader]) -> str:
    """Too deep or too many nodes, judged on the event stream: before anything is built
    (building recurses once per level, and costs about 5 µs a node)."""
    depth = nodes = 0
    for event in yaml.parse(chunk, Loader=loader_class):
        if isinstance(event, yaml.NodeEvent):  # scalars, aliases, mapping and sequence starts
            nodes += 1
            if nodes > MAX_NODES:
                line = event.start_mark.line + 1 if event.start_mark else 0
                return f"line {line}: holds more than {MAX_NODES} nodes"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                return f"line {line}: nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return ""


def value_problem(value: Any) -> str:
    """Why a document (read from YAML, or built in Python) is beyond what is read, or ``""``.

    Checks, without recursion and counting a shared part once per place it appears:
    at most `MAX_NODES` nodes and `MAX_DEPTH` levels, no mapping or list that contains
    itself, and no string (key or value) with a NUL or a lone surrogate.
    """
    if type(value) is str:
        return _string_problem(value, None, "value")
    if _children(value) is None or _within(value, set(), 1) >= 0:
        return ""
    nodes: dict[int, int] = {}  # containers by id: nodes inside, once finished
    depths: dict[int, int] = {}
    open_: set[int] = set()  # entered, not finished: meeting one again is a cycle
    # (container, where, finished?); `where` is (parent's where, key or index), or None at
    # the top: the path is spelled out only for a message.
    stack: list[tuple[Any, _Where, bool]] = [(value, None, False)]
    while stack:
        item, where, done = stack.pop()
        pairs = _children(item)
        if pairs is None:
            continue
        key = id(item)
        if not done:
            if key in nodes:
                if key in open_:
                    return (
                        f"{_path(where)}: a YAML alias refers to itself: the document "
                        "contains itself"
                    )
                continue  # shared (an alias): checked where it was first met
            nodes[key] = 0
            open_.add(key)
            stack.append((item, where, True))
            for step, child in pairs:
                if type(step) is str and _BAD_CHARACTER.search(step):
                    return _string_problem(step, (where, step), "key")
                kind = type(child)
                if kind is str:
                    if _BAD_CHARACTER.search(child):
                        return _string_problem(child, (where, step), "value")
                elif kind not in _SCALARS:
                    stack.append((child, (where, step), False))
            continue
        # Scalars are never in the tables (their ids cannot be a live container's).
        count = 1 + (len(item) if not isinstance(item, list) else 0)
        depth = 1
        for _, child in pairs:
            child_key = id(child)
            count += nodes.get(child_key, 1)
            child_depth = depths.get(child_key, 0) + 1
            if child_depth > depth:
                depth = child_depth
        open_.discard(key)
        nodes[key] = min(count, MAX_NODES + 1)
        depths[key] = depth
        if count > MAX_NODES:
            return (
                f"{_path(where)}: expands to more than {MAX_NODES} nodes once its YAML "
                "aliases are expanded"
            )
        if depth > MAX_DEPTH:
            return (
                f"{_path(where)}: nested more than {MAX_DEPTH} levels deep once its YAML "
                "aliases are expanded"
            )
    return ""


def _within(item: Any, seen: set[int], level: int) -> int:
    """The nodes of the container ``item`` at nesting ``level`` (1 at the top), or -1 when
    `value_problem`'s full walk must judge it: a part met twice (an alias or a cycle), a
    bad string, or a limit reached. The usual document is a plain tree within the limits,
    and this says so at a fraction of the full walk's cost (no tables, no paths)."""
    if level > MAX_DEPTH or id(item) in seen:
        return -1
    seen.add(id(item))
    count = 1
    values: Iterable[Any]
    if type(item) is list:
        values = item
    else:
        count += len(item)
        for key in item:
            if type(key) is str and _BAD_CHARACTER.search(key):
                return -1
        values = item.values()
    for child in values:
        kind = type(child)
        if kind is str:
            if _BAD_CHARACTER.search(child):
                return -1
            count += 1
        elif kind in _SCALARS or not (kind is dict or kind is list or isinstance(child, Mapping)):
            count += 1  # a leaf, as `_children` tells them
        else:
            inside = _within(child, seen, level + 1)
            if inside < 0:
                return -1
            count += inside
        if count > MAX_NODES:
            return -1
    return count


_Where = tuple["_Where", object] | None
_SCALARS = frozenset({int, float, bool, type(None)})


def _children(item: Any) -> Iterable[tuple[object, Any]] | None:
    """``(key or index, value)`` of a mapping or list; ``None`` for anything else."""
    kind = type(item)
    if kind is list:
        return enumerate(item)
    if kind is dict or (kind not in _SCALARS and kind is not str and isinstance(item, Mapping)):
        items: Iterable[tuple[object, Any]] = item.items()
        return items
    return None


def _path(where: _Where) -> str:
    steps: list[str] = []
    while where is not None:
        where, step = where
        steps.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(reversed(steps)).lstrip(".") or "(top level)"


def _string_problem(text: str, where: _Where, what: str) -> str:
    bad = _BAD_CHARACTER.search(text)
    if bad is None:
        return ""
    if bad.group() == "\x00":
        return f"{_path(where)}: the {what} contains a NUL character"
    return (
        f"{_path(where)}: the {what} contains a lone surrogate (U+{ord(bad.group()):04X}), "
        "which is not a character"
    )


def load_all(text: str, *, source: str = "<yaml>") -> Iterator[Any]:
    """Parse every document of ``text``, refusing what could hurt the reader.

    Args:
        text: the YAML text.
        source: how messages name it (a file name, ``<stdin>``).

    Yields:
        Each document (``None`` for an empty one).

    Raises:
        ConfigError: not valid YAML, too big, too deep, aliases that expand too far,
            a duplicate key, a NUL or a lone surrogate; one line naming the place.
    """
    if not isinstance(text, str):
        raise ConfigError(f"{source}: expected YAML text (str), got {type(text).__name__}")
    for document in read_documents(text):
        if document.problem:
            raise ConfigError(f"{source}: {document.problem}")
        for key, line, first in document.duplicates:
            raise ConfigError(
                f"{source}: line {line}: duplicate key {key!r} (first given on line {first}); "
                "each key may appear once in a mapping"
            )
        yield document.data


def load(text: str, *, source: str = "<yaml>") -> Any:
    """Parse ``text`` as exactly one YAML document (see `load_all`).

    Raises:
        ConfigError: as `load_all`, or the text holds several documents.
    """
    documents = list(load_all(text, source=source))
    if len(documents) > 1:
        raise ConfigError(f"{source}: holds {len(documents)} YAML documents; expected one")
    return documents[0] if documents else None


def read_file(path: str | os.PathLike[str], *, what: str = "file") -> str:
    """Read a UTF-8 text file of at most `MAX_BYTES`; it must be a regular file (or a pipe).

    Raises:
        ConfigError: missing, a directory or device, too big, unreadable or not UTF-8.
    """
    p = Path(path)
    try:
        with p.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) and not stat.S_ISFIFO(info.st_mode):
                raise ConfigError(f"{p}: not a regular file; give a {what} to read")
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such {what}") from None
    except IsADirectoryError:
        raise ConfigError(f"{p}: is a directory, not a {what}") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{p}: larger than {MAX_BYTES} bytes; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
