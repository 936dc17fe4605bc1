"""The constant shell scripts the components run in the cluster.

They ship inside the package (as data files next to this module) and are read with
`importlib.resources`, so they load the same from a checkout, a wheel or a zip. They are
never formatted or templated: every user value reaches them as an environment variable.

What several scripts need (``fail``, ``one_line``, the image-reference grammar...) lives once,
in ``_prelude.sh``, in named sections. A script names the sections it uses on one line,
``#@prelude SECTION...``, and `load` puts those sections there: constant text joined to
constant text, so a script stays a constant.

What a container carries is paid for in every pod spec (Argo's ``ARGO_TEMPLATE``), every
Workflow's stored templates and etcd, so `load` keeps only what the shell reads: the prelude
sections the text uses, without comments, blank lines or indentation (`_compact`). A script
may mark blocks that only some of its containers run, ``#@part NAME...`` to ``#@end``;
``load(name, part)`` keeps those of ``part`` (and the unmarked text), ``load(name, (a, b))``
those of either, ``load(name, ())`` none, ``load(name)`` all of them. The text stays the
platform's constant either way: nothing is read at run time from a volume.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from argo_buildpacks.components.scripts._compact import compact
from argo_buildpacks.errors import ConfigError

__all__ = ["PRELUDE", "load", "names", "parts", "prelude"]

#: The file of shared sections; not a script of its own.
PRELUDE = "_prelude.sh"
_USE = "#@prelude"
_SECTION = "#@section"
_PART = "#@part"
_END = "#@end"
# What a prelude section defines: its functions and the variables it sets at its top level.
_DEFINES = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\(\) \{|=)", re.M)
# Comments for readers of the prelude only: not repeated in every container of a template.
_READER_NOTE = "##"


def names() -> list[str]:
    """The packaged scripts' names (``tag_check.sh``...), sorted; the prelude is not one."""
    return sorted(
        entry.name
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".sh") and entry.name != PRELUDE
    )


@functools.cache
def load(name: str, part: str | tuple[str, ...] | None = None) -> str:
    """Return the text of the packaged script ``name`` (a file name such as ``tag_check.sh``),
    with the prelude sections it uses joined in where its ``#@prelude`` line stands, as a
    container runs it (compacted: `argo_buildpacks.components.scripts._compact`).

    Args:
        name: the script.
        part: keep only the ``#@part`` blocks that name ``part`` (with the unmarked text);
            a tuple: the blocks that name any of its parts (``()``: no block, for a
            container whose settings need none of them); ``None`` keeps every block, for a
            container that may run any of them.

    The scripts are constants of the installed package, so each is read once.

    Raises:
        ConfigError: no script of that name is packaged, it has no such part, it names a
            prelude section that does not exist (or more than one ``#@prelude`` line), or a
            block is not closed.
    """
    if name not in names():
        raise ConfigError(f"script {name!r} is not packaged; available: {', '.join(names())}")
    wanted = None if part is None else (part,) if isinstance(part, str) else part
    for one in wanted or ():
        if one not in parts(name):
            raise ConfigError(
                f"script {name!r} has no part {one!r}; it has {', '.join(parts(name)) or 'none'}"
            )
    lines = _select(name, wanted)
    uses = [i for i, line in enumerate(lines) if line.split()[:1] == [_USE]]
    if len(uses) > 1:
        raise ConfigError(f"script {name!r} has more than one {_USE} line")
    text = compact("".join(lines), what=f"script {name!r}")
    if not uses:
        return text
    marker = lines[uses[0]]
    head, _, tail = text.partition(marker)
    try:
        prelude(*marker.split()[1:])
    except ConfigError as exc:
        raise ConfigError(f"script {name!r}: {exc}") from None
    needed = _needed(marker.split()[1:], head + tail)
    return head + compact(prelude(*needed), what=PRELUDE) + tail


def parts(name: str) -> list[str]:
    """The part names the script ``name``'s ``#@part`` blocks use, sorted."""
    found = {
        word
        for line in _read(name).splitlines()
        if line.split()[:1] == [_PART]
        for word in line.split()[1:]
    }
    return sorted(found)


def _select(name: str, wanted: tuple[str, ...] | None) -> list[str]:
    """The lines of ``name`` without the blocks none of ``wanted`` runs, and without the
    block markers."""
    kept: list[str] = []
    block: list[str] | None = None
    for number, line in enumerate(_read(name).splitlines(keepends=True), start=1):
        word = line.split()[:1]
        if word == [_PART]:
            if block is not None:
                raise ConfigError(f"script {name!r}: line {number}: {_PART} inside a block")
            block = line.split()[1:]
        elif word == [_END]:
            if block is None:
                raise ConfigError(f"script {name!r}: line {number}: {_END} without {_PART}")
            block = None
        elif block is None or wanted is None or any(p in block for p in wanted):
            kept.append(line)
    if block is not None:
        raise ConfigError(f"script {name!r}: a {_PART} block is not closed with {_END}")
    return kept


def _needed(listed: list[str], text: str) -> list[str]:
    """The sections of ``listed`` that ``text`` uses, with those they use in turn."""
    available = _sections()
    needed: set[str] = set()
    pending = [text]
    while pending:
        body = pending.pop()
        for section in listed:
            if section not in needed and any(
                re.search(rf"(?<![A-Za-z0-9_]){d}(?![A-Za-z0-9_])", body)
                for d in _DEFINES.findall(available[section])
            ):
                needed.add(section)
                pending.append(available[section])
    return [s for s in listed if s in needed]


def prelude(*sections: str) -> str:
    """The text of the named sections of the prelude, in the prelude's order (so a section
    that calls another's function may be named before it), without the prelude's notes.

    Raises:
        ConfigError: a section of that name does not exist.
    """
    available = _sections()
    unknown = [s for s in sections if s not in available]
    if unknown:
        raise ConfigError(
            f"unknown prelude section(s) {', '.join(unknown)}; {PRELUDE} has {', '.join(available)}"
        )
    return "".join(body for section, body in available.items() if section in sections)


@functools.cache
def _sections() -> dict[str, str]:
    """The prelude's sections by name, in file order, without its reader notes."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None  # the file's own header belongs to no section
    for line in _read(PRELUDE).splitlines(keepends=True):
        if line.startswith(_SECTION):
            current = sections.setdefault(line.split()[1], [])
        elif current is not None and line.strip() and not line.lstrip().startswith(_READER_NOTE):
            current.append(line)
    return {section: "".join(body) for section, body in sections.items()}


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
