"""Jupyter display: the pipeline page (title, parameters, diagram, YAML), versions and run
statuses as HTML, escaping of every value shown, and the IPython extension that makes them
what a notebook shows."""

from __future__ import annotations

import html
import importlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell

from argo_buildpacks import (
    ConfigError,
    SemverTag,
    render,
    to_manifest,
    workflow_for,
    workflow_template,
)
from argo_buildpacks.display import (
    load_ipython_extension,
    pipeline_html,
    pipeline_mermaid,
    pipeline_svg,
    run_status_html,
    semver_html,
    unload_ipython_extension,
)
from argo_buildpacks.model.runs import NodeStatus, RunStatus
from argo_buildpacks.templates.library import library_template
from tests.support.pipelines import EXAMPLE, REGISTRY, SVG, container, manifest, texts

HOSTILE = "<script>alert('x')</script>"


# ----------------------------------------------------------------------------- HTML


def test_html_has_title_parameters_diagram_and_collapsible_yaml() -> None:
    template = workflow_template(EXAMPLE)
    page = pipeline_html(template)
    yaml_text = render(template)
    assert "<b>WorkflowTemplate</b> <code>my-python-app</code>" in page
    assert "<code>revision=main</code>" in page
    assert "<code>tag</code>" in page
    assert page.count("<svg") == 1
    match = re.search(
        r"<details><summary>YAML \((\d+) lines\)</summary><pre>(.*)</pre>", page, re.S
    )
    assert match is not None
    assert int(match[1]) == len(yaml_text.splitlines())
    assert html.unescape(match[2]) == yaml_text
    assert "<details>" not in pipeline_html(template, yaml=False)
    assert "<script" not in page.lower()


def test_html_accepts_manifests_yaml_and_lists() -> None:
    template = workflow_template(EXAMPLE)
    as_dict = pipeline_html(to_manifest(template))
    assert pipeline_html(template) == as_dict
    assert pipeline_html(render(template)) == as_dict
    both = pipeline_html([template, library_template(registries=[REGISTRY])])
    assert both.count("<svg") == 2
    with pytest.raises(ConfigError, match="cannot display int"):
        pipeline_html(3)
    with pytest.raises(ConfigError, match="one manifest"):
        pipeline_html("- a\n- b\n")


def hostile_manifest() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": HOSTILE, "namespace": HOSTILE},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": HOSTILE, "value": HOSTILE}]},
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [
                            {"name": HOSTILE, "template": "pod"},
                            {
                                "name": "call",
                                "templateRef": {"name": HOSTILE, "template": '"]]-->x'},
                            },
                        ]
                    ],
                },
                {
                    "name": "pod",
                    "containerSet": {
                        "containers": [
                            {"name": HOSTILE, "image": f'"><img src=x onerror=alert(1)>{HOSTILE}'}
                        ]
                    },
                    "volumes": [{"name": "v", "hostPath": {"path": HOSTILE}}],
                },
            ],
        },
    }


def test_every_value_is_escaped() -> None:
    m = hostile_manifest()
    page = pipeline_html(m)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;" in page
    assert HOSTILE in texts(pipeline_svg(m))
    chart = pipeline_mermaid(m)
    assert "<script" not in chart.lower()
    # Every label is one quoted string: no quote inside a label survives unencoded.
    for line in chart.splitlines():
        assert line.count('"') in (0, 2), line

    status = RunStatus(
        name=HOSTILE,
        namespace="argo",
        phase=HOSTILE,
        message=HOSTILE,
        progress=HOSTILE,
        nodes=(NodeStatus("id", HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE),),
        outputs={HOSTILE: HOSTILE},
    )
    page = run_status_html(status)
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;") >= 7


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=40), image=st.text(min_size=1, max_size=60))
def test_any_text_is_drawn_verbatim_and_never_breaks_the_markup(name: str, image: str) -> None:
    # XML 1.0 cannot hold most control characters even escaped; Kubernetes names cannot either.
    name = "".join(c for c in name if c.isprintable()) or "x"
    image = "".join(c for c in image if c.isprintable()) or "x"
    svg = pipeline_svg(manifest([{"name": "main", "container": {"name": name, "image": image}}]))
    drawn = texts(svg)
    assert name in drawn
    assert image in drawn or any(image in t for t in drawn)
    m = manifest([container(name, image)])
    m["metadata"]["namespace"] = name
    # Without the YAML the page is well-formed XML: a value that broke out would show.
    page = ET.fromstring(pipeline_html(m, yaml=False))  # noqa: S314 - our own output
    assert name in "".join(page.itertext())
    assert [e.tag for e in page.iter() if not e.tag.startswith(SVG)] == [
        "div",
        "div",
        "b",
        "code",
        "code",
        "div",
    ]


# ----------------------------------------------------------------------------- runs, tags


def test_run_status_is_a_compact_table() -> None:
    start = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    status = RunStatus(
        name="my-python-app-x7k2p",
        namespace="argo",
        phase="Succeeded",
        started_at=start,
        finished_at=start.replace(minute=9),
        progress="1/1",
        nodes=(
            NodeStatus("a", "my-python-app-x7k2p", "my-python-app-x7k2p", "Steps", "Succeeded"),
            NodeStatus("b", "my-python-app-x7k2p[0].build", "build", "Pod", "Succeeded"),
        ),
        outputs={"image": "registry.example.com/acme/app:1.4.2", "digest": "sha256:" + "a" * 64},
    )
    page = run_status_html(status)
    assert "<code>argo/my-python-app-x7k2p</code>" in page
    assert "\u25cf Succeeded" in page
    assert "<th" in page and "1/1" in page
    assert "0:05:00" in page
    assert "<code>registry.example.com/acme/app:1.4.2</code>" in page
    assert "<summary>nodes (2)</summary>" in page
    assert "<td>build</td><td>Pod</td>" in page
    pending = run_status_html(RunStatus("x", "argo", "Pending"))
    assert "nodes" not in pending
    assert "time" not in pending


def test_semver_tag_shows_the_tags_it_pushes() -> None:
    release = semver_html(SemverTag.parse("v1.4.2+build.7"))
    assert "<b>1.4.2+build.7</b>" in release
    assert "<i>release</i>" in release
    codes = re.findall(r"<code>([^<]*)</code>", release)
    assert codes == ["1.4.2_build.7", "1.4", "1"]
    assert (
        re.findall(r"<code>([^<]*)</code>", semver_html(SemverTag.parse("2.0.0"), latest=True))[-1]
        == "latest"
    )
    pre = semver_html(SemverTag.parse("2.0.0-rc.1"))
    assert re.findall(r"<code>([^<]*)</code>", pre) == ["2.0.0-rc.1"]
    assert "no floating tags" in pre
    long = semver_html(SemverTag.from_git_describe("v1.0.0-" + "a" * 120 + "-3-gabc1234"))
    assert "at most 128" in long  # shown, no exception


# ----------------------------------------------------------------------------- IPython


class FakeHtmlFormatter:
    """IPython's ``text/html`` formatter, as far as the extension uses it: printers by name."""

    def __init__(self) -> None:
        self.printers: dict[str, Callable[[Any], str]] = {}

    def for_type_by_name(self, module: str, name: str, printer: Callable[[Any], str]) -> None:
        self.printers[f"{module}.{name}"] = printer

    def pop(self, key: str, default: object = None) -> object:
        return self.printers.pop(key, default)


class FakeShell:
    """An ``InteractiveShell`` as far as the extension uses it."""

    def __init__(self, html: FakeHtmlFormatter) -> None:
        self.display_formatter = SimpleNamespace(formatters={"text/html": html})


def test_load_ext_registers_each_class_by_name_and_unload_removes_them() -> None:
    formatter = FakeHtmlFormatter()
    shell = FakeShell(formatter)
    load_ipython_extension(shell)
    assert set(formatter.printers) == {
        "hera.workflows.workflow.Workflow",
        "hera.workflows.workflow_template.WorkflowTemplate",
        "hera.workflows.cluster_workflow_template.ClusterWorkflowTemplate",
        "argo_buildpacks.model.tags.SemverTag",
        "argo_buildpacks.model.runs.RunStatus",
    }
    # IPython matches a name to a class by its __module__ and __name__: a class that moves (or
    # a Hera release that moves one) would silently lose its display.
    for key in formatter.printers:
        module, name = key.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        assert (cls.__module__, cls.__name__) == (module, name)

    tag, status = SemverTag.parse("1.4.2"), RunStatus("x", "argo", "Running")
    assert formatter.printers["argo_buildpacks.model.tags.SemverTag"](tag) == semver_html(tag)
    printer = formatter.printers["argo_buildpacks.model.runs.RunStatus"]
    assert printer(status) == run_status_html(status)
    template = workflow_template(EXAMPLE)
    printer = formatter.printers["hera.workflows.workflow_template.WorkflowTemplate"]
    assert printer(template) == pipeline_html(template)

    unload_ipython_extension(shell)
    assert formatter.printers == {}


@pytest.fixture
def ipython(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A real IPython shell, with no user profile or startup files."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def html_of(shell: InteractiveShell, obj: object) -> str | None:
    """What a notebook would show as HTML for ``obj``, or None."""
    assert shell.display_formatter is not None
    data, _ = shell.display_formatter.format(obj)  # type: ignore[no-untyped-call]
    shown = data.get("text/html")
    assert shown is None or isinstance(shown, str)
    return shown


def test_in_ipython_templates_versions_and_runs_show_as_html_until_unloaded(
    ipython: InteractiveShell,
) -> None:
    template = workflow_template(EXAMPLE)
    cluster = workflow_template(EXAMPLE, kind="ClusterWorkflowTemplate")
    run = workflow_for(template, tag="1.4.2")
    tag = SemverTag.parse("2.0.0-rc.1")
    status = RunStatus("my-python-app-x7k2p", "argo", "Succeeded", progress="1/1")
    everything = (template, cluster, run, tag, status)
    # The model draws nothing itself: without the extension there is no HTML.
    assert [html_of(ipython, obj) for obj in everything] == [None] * 5

    ipython.run_line_magic("load_ext", "argo_buildpacks")
    for obj in (template, cluster, run):
        assert html_of(ipython, obj) == pipeline_html(obj)
    assert "<b>ClusterWorkflowTemplate</b>" in (html_of(ipython, cluster) or "")
    assert html_of(ipython, tag) == semver_html(tag)
    assert html_of(ipython, status) == run_status_html(status)

    ipython.run_line_magic("unload_ext", "argo_buildpacks")
    assert [html_of(ipython, obj) for obj in everything] == [None] * 5


def imported_after(code: str) -> set[str]:
    """The argo_buildpacks and hera modules a fresh interpreter has loaded after ``code``."""
    code += "\nimport sys; print(*sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {m for m in out.stdout.split() if m.startswith(("argo_buildpacks", "hera"))}


def test_importing_the_model_does_not_import_the_display_layer() -> None:
    # The layers are import-linter's rule (pyproject.toml); this checks what happens at runtime.
    loaded = imported_after(
        "import importlib, pkgutil, argo_buildpacks.model as model\n"
        "for info in pkgutil.iter_modules(model.__path__):\n"
        "    importlib.import_module(f'argo_buildpacks.model.{info.name}')"
    )
    assert {"argo_buildpacks.model.tags", "argo_buildpacks.model.runs"} <= loaded
    assert not {m for m in loaded if m.startswith("argo_buildpacks.display")}


def test_loading_the_extension_does_not_import_hera() -> None:
    # %load_ext may run at every IPython start (c.InteractiveShellApp.extensions): Hera takes
    # half a second to import, and whatever builds a template to show loads it anyway.
    loaded = imported_after(
        "import types, argo_buildpacks\n"
        "from IPython.core.formatters import DisplayFormatter\n"
        "argo_buildpacks.load_ipython_extension("
        "types.SimpleNamespace(display_formatter=DisplayFormatter()))"
    )
    assert "argo_buildpacks.display._jupyter" in loaded
    assert "hera" not in loaded
