"""The pipeline diagram: a manifest read as pods, calls and stages, drawn as SVG and written as
Mermaid, for every layout, mode and shape of template."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from argo_buildpacks import ConfigError
from argo_buildpacks.display import pipeline_mermaid, pipeline_svg
from argo_buildpacks.templates.app import app_template
from argo_buildpacks.templates.library import (
    GIT_SECRET,
    REGISTRY_SECRET,
    library_template,
)
from argo_buildpacks.templates.pipeline import workflow_for, workflow_template
from tests.support.pipelines import (
    EXAMPLE,
    REGISTRY,
    ROOT,
    SVG,
    config,
    container,
    manifest,
    texts,
)

# The example app, fitted to a library: its Secrets and the library's pinned builder.
LIBRARY_APP = config(
    builder="paketobuildpacks/builder-jammy-base:0.4.642",
    registry_secret=REGISTRY_SECRET,
    source={
        **EXAMPLE.source.model_dump(mode="json"),
        "credentials": {"https_token_secret": GIT_SECRET},
    },
)


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
    # The build pod, then the provenance pod that publishes the outputs.
    assert pods(pipeline_svg(template)) == ["build", "provenance"]
    assert "containerSet" in lines
    names = ["tag-check", "git-clone", "analyze", "detect", "restore", "build", "main"]
    order = [lines.index(f"{i}. {n}") for i, n in enumerate(names, start=1)]
    assert order == sorted(order)
    assert "paketobuildpacks/builder-jammy-base:0.4.642" in lines
    # Refusals are not retried in place: the scripts retry what may pass (issue 20).
    assert not [line for line in lines if "retries" in line]
    _, edges = mermaid_graph(pipeline_mermaid(template))
    assert edges == {*itertools.pairwise(names), ("pod build", "pod provenance")}
    assert pipeline_mermaid(template).count("subgraph") == 2  # build, provenance


def test_steps_layout_is_one_pod_per_step_in_order() -> None:
    template = workflow_template(EXAMPLE, layout="steps")
    svg = pipeline_svg(template)
    assert pods(svg) == ["tag-check", "git-clone", "build", "export", "provenance"]
    assert "retries 2" in shown(svg)
    _, edges = mermaid_graph(pipeline_mermaid(template))
    assert {("pod tag-check", "pod git-clone"), ("pod git-clone", "pod build")} <= edges
    assert ("pod build", "pod export") in edges
    assert ("pod export", "pod provenance") in edges
    # Arrows between the five steps and between the build pod's four phases.
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert len(list(root.iter(f"{SVG}polygon"))) == 7


def test_from_git_tags_add_the_version_container() -> None:
    template = workflow_template(config(tag={"from_git": True}))
    lines = shown(pipeline_svg(template))
    assert [t for t in lines if t[:1].isdigit()] == [
        # In one pod `version` is the tag check (it checks a given tag before any phase).
        "1. git-clone",
        "2. version",
        "3. analyze",
        "4. detect",
        "5. restore",
        "6. build",
        "7. main",
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
        "build", "tag-check", "git-clone", "version", "buildpacks-build", "buildpacks-export",
        "provenance",
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


def test_yaml_text_to_display_goes_through_the_safe_loader() -> None:
    with pytest.raises(ConfigError, match="nested more than 100 levels deep"):
        pipeline_svg("a: " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="duplicate key 'kind'"):
        pipeline_svg("kind: Workflow\nkind: WorkflowTemplate\n")
