"""mkdocs hooks: draw the docs' pipeline diagrams offline, as SVG, at build time, and keep
Sphinx roles out of the API reference.

The Markdown sources keep their ```mermaid blocks (GitHub and editors render them), but the
site must work offline and must not load Mermaid's JavaScript from a CDN. Each block is
the output of `pipeline_mermaid` for one of the example app's templates; this hook puts the
same pipeline drawn by `pipeline_svg` (inline SVG, no script) in its place. A Mermaid block
that is not one of those fails the build: it could not be drawn without the CDN.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|data|attr|mod|exc|obj):<code>(~?)([^<]+)</code>")
_BLOCK = re.compile(r"^```mermaid\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
_EXAMPLE = Path(__file__).resolve().parent / "examples" / "my-python-app.yaml"


@functools.cache
def _known() -> dict[str, str]:
    """Mermaid text -> SVG, for every pipeline the docs draw."""
    from argo_buildpacks import BuildConfig, workflow_template
    from argo_buildpacks.display._jupyter import pipeline_mermaid, pipeline_svg
    from argo_buildpacks.templates.library import library_template

    config = BuildConfig.from_file(_EXAMPLE)
    templates: list[Any] = [
        workflow_template(config, layout="single-pod"),
        workflow_template(config, layout="steps"),
        library_template(
            name="argo-buildpacks",
            builder=config.builder,
            registries=["registry.example.com:5000/acme"],
            git_hosts=["github.com"],
        ),
    ]
    return {pipeline_mermaid(t): pipeline_svg(t) for t in templates}


def mermaid_to_svg(markdown: str, where: str = "page") -> str:
    """``markdown`` with each known Mermaid block replaced by its SVG.

    Raises:
        ValueError: a Mermaid block is not one the docs can draw offline.
    """
    known = _known()

    def replace(match: re.Match[str]) -> str:
        svg = known.get(match.group(1))
        if svg is None:
            raise ValueError(
                f"{where}: a ```mermaid block that is not pipeline_mermaid() of the example "
                "app cannot be drawn offline; regenerate it or use an SVG"
            )
        return f'<div class="pipeline-diagram">{svg}</div>\n'

    return _BLOCK.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs: replace the page's Mermaid blocks by inline SVG."""
    return mermaid_to_svg(markdown, str(page.file.src_path))


def strip_sphinx_roles(html: str) -> str:
    """``:class:<code>~a.b.C</code>`` (a Sphinx role mkdocstrings left as text) as
    ``<code>C</code>``; the docstrings are Markdown, and a test keeps new roles out of them,
    but this keeps the pages clean whatever a docstring still says."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(2)
        return f"<code>{target.rsplit('.', 1)[-1] if match.group(1) else target}</code>"

    return _ROLE.sub(replace, html)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs: no raw Sphinx roles in the rendered page."""
    return strip_sphinx_roles(html)
