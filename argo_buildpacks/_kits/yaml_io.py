"""The one way this package reads YAML (config files, manifests, the CLI's ``-f``): safely.

PyYAML's ``safe_load`` still lets a file hurt the reader, each of which this module refuses
with one line naming the place:

- deep nesting (thousands of ``[``) exhausts Python's recursion (``RecursionError``): the
  nesting is measured on the event stream, which PyYAML produces without recursion, and
  more than `MAX_DEPTH` levels is refused before anything is built;
- aliases that multiply (the "billion laughs") build a small graph that expands to
  billions of nodes as soon as it is walked or dumped: the expanded size is counted and
  more than `MAX_NODES` is refused;
- a key given twice in one mapping silently keeps the last value: refused, as
  ``kubectl`` does (a config with two ``image:`` keys is a mistake, not a preference);
- a string holding a lone surrogate (``"\\ud800"``) cannot be encoded later; a NUL cannot
  reach a container's argument or environment: both refused with the key path;
- text larger than `MAX_BYTES` is refused (see `read_file` for files, which
  also must be regular files: ``/dev/zero`` is not read).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from argo_buildpacks.errors import ConfigError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "load", "load_all", "read_file"]

#: The largest YAML text accepted, in bytes (a rendered template is about 30 KB).
MAX_BYTES = 8 * 1024 * 1024
#: The deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 100
#: The most nodes a document may expand to once its aliases are followed.
MAX_NODES = 1_000_000


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # the constructor reports an unhashable key itself
        if key in seen:
            first = seen[key].start_mark.line + 1
            line = key_node.start_mark.line + 1
            raise ConfigError(
                f"line {line}: duplicate key {key!r} (first given on line {first}); "
                "each key may appear once in a mapping"
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_events(text: str, source: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise ConfigError(
                    f"{source}: line {line}: nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    known = memo.get(id(node))
    if known == -1:
        raise ConfigError(f"line {node.start_mark.line + 1}: an alias refers to itself")
    if known is not None:
        return known
    memo[id(node)] = -1  # in progress: reaching it again is a recursive alias
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = size
    return size


def _check_strings(value: Any, source: str, path: str) -> None:
    stack = [(value, path)]
    seen: set[int] = set()
    while stack:
        item, where = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                continue  # an alias: checked where it was defined
            seen.add(id(item))
        if isinstance(item, dict):
            for key, child in item.items():
                here = f"{where}.{key}" if where else str(key)
                if isinstance(key, str):
                    _check_string(key, source, here, "key")
                stack.append((child, here))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, str):
            _check_string(item, source, where, "value")


def _check_string(text: str, source: str, where: str, what: str) -> None:
    if "\x00" in text:
        raise ConfigError(
            f"{source}: {where or '(top level)'}: the {what} contains a NUL character"
        )
    if any("\ud800" <= c <= "\udfff" for c in text):
        bad = next(c for c in text if "\ud800" <= c <= "\udfff")
        raise ConfigError(
            f"{source}: {where or '(top level)'}: the {what} contains a lone surrogate "
            f"(U+{ord(bad):04X}), which is not a character"
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
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{source}: {len(text)} characters is more than the {MAX_BYTES} allowed")
    try:
        _check_events(text, source)
        loader = _Loader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is not None and _expanded_size(node, {}) > MAX_NODES:
                    raise ConfigError(
                        f"{source}: line {node.start_mark.line + 1}: the document expands to "
                        f"more than {MAX_NODES} nodes through its aliases"
                    )
                data = loader.construct_document(node) if node is not None else None
                _check_strings(data, source, "")
                yield data
        finally:
            loader.dispose()
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(
            message if message.startswith(source) else f"{source}: {message}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise ConfigError(f"{source}: nested too deeply") from None


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
    """Read a UTF-8 text file of at most `MAX_BYTES`; it must be a regular file.

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
