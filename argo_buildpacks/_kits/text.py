"""Make text from elsewhere (a server, a container's log, a file) safe to print on a terminal.

A log line or an error message holding ``ESC [2J``, a carriage return or a bidirectional
override could clear the screen, overwrite what was printed before it, or show text in an
order that hides what it says. `escape` writes such characters as visible escapes.
"""

from __future__ import annotations

import unicodedata

__all__ = ["escape", "escape_lines"]

# Characters that move the cursor or reorder text without being control characters (Cc):
# line/paragraph separators and the bidirectional embeddings, overrides and isolates.
_FORMAT = frozenset(
    "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
)


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape(text: str, *, keep_tabs: bool = True) -> str:
    """``text`` with control characters written as ``\\xNN``/``\\uNNNN``.

    Escaped: C0 controls (newline and carriage return included; tab unless
    ``keep_tabs=False``), DEL, C1 controls, lone surrogates (bytes of a file name that
    were not UTF-8), and the line separators and bidirectional formatting characters.
    Everything else, including any other non-ASCII text, is kept.
    """
    if text.isprintable() and not any(c in _FORMAT for c in text):
        return text
    out = []
    for char in text:
        if char == "\t" and keep_tabs:
            out.append(char)
        elif char in _FORMAT or unicodedata.category(char) in ("Cc", "Cs"):
            out.append(_escaped(char))
        else:
            out.append(char)
    return "".join(out)


def escape_lines(text: str) -> str:
    """Each line of ``text`` escaped (see `escape`), the newlines between them kept."""
    return "\n".join(escape(line) for line in text.split("\n"))
