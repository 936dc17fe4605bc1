"""Small HTML helpers shared by the model's Jupyter displays and `argo_buildpacks.display._jupyter`.

Standard library only: `argo_buildpacks.model.tags` and `argo_buildpacks.model.runs` use it to draw
themselves without importing the display module above them.
"""

from __future__ import annotations

from html import escape

__all__ = ["CODE", "phase_html"]

#: A value in a code span (format with an escaped value).
CODE = "<code>{}</code>"

_PHASE_COLOURS = {
    "Succeeded": "#1a7f37",
    "Failed": "#b3261e",
    "Error": "#b3261e",
    "Running": "#0969da",
    "Pending": "#57606a",
}


def phase_html(phase: str) -> str:
    """A workflow or node phase as a coloured dot and word."""
    colour = _PHASE_COLOURS.get(phase, "#57606a")
    return f'<b style="color:{colour}">\u25cf {escape(phase)}</b>'
