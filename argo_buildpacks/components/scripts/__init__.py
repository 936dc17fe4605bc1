"""The constant shell scripts the components run in the cluster.

They ship inside the package (as data files next to this module) and are read with
`importlib.resources`, so they load the same from a checkout, a wheel or a zip. They are
never formatted or templated: every user value reaches them as an environment variable.

What several scripts need (``fail``, ``one_line``, the image-reference grammar...) lives once,
in ``_prelude.sh``, in named sections. A script names the sections it uses on one line,
``#@prelude SECTION...``, and `load` puts those sections there: constant text joined to
constant text, so a script stays a constant.
"""

from __future__ import annotations

import functools
from importlib import resources

from argo_buildpacks.errors import ConfigError

__all__ = ["PRELUDE", "load", "names", "prelude"]

#: The file of shared sections; not a script of its own.
PRELUDE = "_prelude.sh"
_USE = "#@prelude"
_SECTION = "#@section"
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
def load(name: str) -> str:
    """Return the text of the packaged script ``name`` (a file name such as ``tag_check.sh``),
    with the prelude sections it names joined in where its ``#@prelude`` line stands.

    The scripts are constants of the installed package, so each is read once.

    Raises:
        ConfigError: no script of that name is packaged, or it names a prelude section that
            does not exist (or more than one ``#@prelude`` line).
    """
    if name not in names():
        raise ConfigError(f"script {name!r} is not packaged; available: {', '.join(names())}")
    text = _read(name)
    lines = text.splitlines(keepends=True)
    uses = [i for i, line in enumerate(lines) if line.split()[:1] == [_USE]]
    if not uses:
        return text
    if len(uses) > 1:
        raise ConfigError(f"script {name!r} has more than one {_USE} line")
    try:
        joined = prelude(*lines[uses[0]].split()[1:])
    except ConfigError as exc:
        raise ConfigError(f"script {name!r}: {exc}") from None
    return "".join(lines[: uses[0]]) + joined + "".join(lines[uses[0] + 1 :])


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
