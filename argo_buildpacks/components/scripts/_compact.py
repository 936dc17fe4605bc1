"""What a script's text costs in a manifest: comments, blank lines and indentation dropped.

Argo keeps the whole template of a pod in its ``ARGO_TEMPLATE`` variable (and every
container repeats its own script), so the text the scripts carry for their readers is paid
for in every pod spec, every Workflow's stored templates and etcd. `compact` drops what the
shell ignores and keeps every byte it reads: a line that starts inside a quoted string (the
prelude's ``nl='<newline>'``) is kept verbatim, a continuation line keeps the space that
separates its words, and ``# shellcheck`` directives stay so that shellcheck reads the
rendered text as the author wrote it.

The lexer knows what these scripts use of POSIX sh quoting (single and double quotes,
backslashes, ``$(...)``, ``${...}``); it refuses a here-document and any text it cannot read
to the end in the state it started (an unbalanced quote), so a script it could misread is a
`ConfigError` when the package loads it, never a changed script in a cluster.
"""

from __future__ import annotations

from argo_buildpacks.errors import ConfigError

__all__ = ["compact"]

# A '#' starts a comment only at the start of a word (POSIX 2.3, rule 9): after these.
_WORD_BREAK = frozenset(" \t;&|()")
_KEEP = ("# shellcheck", "#@prelude")
_CODE = ("top", "cmd")


def compact(text: str, *, what: str = "script") -> str:
    """``text`` without comments (but ``# shellcheck`` directives), blank lines and
    indentation, outside quoted strings. The ``#!`` line goes too: a container runs its
    script as ``/bin/sh -c``, where it is a comment.

    Raises:
        ConfigError: ``text`` has a here-document or ends inside a quote or expansion.
    """
    stack = ["top"]
    out: list[str] = []
    continued = False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line
        if stack[-1] in _CODE and all(s in _CODE for s in stack):
            stripped = line.lstrip(" \t")
            if not stripped.strip() or (
                stripped.startswith("#") and not stripped.startswith(_KEEP)
            ):
                continued = False
                continue
            # After a backslash-newline the words of the next line are still separate.
            body = (" " if continued and stripped != line else "") + stripped
        cut = _scan(body, stack, what, number)
        if cut is not None:
            body = body[:cut].rstrip(" \t") + "\n"
            if not body.strip():
                continue
        continued = body.endswith("\\\n")
        out.append(body)
    if stack != ["top"]:
        raise ConfigError(f"{what}: ends inside {stack[-1]!r}; compact cannot read it")
    return "".join(out)


def _scan(line: str, stack: list[str], what: str, number: int) -> int | None:
    """Follow ``line``'s quoting on ``stack``; where a comment starts (if it does)."""
    i = 0
    while i < len(line):
        c, state, two = line[i], stack[-1], line[i : i + 2]
        if c == "\\" and state != "sq":
            i += 2
            continue
        if state in _CODE:
            if c == "'":
                stack.append("sq")
            elif c == '"':
                stack.append("dq")
            elif c == "#" and (i == 0 or line[i - 1] in _WORD_BREAK):
                return None if line.startswith(_KEEP) else i
            elif two == "<<":
                raise ConfigError(f"{what}: line {number}: compact does not read here-documents")
            elif c == ")" and state == "cmd":
                stack.pop()
            elif c == "(" and state == "cmd":
                stack.append("cmd")
        elif state == "sq":
            if c == "'":
                stack.pop()
        elif (c, state) in (("}", "brace"), ('"', "dq")):
            stack.pop()
        elif c == '"':
            stack.append("dq")
        elif c == "'" and state == "brace" and stack[-2] != "dq":
            stack.append("sq")
        if two in ("$(", "${") and state != "sq":
            stack.append("cmd" if two == "$(" else "brace")
            i += 2
            continue
        i += 1
    return None
