"""Jupyter display: the pipeline diagram (SVG and Mermaid), the HTML views, the IPython
extension, and escaping of every value shown."""

from __future__ import annotations

import html
import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.formatters import DisplayFormatter

import argo_buildpacks
from argo_buildpacks import BuildConfig, ConfigError, SemverTag
from argo_buildpacks.display._jupyter import (
    load_ipython_extension,
    pipeline_html,
    pipeline_mermaid,
    pipeline_svg,
    run_status_html,
    semver_html,
    unload_ipython_extension,
)
from argo_buildpacks.model.runs import NodeStatus, RunStatus
from argo_buildpacks.templates.library import (
    GIT_SECRET,
    REGISTRY_SECRET,
    app_template,
    library_template,
)
from argo_buildpacks.templates.pipeline import render, to_manifest, workflow_for, workflow_template

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = BuildConfig.from_file(ROOT / "examples" / "my-python-app.yaml")
REGISTRY = "registry.example.com:5000/acme"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script>"


def config(**over: Any) -> BuildConfig:
    return BuildConfig.from_dict({**EXAMPLE.model_dump(mode="json"), **over})


# The example app, fitted to a library: its Secrets and the library's pinned builder.
LIBRARY_APP = config(
    builder="paketobuildpacks/builder-jammy-base:0.4.642",
    registry_secret=REGISTRY_SECRET,
    source={
        **EXAMPLE.source.model_dump(mode="json"),
        "credentials": {"https_token_secret": GIT_SECRET},
    },
)


def texts(svg: str) -> list[str]:
    """The text lines of an SVG picture in drawing order (parsing also proves it well-formed)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def shown(svg: str) -> list[str]:
    """Like :func:`texts` but without the tooltips of clipped lines."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    return [(t.text or "") + "".join(c.tail or "" for c in t) for t in root.iter(f"{SVG}text")]


def mermaid_graph(chart: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Node id -> first label line, and the edges as (label, label) pairs."""
    labels = {}
    for ident, label in re.findall(r'(n\d+)(?:\[\[|\(|\[)"([^"]*)"', chart):
        labels[ident] = label.split("<br/>")[0]
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"(n\d+) --> (n\d+)", chart)}
    return labels, edges


def pods(svg: str) -> list[str]:
    return [t.removeprefix("pod ") for t in shown(svg) if t.startswith("pod ")]


# ----------------------------------------------------------------------------- diagrams


def test_single_pod_is_one_pod_with_its_containers_in_run_order() -> None:
    template = workflow_template(EXAMPLE)
    lines = shown(pipeline_svg(template))
    assert pods(pipeline_svg(template)) == ["build"]
    assert "containerSet" in lines
    names = ["tag-check", "git-clone", "analyze", "detect", "restore", "build", "main"]
    order = [lines.index(f"{i}. {n}") for i, n in enumerate(names, start=1)]
    assert order == sorted(order)
    assert "paketobuildpacks/builder-jammy-base:0.4.642" in lines
    assert "in-pod retries 2" in lines
    _, edges = mermaid_graph(pipeline_mermaid(template))
    assert edges == set(itertools.pairwise(names))
    assert pipeline_mermaid(template).count("subgraph") == 1


def test_steps_layout_is_one_pod_per_step_in_order() -> None:
    template = workflow_template(EXAMPLE, layout="steps")
    svg = pipeline_svg(template)
    assert pods(svg) == ["tag-check", "git-clone", "build", "export"]
    assert "retries 2" in shown(svg)
    _, edges = mermaid_graph(pipeline_mermaid(template))
    assert {("pod tag-check", "pod git-clone"), ("pod git-clone", "pod build")} <= edges
    assert ("pod build", "pod export") in edges
    # Arrows between the four steps and between the build pod's four phases.
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert len(list(root.iter(f"{SVG}polygon"))) == 6


def test_from_git_tags_add_the_version_container() -> None:
    template = workflow_template(config(tag={"from_git": True}))
    lines = shown(pipeline_svg(template))
    assert [t for t in lines if t[:1].isdigit()] == [
        "1. tag-check",
        "2. git-clone",
        "3. version",
        "4. analyze",
        "5. detect",
        "6. restore",
        "7. build",
        "8. main",
    ]


def test_privileged_modes_show_what_they_expose() -> None:
    safe = shown(pipeline_svg(workflow_template(EXAMPLE)))
    assert not {"privileged", "root"} & set(safe)
    assert not any(t.startswith("hostPath") for t in safe)

    dind = workflow_template(config(creation_time="now"), mode="pack-dind", allow_privileged=True)
    lines = shown(pipeline_svg(dind))
    assert "sidecar dind" in lines
    assert lines[lines.index("sidecar dind") + 2] == "privileged"
    assert "sidecar dind" in pipeline_mermaid(dind)

    socket = workflow_template(EXAMPLE, mode="pack-socket", layout="steps", allow_privileged=True)
    lines = shown(pipeline_svg(socket))
    assert "hostPath /var/run/docker.sock" in lines
    assert "root" in lines
    assert "hostPath /var/run/docker.sock" in pipeline_mermaid(socket)


def test_app_templates_show_calls_with_the_library_name() -> None:
    library = library_template(
        name="platform-builds", registries=[REGISTRY], git_hosts=["github.com"]
    )
    svg = pipeline_svg(app_template(LIBRARY_APP, library))
    assert pods(svg) == []
    lines = shown(svg)
    assert "\u2192 platform-builds / build" in lines
    assert "ClusterWorkflowTemplate" in lines

    steps = app_template(LIBRARY_APP.model_copy(update={"layout": "steps"}), library)
    _, edges = mermaid_graph(pipeline_mermaid(steps))
    assert ("tag-check", "git-clone") in edges
    assert "[[" in pipeline_mermaid(steps)
    assert "platform-builds / buildpacks-build" in pipeline_mermaid(steps)


def test_a_library_shows_every_template_and_no_order_between_them() -> None:
    library = library_template(registries=[REGISTRY])
    svg = pipeline_svg(library)
    assert pods(svg) == [
        "build", "tag-check", "git-clone", "version", "buildpacks-build", "buildpacks-export"
    ]  # fmt: skip
    chart = pipeline_mermaid(library)
    # The only edges are between containers inside the build pod.
    assert all(line.startswith("    ") for line in chart.splitlines() if "-->" in line)


def test_a_run_shows_the_template_it_runs_and_its_arguments() -> None:
    run = workflow_for(workflow_template(EXAMPLE), tag="v1.4.2")
    lines = shown(pipeline_svg(run))
    assert lines[:4] == ["runs", "\u2192 my-python-app", "WorkflowTemplate", "tag=1.4.2"]
    cluster = workflow_for("shared", tag="1.0.0", cluster_scope=True)
    assert "ClusterWorkflowTemplate" in shown(pipeline_svg(cluster))


def manifest(templates: list[dict[str, Any]], entrypoint: str = "main") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "x-"},
        "spec": {"entrypoint": entrypoint, "templates": templates},
    }


def container(name: str, image: str = "busybox") -> dict[str, Any]:
    return {"name": name, "container": {"image": image}}


def test_dags_are_drawn_in_dependency_order() -> None:
    dag = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "d", "template": "t", "depends": "b && (c.Succeeded || c.Failed)"},
                {"name": "b", "template": "t", "depends": "a.Succeeded"},
                {"name": "c", "template": "t", "dependencies": ["a"]},
                {"name": "a", "template": "t"},
            ]
        },
    }
    m = manifest([dag, container("t")])
    _, edges = mermaid_graph(pipeline_mermaid(m))
    assert edges == {
        ("pod a", "pod b"),
        ("pod a", "pod c"),
        ("pod b", "pod d"),
        ("pod c", "pod d"),
    }
    assert pods(pipeline_svg(m)) == ["a", "b", "c", "d"]


def test_nested_missing_recursive_and_conditional_steps() -> None:
    main = {
        "name": "main",
        "steps": [
            [{"name": "inner", "template": "inner"}],
            [
                {"name": "gone", "template": "nowhere"},
                {"name": "maybe", "template": "t", "when": "{{workflow.parameters.x}} == y"},
            ],
        ],
    }
    inner = {"name": "inner", "steps": [[{"name": "again", "template": "main"}]]}
    lines = shown(pipeline_svg(manifest([main, inner, container("t")])))
    assert "inner" in lines  # a nested group, framed with its name
    assert "template (recursive)" in lines
    assert "template not found" in lines
    assert "when {{workflow.parameters.x}} == y" in lines


def test_cron_workflows_are_drawn_from_their_workflow_spec() -> None:
    cron = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedules": ["0 3 * * *"],
            "workflowSpec": {
                "workflowTemplateRef": {"name": "my-python-app"},
                "arguments": {"parameters": [{"name": "tag", "value": "1.4.2"}]},
            },
        },
    }
    assert shown(pipeline_svg(cron))[:2] == ["runs", "\u2192 my-python-app"]


def test_long_values_are_clipped_with_the_full_text_as_a_tooltip() -> None:
    image = "registry.example.com/" + "a" * 80 + "@sha256:" + "0" * 64
    svg = pipeline_svg(manifest([container("main", image)]))
    assert image in texts(svg)[-1]  # the <title> tooltip holds it whole
    assert shown(svg)[-1].endswith("\u2026")
    assert len(shown(svg)[-1]) < 50


def test_the_diagrams_in_the_docs_are_what_pipeline_mermaid_draws() -> None:
    page = (ROOT / "docs" / "concepts.md").read_text()
    blocks = [part.split("```", 1)[0] for part in page.split("```mermaid\n")[1:]]
    assert blocks == [
        pipeline_mermaid(workflow_template(EXAMPLE)),
        pipeline_mermaid(workflow_template(EXAMPLE, layout="steps")),
    ]


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
    page = status._repr_html_()
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
    page = status._repr_html_()
    assert page == run_status_html(status)
    assert "<code>argo/my-python-app-x7k2p</code>" in page
    assert "\u25cf Succeeded" in page
    assert "<th" in page and "1/1" in page
    assert "0:05:00" in page
    assert "<code>registry.example.com/acme/app:1.4.2</code>" in page
    assert "<summary>nodes (2)</summary>" in page
    assert "<td>build</td><td>Pod</td>" in page
    pending = RunStatus("x", "argo", "Pending")._repr_html_()
    assert "nodes" not in pending
    assert "time" not in pending


def test_semver_tag_shows_the_tags_it_pushes() -> None:
    release = SemverTag.parse("v1.4.2+build.7")._repr_html_()
    assert "<b>1.4.2+build.7</b>" in release
    assert "<i>release</i>" in release
    codes = re.findall(r"<code>([^<]*)</code>", release)
    assert codes == ["1.4.2_build.7", "1.4", "1"]
    assert (
        re.findall(r"<code>([^<]*)</code>", semver_html(SemverTag.parse("2.0.0"), latest=True))[-1]
        == "latest"
    )
    pre = SemverTag.parse("2.0.0-rc.1")._repr_html_()
    assert re.findall(r"<code>([^<]*)</code>", pre) == ["2.0.0-rc.1"]
    assert "no floating tags" in pre
    long = SemverTag.from_git_describe("v1.0.0-" + "a" * 120 + "-3-gabc1234")._repr_html_()
    assert "at most 128" in long  # shown, no exception


# ----------------------------------------------------------------------------- IPython


def formats(formatter: DisplayFormatter, obj: object) -> dict[str, Any]:
    data, _ = formatter.format(obj)  # type: ignore[no-untyped-call]
    assert isinstance(data, dict)
    return data


def test_the_extension_renders_hera_templates_and_unloads() -> None:
    formatter = DisplayFormatter()
    shell = SimpleNamespace(display_formatter=formatter)
    template = workflow_template(EXAMPLE)
    cluster = workflow_template(EXAMPLE, kind="ClusterWorkflowTemplate")
    run = workflow_for(template, tag="1.4.2")
    assert "text/html" not in formats(formatter, template)

    argo_buildpacks.load_ipython_extension(shell)
    for obj in (template, cluster, run):
        page = formats(formatter, obj)["text/html"]
        assert page == pipeline_html(obj)
    assert "<b>ClusterWorkflowTemplate</b>" in formats(formatter, cluster)["text/html"]

    argo_buildpacks.unload_ipython_extension(shell)
    assert "text/html" not in formats(formatter, template)
    load_ipython_extension(shell)  # the module's own functions do the same
    assert "<svg" in formats(formatter, template)["text/html"]
    unload_ipython_extension(shell)
    assert "text/html" not in formats(formatter, cluster)


def test_display_and_the_extension_do_not_import_hera() -> None:
    code = (
        "import sys, types, argo_buildpacks, argo_buildpacks.display._jupyter\n"
        "from IPython.core.formatters import DisplayFormatter\n"
        "argo_buildpacks.load_ipython_extension(types.SimpleNamespace("
        "display_formatter=DisplayFormatter()))\n"
        "print('hera' in sys.modules)"
    )
    # PyYAML is loaded (the safe reader, a top-level import of display._pods: 20 ms); Hera is not.
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


# -- a branching DAG: true edges only --------------------------------------------------------

_DAG_EDGES = {
    ("clone", "unit"),
    ("unit", "e2e"),
    ("e2e", "build"),
    ("clone", "docs"),
    ("docs", "publish-docs"),
}


def _branching_dag() -> dict[str, Any]:
    deps = {"clone": [], "unit": ["clone"], "e2e": ["unit"], "build": ["e2e"]}
    deps |= {"docs": ["clone"], "publish-docs": ["docs"]}
    tasks = [
        {"name": name, "template": "work", **({"dependencies": d} if d else {})}
        for name, d in deps.items()
    ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "branching"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {"name": "main", "dag": {"tasks": tasks}},
                {"name": "work", "container": {"image": "busybox:1.37"}},
            ],
        },
    }


def test_mermaid_draws_only_the_dag_s_true_edges() -> None:
    chart = pipeline_mermaid(_branching_dag())
    names = dict(re.findall(r'subgraph (n\d+)\["pod ([\w-]+)<br/>', chart))  # id -> task
    assert sorted(names.values()) == sorted({n for edge in _DAG_EDGES for n in edge})
    drawn = {(names[a], names[b]) for a, b in re.findall(r"(n\d+) --> (n\d+)", chart)}
    assert drawn == _DAG_EDGES  # not unit->publish-docs, docs->e2e, publish-docs->build


def test_svg_draws_one_arrow_per_dag_edge() -> None:
    drawing = pipeline_svg(_branching_dag())
    ET.fromstring(drawing)  # noqa: S314 - our own output; well-formed
    assert drawing.count("<polygon") == len(_DAG_EDGES)


def test_the_model_never_imports_the_display_module() -> None:
    # The layers are enforced by import-linter (pyproject.toml); this checks the runtime too.
    code = (
        "import sys, argo_buildpacks.model.runs, argo_buildpacks.model.tags; "
        "print('argo_buildpacks.display._jupyter' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
    tag = SemverTag.parse("1.4.2")
    assert tag._repr_html_() == semver_html(tag)


def test_yaml_text_to_display_goes_through_the_safe_loader() -> None:
    with pytest.raises(ConfigError, match="nested more than 100 levels deep"):
        pipeline_svg("a: " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="duplicate key 'kind'"):
        pipeline_svg("kind: Workflow\nkind: WorkflowTemplate\n")
