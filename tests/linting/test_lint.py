"""argo_buildpacks.linting._lint: every rule catches what it should and leaves valid Argo alone."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._dag import find_cycles, parse_depends
from argo_buildpacks.linting._lint import Finding, lint

Manifest = dict[str, Any]

API = "argoproj.io/v1alpha1"


def container(image: str = "alpine:3.20", **extra: Any) -> dict[str, Any]:
    """A container section."""
    return {"image": image, "command": ["sh", "-c"], "args": ["true"], **extra}


def leaf(name: str = "main", **extra: Any) -> dict[str, Any]:
    """A container template."""
    return {"name": name, "container": container(), **extra}


def manifest(
    templates: list[dict[str, Any]] | None = None,
    *,
    kind: str = "Workflow",
    name: str = "demo",
    entrypoint: str | None = "main",
    **spec: Any,
) -> Manifest:
    """A manifest of ``kind`` with ``templates`` (default: one container template "main")."""
    body: dict[str, Any] = {"templates": [leaf()] if templates is None else templates, **spec}
    if entrypoint is not None:
        body["entrypoint"] = entrypoint
    if kind == "CronWorkflow":
        body = {"schedules": ["0 * * * *"], "workflowSpec": body}
    return {"apiVersion": API, "kind": kind, "metadata": {"name": name}, "spec": body}


def steps(*groups: list[dict[str, Any]], name: str = "main", **extra: Any) -> dict[str, Any]:
    """A steps template."""
    return {"name": name, "steps": list(groups), **extra}


def dag(*tasks: dict[str, Any], name: str = "main", **extra: Any) -> dict[str, Any]:
    """A DAG template."""
    return {"name": name, "dag": {"tasks": list(tasks)}, **extra}


def params(**values: str) -> dict[str, Any]:
    """``arguments`` passing ``values`` as parameters."""
    return {"parameters": [{"name": k, "value": v} for k, v in values.items()]}


def inputs(*names: str, **defaults: str) -> dict[str, Any]:
    """``inputs`` declaring required ``names`` and parameters with ``defaults``."""
    declared = [{"name": n} for n in names] + [{"name": k, "value": v} for k, v in defaults.items()]
    return {"parameters": declared}


def errors(findings: list[Finding]) -> list[Finding]:
    """The findings of severity error."""
    return [f for f in findings if f.severity == "error"]


def at(findings: list[Finding], path: str) -> Finding:
    """The one finding at ``path``."""
    found = [f for f in findings if f.path == path]
    assert len(found) == 1, f"expected one finding at {path!r}, got {findings}"
    return found[0]


def cwt_print() -> Manifest:
    """A ClusterWorkflowTemplate with a "print" template needing a "message"."""
    tmpl = {"name": "print", "inputs": inputs("message"), "container": container()}
    return manifest([tmpl], kind="ClusterWorkflowTemplate", name="printer", entrypoint=None)


# --------------------------------------------------------------------------- the API


def test_finding_str_and_defaults() -> None:
    finding = Finding("spec.entrypoint", "bad", "Workflow/x")
    assert str(finding) == "Workflow/x: spec.entrypoint: bad"
    assert finding.severity == "error"
    assert str(Finding("", "invalid YAML: x")) == "invalid YAML: x"


def test_a_valid_manifest_has_no_findings() -> None:
    assert lint(manifest()) == []


def test_accepts_a_list_and_is_deterministic() -> None:
    broken = manifest([steps([{"name": "a", "template": "nope"}])])
    first = lint([broken, manifest(name="other")])
    assert first == lint([copy.deepcopy(broken), manifest(name="other")])
    assert [f.document for f in first] == ["Workflow/demo"]


def test_rejects_input_of_the_wrong_type() -> None:
    with pytest.raises(ConfigError, match="int"):
        lint(42)  # type: ignore[arg-type]


def test_malformed_yaml_is_one_finding_at_the_root() -> None:
    findings = lint("apiVersion: [argoproj.io/v1alpha1\nkind: Workflow\n")
    assert len(findings) == 1
    assert findings[0].path == ""
    assert findings[0].message.startswith("not valid YAML:")


def test_duplicate_yaml_keys_are_a_warning_naming_the_key_and_line() -> None:
    # Argo's examples hold one (k8s-patch-json-workflow.yaml), which argo lint accepts;
    # kubectl's strict field validation refuses it, so it is worth a warning.
    text = yaml.safe_dump(manifest()) + "kind: WorkflowTemplate\n"
    findings = lint(text)
    assert len(findings) == 1
    assert findings[0].severity == "warning"
    assert 'key "kind"' in findings[0].message
    assert f"line {text.count(chr(10))}:" in findings[0].message


def test_a_missing_name_is_a_warning() -> None:
    # Argo's validator does not look at names; the API server refuses an object without one.
    nameless = manifest()
    del nameless["metadata"]
    finding = at(lint(nameless), "metadata.name")
    assert finding.severity == "warning"
    assert "metadata.name or metadata.generateName" in finding.message


def test_a_document_that_is_not_a_mapping() -> None:
    findings = lint("- just\n- a list\n")
    assert findings == [
        Finding(
            "",
            "document 1 is a list, expected a mapping with apiVersion, kind, metadata and spec",
            "document 1",
        )
    ]


def test_multi_document_yaml_resolves_references_and_labels_documents() -> None:
    template = manifest(
        [{"name": "greet", "inputs": inputs("who"), "container": container()}],
        kind="WorkflowTemplate",
        name="greeter",
        entrypoint="greet",
    )
    caller = manifest(
        [steps([{"name": "hi", "templateRef": {"name": "greeter", "template": "greet"}}])],
        name="caller",
    )
    text = "---\n".join(yaml.safe_dump(m) for m in (template, caller))
    findings = lint(text)
    # the call lacks the required input: found because both documents are linted together
    assert [(f.document, f.path) for f in findings] == [
        ("Workflow/caller", "spec.templates[0].steps[0][0].arguments.parameters")
    ]
    assert '"who"' in findings[0].message
    assert 'WorkflowTemplate "greeter"' in findings[0].message
    caller["spec"]["templates"][0]["steps"][0][0]["arguments"] = params(who="x")
    assert lint("---\n".join(yaml.safe_dump(m) for m in (template, caller))) == []
    assert lint("\n---\n" + text + "---\n") == findings  # empty documents are skipped


def test_findings_come_in_document_order() -> None:
    broken = manifest(
        [
            steps([{"name": "a", "template": "b-typo"}]),
            leaf("b", container={"image": "x", "volumeMount": []}),
            leaf("c", container={"image": "x", "args": "not-a-list"}),
        ]
    )
    paths = [f.path for f in lint(broken)]
    assert paths == [
        "spec.templates[0].steps[0][0].template",
        "spec.templates[1].container.volumeMount",
        "spec.templates[2].container.args",
    ]


def test_a_warning_at_the_path_of_an_error_is_dropped() -> None:
    broken = manifest(
        [
            dag(
                {"name": "a", "template": "producer"},
                {
                    "name": "b",
                    "template": "consumer",
                    "arguments": params(x="{{tasks.a.outputs.result}}"),
                },
            ),
            leaf("producer"),
            {"name": "consumer", "inputs": inputs("x"), "container": container()},
        ]
    )
    path = "spec.templates[0].dag.tasks[1].arguments.parameters[0].value"
    finding = at(lint(broken), path)
    assert finding.severity == "error"
    assert 'task "a"' in finding.message
    assert "not a dependency" in finding.message


# --------------------------------------------------------------------------- rule 1: identity


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        (lambda m: m.update(apiVersion="argoproj.io/v1"), "apiVersion", '"argoproj.io/v1"'),
        (lambda m: m.update(kind="Pipeline"), "kind", '"Pipeline"'),
        (lambda m: m["metadata"].update(name="My_Flow"), "metadata.name", '"My_Flow"'),
        (lambda m: m["metadata"].update(name="-x"), "metadata.name", "DNS-1123"),
        (lambda m: m["metadata"].update(namespace="Argo NS"), "metadata.namespace", '"Argo NS"'),
        (lambda m: m["metadata"].update(name="a" * 64), "metadata.name", "at most 63"),
    ],
)
def test_identity_errors(change: Callable[[Manifest], object], path: str, needle: str) -> None:
    broken = manifest()
    change(broken)
    finding = at(lint(broken), path)
    assert needle in finding.message
    assert finding.severity == "error"


def test_name_length_limits_follow_argo() -> None:
    assert lint(manifest(name="a" * 63)) == []
    assert lint(manifest(kind="WorkflowTemplate", name="a" * 63)) == []
    assert lint(manifest(kind="CronWorkflow", name="c" * 52)) == []
    finding = at(lint(manifest(kind="CronWorkflow", name="c" * 53)), "metadata.name")
    assert "53 characters" in finding.message
    assert "at most 52" in finding.message
    assert (
        "at most 63"
        in at(
            lint(manifest(kind="ClusterWorkflowTemplate", name="t" * 64)), "metadata.name"
        ).message
    )


def test_generate_name() -> None:
    workflow = manifest()
    workflow["metadata"] = {"generateName": "build-"}
    assert lint(workflow) == []
    assert workflow["kind"] == "Workflow"
    workflow["metadata"] = {"generateName": "b" * 60 + "-"}
    warning = at(lint(workflow), "metadata.generateName")
    assert warning.severity == "warning"
    assert "63" in warning.message
    workflow["metadata"] = {"generateName": "Build-"}
    assert '"Build-"' in at(lint(workflow), "metadata.generateName").message
    template = manifest(kind="WorkflowTemplate")
    template["metadata"] = {"generateName": "tmpl-"}
    assert lint(template) == []  # Kubernetes and Argo accept generateName for any kind


def test_document_label_uses_kind_and_name() -> None:
    findings = lint(
        manifest([steps([{"name": "s", "template": "nope"}])], kind="WorkflowTemplate", name="wt")
    )
    assert {f.document for f in findings} == {"WorkflowTemplate/wt"}


# --------------------------------------------------------------------------- rule 2: entrypoint


def test_workflow_needs_an_entrypoint_that_exists() -> None:
    missing = at(lint(manifest(entrypoint=None)), "spec.entrypoint")
    assert "required" in missing.message
    typo = at(lint(manifest(entrypoint="mian")), "spec.entrypoint")
    assert '"mian"' in typo.message
    assert 'did you mean "main"?' in typo.message


def test_templates_may_omit_the_entrypoint_but_not_misname_it() -> None:
    for kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
        assert lint(manifest(kind=kind, entrypoint=None)) == []
        assert (
            '"nope"' in at(lint(manifest(kind=kind, entrypoint="nope")), "spec.entrypoint").message
        )


def test_cron_workflow_spec_is_checked_under_workflow_spec() -> None:
    assert lint(manifest(kind="CronWorkflow", name="nightly")) == []
    broken = manifest(kind="CronWorkflow", name="nightly", entrypoint="nope")
    assert '"nope"' in at(lint(broken), "spec.workflowSpec.entrypoint").message


def test_cron_schedules_and_policy() -> None:
    cron = manifest(kind="CronWorkflow", name="nightly")
    cron["spec"]["schedules"] = [
        "0 2 * * *",
        "@daily",
        "@every 1h",
        "CRON_TZ=UTC 0 3 * * 1-5",
        "every day",
    ]
    cron["spec"]["concurrencyPolicy"] = "Sometimes"
    findings = lint(cron)
    assert '"every day"' in at(findings, "spec.schedules[4]").message
    assert '"Sometimes"' in at(findings, "spec.concurrencyPolicy").message
    assert len(findings) == 2


def test_cron_singular_schedule_is_gone_in_v4() -> None:
    cron = manifest(kind="CronWorkflow", name="nightly")
    cron["spec"]["schedule"] = cron["spec"].pop("schedules")[0]
    findings = lint(cron)
    assert 'unknown field "schedule"' in at(findings, "spec.schedule").message
    assert "removed in Argo 4.0; use schedules" in at(findings, "spec.schedule").message
    assert 'missing required field "schedules"' in at(findings, "spec.schedules").message


def test_on_exit_must_name_a_template() -> None:
    finding = at(lint(manifest(onExit="cleanup")), "spec.onExit")
    assert '"cleanup"' in finding.message
    assert lint(manifest([leaf(), leaf("cleanup")], onExit="cleanup")) == []


def test_workflow_template_ref() -> None:
    template = manifest(kind="WorkflowTemplate", name="base")
    user = manifest(templates=[], entrypoint=None, workflowTemplateRef={"name": "base"})
    assert lint([template, user]) == []
    alone = at(lint(user), "spec.workflowTemplateRef.name")
    assert alone.severity == "warning"
    assert '"base"' in alone.message
    wrong_entry = manifest(templates=[], entrypoint="other", workflowTemplateRef={"name": "base"})
    assert '"other"' in at(lint([template, wrong_entry]), "spec.entrypoint").message
    no_entry = manifest(kind="WorkflowTemplate", name="base", entrypoint=None)
    assert "required" in at(lint([no_entry, user]), "spec.entrypoint").message
    with_templates = manifest(workflowTemplateRef={"name": "base"})
    assert "must be empty" in at(lint([template, with_templates]), "spec.templates").message
    cluster = {"name": "base", "clusterScope": True}
    hinted = at(
        lint([template, manifest(templates=[], workflowTemplateRef=cluster)]),
        "spec.workflowTemplateRef.name",
    )
    assert "remove clusterScope: true" in hinted.message
    assert hinted.severity == "error"


# --------------------------------------------------------------------------- rule 3: templates


def test_template_names_are_unique_and_valid() -> None:
    findings = lint(
        manifest([leaf(), leaf("main"), leaf("bad_name"), leaf("x" * 129), leaf("y" * 128)])
    )
    assert "not unique" in at(findings, "spec.templates[1].name").message
    assert '"bad_name"' in at(findings, "spec.templates[2].name").message
    assert "129 characters" in at(findings, "spec.templates[3].name").message
    assert [f.path for f in findings] == [f"spec.templates[{i}].name" for i in (1, 2, 3)]


def test_a_template_has_exactly_one_type() -> None:
    findings = lint(
        manifest(
            [
                leaf(),
                {"name": "empty"},
                {"name": "two", "container": container(), "script": container()},
            ]
        )
    )
    assert "sets no type" in at(findings, "spec.templates[1]").message
    assert "container, script" in at(findings, "spec.templates[2]").message


def test_parameter_and_artifact_names() -> None:
    tmpl = leaf(
        inputs={"parameters": [{"name": "my param"}, {"name": "ok"}, {"name": "ok", "value": "1"}]}
    )
    findings = lint(manifest([tmpl], kind="WorkflowTemplate", entrypoint=None))
    assert '"my param"' in at(findings, "spec.templates[0].inputs.parameters[0].name").message
    assert "not unique" in at(findings, "spec.templates[0].inputs.parameters[2].name").message


def test_enumerations() -> None:
    tmpl = leaf(retryStrategy={"limit": 2, "retryPolicy": "Sometimes"})
    findings = lint(manifest([tmpl], podGC={"strategy": "Never"}))
    assert '"Sometimes"' in at(findings, "spec.templates[0].retryStrategy.retryPolicy").message
    assert '"Never"' in at(findings, "spec.podGC.strategy").message


# --------------------------------------------------------------------------- rule 4: references


def test_step_and_task_templates_must_exist() -> None:
    findings = lint(
        manifest(
            [
                steps([{"name": "a", "template": "worker"}]),
                dag({"name": "t", "template": "wroker"}, name="graph"),
                leaf("worker"),
            ]
        )
    )
    finding = at(findings, "spec.templates[1].dag.tasks[0].template")
    assert '"wroker"' in finding.message
    assert 'did you mean "worker"?' in finding.message
    assert len(findings) == 1


def test_a_call_sets_exactly_one_of_template_template_ref_inline() -> None:
    both = {"name": "a", "template": "main", "templateRef": {"name": "x", "template": "y"}}
    none = {"name": "b"}
    findings = lint(manifest([steps([both, none], name="s"), leaf()], entrypoint="s"))
    assert "it sets template, templateRef" in at(findings, "spec.templates[0].steps[0][0]").message
    assert "it sets none" in at(findings, "spec.templates[0].steps[0][1]").message


def test_template_ref_resolves_in_the_set() -> None:
    call = {
        "name": "p",
        "templateRef": {"name": "printer", "template": "prnt", "clusterScope": True},
    }
    findings = lint([cwt_print(), manifest([steps([call])])])
    finding = at(findings, "spec.templates[0].steps[0][0].templateRef.template")
    assert '"prnt"' in finding.message
    assert 'did you mean "print"?' in finding.message


def test_template_ref_outside_the_set_is_a_warning() -> None:
    call = {"name": "p", "templateRef": {"name": "elsewhere", "template": "t"}}
    findings = lint(manifest([steps([call])]))
    finding = at(findings, "spec.templates[0].steps[0][0].templateRef.name")
    assert finding.severity == "warning"
    assert '"elsewhere"' in finding.message
    assert "could not be checked" in finding.message
    # a namespaced reference does not find a ClusterWorkflowTemplate, but says so
    to_cluster = {"name": "p", "templateRef": {"name": "printer", "template": "print"}}
    hint = at(
        lint([cwt_print(), manifest([steps([to_cluster])])]),
        "spec.templates[0].steps[0][0].templateRef.name",
    )
    assert "set clusterScope: true" in hint.message
    assert hint.severity == "error"


def test_template_ref_needs_name_and_template() -> None:
    findings = lint(manifest([steps([{"name": "p", "templateRef": {"name": "x"}}])]))
    assert (
        "templateRef.template is required"
        in at(findings, "spec.templates[0].steps[0][0].templateRef.template").message
    )


def test_hooks() -> None:
    hooks = {"running": {"template": "main"}, "exit": {"template": "nope"}}
    findings = lint(manifest([steps([{"name": "a", "template": "w", "hooks": hooks}]), leaf("w")]))
    assert (
        "needs an expression"
        in at(findings, "spec.templates[0].steps[0][0].hooks.running.expression").message
    )
    assert '"nope"' in at(findings, "spec.templates[0].steps[0][0].hooks.exit.template").message


# --------------------------------------------------------------------------- rule 5: DAGs


def test_dag_task_names_and_dependencies() -> None:
    findings = lint(
        manifest(
            [
                dag(
                    {"name": "a", "template": "w"},
                    {"name": "a", "template": "w"},
                    {"name": "b", "template": "w", "dependencies": ["a", "c"]},
                ),
                leaf("w"),
            ]
        )
    )
    assert "not unique" in at(findings, "spec.templates[0].dag.tasks[1].name").message
    finding = at(findings, "spec.templates[0].dag.tasks[2].dependencies[1]")
    assert '"c"' in finding.message


def test_depends_expressions() -> None:
    def broken(depends: str) -> Finding:
        tmpl = dag(
            {"name": "A", "template": "w"}, {"name": "B", "template": "w", "depends": depends}
        )
        return at(lint(manifest([tmpl, leaf("w")])), "spec.templates[0].dag.tasks[1].depends")

    assert '"C"' in broken("A && (C.Succeeded || A.Failed)").message
    assert '"Succeded"' in broken("A.Succeded").message
    assert "ends where a task is expected" in broken("A &&").message
    assert "unbalanced" in broken("(A || A.Failed").message
    assert 'unexpected "$"' in broken("A && $").message
    assert "needs task" in broken("A.AnySucceeded").message


def test_depends_and_dependencies_do_not_mix() -> None:
    tmpl = dag(
        {"name": "a", "template": "w"},
        {"name": "b", "template": "w", "depends": "a"},
        {"name": "c", "template": "w", "dependencies": ["a"]},
        {"name": "1d", "template": "w", "depends": "a", "continueOn": {"failed": True}},
    )
    findings = lint(manifest([tmpl, leaf("w")]))
    assert (
        "both depends and dependencies"
        in at(findings, "spec.templates[0].dag.tasks[2].dependencies").message
    )
    assert "continueOn" in at(findings, "spec.templates[0].dag.tasks[3].continueOn").message
    assert '"1d"' in at(findings, "spec.templates[0].dag.tasks[3].name").message


def test_dependency_cycles_are_reported_with_their_path() -> None:
    tmpl = dag(
        {"name": "a", "template": "w", "depends": "c"},
        {"name": "b", "template": "w", "depends": "a"},
        {"name": "c", "template": "w", "depends": "b.Succeeded"},
        {"name": "d", "template": "w", "depends": "d"},
    )
    findings = lint(manifest([tmpl, leaf("w")]))
    assert (
        at(findings, "spec.templates[0].dag.tasks[0]").message
        == "dependency cycle: a -> c -> b -> a"
    )
    assert at(findings, "spec.templates[0].dag.tasks[3]").message == "dependency cycle: d -> d"


def test_dag_target_and_empty_dag() -> None:
    tmpl = {"name": "main", "dag": {"target": "a zz", "tasks": [{"name": "a", "template": "w"}]}}
    assert '"zz"' in at(lint(manifest([tmpl, leaf("w")])), "spec.templates[0].dag.target").message
    assert "at least one task" in at(lint(manifest([dag()])), "spec.templates[0].dag.tasks").message


def test_parse_depends() -> None:
    assert parse_depends("A && (B.Succeeded || C.Failed)") == (
        [("A", ""), ("B", "Succeeded"), ("C", "Failed")],
        "",
    )
    assert parse_depends("!a-1.Skipped || b")[1] == ""
    assert parse_depends("a b")[1] == 'expected "&&", "||" or ")" before a task'


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=4), min_size=1, max_size=30), st.data())
def test_find_cycles_on_random_graphs(edges: list[list[int]], data: st.DataObject) -> None:
    # Edges only to earlier tasks: acyclic. One edge back from an earlier task: a cycle.
    graph = {
        f"t{i}": [f"t{j % i}" for j in targets] if i else [] for i, targets in enumerate(edges)
    }
    assert find_cycles(graph) == []
    if len(graph) < 2:
        return
    low = data.draw(st.integers(0, len(graph) - 2))
    high = data.draw(st.integers(low + 1, len(graph) - 1))
    graph[f"t{high}"].append(f"t{low}")
    graph[f"t{low}"].append(f"t{high}")
    cycles = find_cycles(graph)
    assert cycles
    for cycle in cycles:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


# --------------------------------------------------------------------------- rule 6: variables


def variable_findings(text: str, **extra: Any) -> list[Finding]:
    """Findings for a leaf template with one declared input "x" whose args use ``text``."""
    tmpl = {"name": "main", "inputs": inputs(x="1"), "container": container(args=[text])}
    return lint(manifest([tmpl], **extra))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{{inputs.parameters.y}}", 'input parameter "y" is not declared by template "main"'),
        ("{{inputs.parameters.X}}", 'did you mean "x"?'),
        ("{{inputs.artifacts.src}}", 'input artifact "src"'),
        ("{{workflow.parameters.nope}}", 'workflow parameter "nope"'),
        ("{{workflow.outputs.parameters.result}}", 'globalName "result"'),
        ("{{workflow.labels.team}}", 'no label "team"'),
        ("{{workflow.nmae}}", 'did you mean "workflow.name"?'),
        ("{{workflow.priority}}", "spec.priority"),
        ("{{item.a}}", "withItems, withParam or withSequence"),
        ("{{steps.a.outputs.result}}", "only defined in a steps template"),
        ("{{tasks.a.outputs.result}}", "only defined in a DAG template"),
        ("{{inputs.foo}}", "not a known variable"),
        ("{{= inputs.parameters.y + '!'}}", "inputs.parameters.y in {{= inputs.parameters.y"),
        ("{{=sprig.trim(inputs.parameters['my-y'])}}", 'input parameter "my-y"'),
        ("{{=workflow.parameters.missing}}", 'workflow parameter "missing"'),
    ],
)
def test_unresolved_variables(text: str, needle: str) -> None:
    finding = at(variable_findings(text), "spec.templates[0].container.args[0]")
    assert needle in finding.message
    assert finding.severity == "error"
    assert text.strip("{}= ").split("(")[0].split(" ")[0] in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "{{inputs.parameters.x}} {{ inputs.parameters.x }} {{inputs.parameters}}",
        "{{workflow.name}} {{workflow.namespace}} {{workflow.uid}} {{workflow.serviceAccountName}}",
        "{{workflow.creationTimestamp}} {{workflow.creationTimestamp.Y}}",
        "{{workflow.creationTimestamp.RFC3339}} {{workflow.scheduledTime}}",
        "{{workflow.status}} {{workflow.duration}} {{workflow.mainEntrypoint}}",
        "{{workflow.parameters.p}} {{workflow.parameters}} {{workflow.parameters.json}}",
        "{{workflow.labels.team}} {{workflow.annotations.owner}} {{workflow.labels.json}}",
        "{{pod.name}} {{node.name}} {{retries}} {{lastRetry.exitCode}} {{outputs.parameters.o}}",
        "{{ .Values.image }} {{mything}} {{=sprig.upper(inputs.parameters.x)}}",
        "{{=asInt(inputs.parameters['x']) + 1}}",
    ],
)
def test_valid_variables(text: str) -> None:
    tmpl = {"name": "main", "inputs": inputs(x="1"), "container": container(args=[text])}
    wf = manifest([tmpl], arguments={"parameters": [{"name": "p", "value": "v"}]})
    wf["metadata"].update(labels={"team": "a"}, annotations={"owner": "b"})
    assert lint(wf) == []


def test_undeclared_workflow_parameter_is_a_warning_in_templates() -> None:
    finding = at(
        variable_findings("{{workflow.parameters.tag}}", kind="WorkflowTemplate"),
        "spec.templates[0].container.args[0]",
    )
    assert finding.severity == "warning"
    assert "must pass it" in finding.message


def test_step_outputs_need_an_earlier_group_and_a_declared_output() -> None:
    producer = leaf(
        "producer", outputs={"parameters": [{"name": "digest", "valueFrom": {"path": "/d"}}]}
    )
    consumer = {"name": "consumer", "inputs": inputs("v"), "container": container()}
    suspend = {"name": "wait", "suspend": {}}

    def call(name: str, value: str, template: str = "consumer") -> dict[str, Any]:
        return {"name": name, "template": template, "arguments": params(v=value)}

    tmpl = steps(
        [
            {"name": "p", "template": "producer"},
            call("same-group", "{{steps.p.outputs.parameters.digest}}"),
            {"name": "w", "template": "wait"},
        ],
        [
            call("typo", "{{steps.p.outputs.parameters.digets}}"),
            call("unknown", "{{steps.q.outputs.result}}"),
            call("no-result", "{{steps.w.outputs.result}}"),
            call("fine", "{{steps.p.outputs.result}} {{steps.p.status}} {{steps.w.startedAt}}"),
        ],
    )
    findings = lint(manifest([tmpl, producer, consumer, suspend]))
    value = "arguments.parameters[0].value"
    assert "earlier step groups" in at(findings, f"spec.templates[0].steps[0][1].{value}").message
    typo = at(findings, f"spec.templates[0].steps[1][0].{value}").message
    assert '"digets"' in typo
    assert 'did you mean "digest"?' in typo
    assert (
        'step "q" is not defined' in at(findings, f"spec.templates[0].steps[1][1].{value}").message
    )
    assert "suspend template" in at(findings, f"spec.templates[0].steps[1][2].{value}").message
    assert len(findings) == 4


def test_task_references() -> None:
    consumer = {"name": "consumer", "inputs": inputs("v"), "container": container()}
    tmpl = dag(
        {"name": "a", "template": "w"},
        {"name": "b", "template": "w"},
        {
            "name": "c",
            "template": "consumer",
            "depends": "a",
            "arguments": params(v="x-{{tasks.b.outputs.result}}"),
        },
        {
            "name": "d",
            "template": "consumer",
            "depends": "a",
            "arguments": params(v="{{tasks.b.outputs.result}}"),
        },
        {
            "name": "e",
            "template": "consumer",
            "depends": "a",
            "when": "{{tasks.b.status}} == Succeeded",
            "arguments": params(v="1"),
        },
        {
            "name": "f",
            "template": "consumer",
            "depends": "c",
            "arguments": params(v="{{tasks.a.outputs.result}}"),
        },
    )
    findings = lint(manifest([tmpl, leaf("w"), consumer]))
    value = "arguments.parameters[0].value"
    warning = at(findings, f"spec.templates[0].dag.tasks[2].{value}")
    assert warning.severity == "warning"
    assert 'task "b" is not a dependency' in warning.message
    assert at(findings, f"spec.templates[0].dag.tasks[3].{value}").severity == "error"
    assert 'task "b"' in at(findings, "spec.templates[0].dag.tasks[4].when").message
    assert len(findings) == 3  # f may use a (an indirect dependency)


def test_items() -> None:
    tmpl = steps(
        [
            {
                "name": "maps",
                "template": "consumer",
                "arguments": params(v="{{item.os}}-{{item.arch}}-{{item.ver}}"),
                "withItems": [{"os": "linux", "arch": "amd64"}, {"os": "linux", "arch": "arm64"}],
            },
            {
                "name": "param",
                "template": "consumer",
                "arguments": params(v="{{item.anything}}"),
                "withParam": "[1]",
            },
            {
                "name": "seq",
                "template": "consumer",
                "arguments": params(v="{{item}}"),
                "withSequence": {"count": "3"},
            },
        ]
    )
    consumer = {"name": "consumer", "inputs": inputs("v"), "container": container()}
    findings = lint(manifest([tmpl, consumer]))
    finding = at(findings, "spec.templates[0].steps[0][0].arguments.parameters[0].value")
    assert 'no withItems item has a key "ver"' in finding.message
    assert len(findings) == 1


def test_pod_name_only_in_pod_templates() -> None:
    tmpl = steps([{"name": "a", "template": "w", "when": "{{pod.name}} != x"}])
    finding = at(lint(manifest([tmpl, leaf("w")])), "spec.templates[0].steps[0][0].when")
    assert "{{pod.name}}" in finding.message


# --------------------------------------------------------------------------- rule 7: inputs


def test_required_inputs_must_be_passed() -> None:
    needs = {"name": "needs", "inputs": inputs("msg", "who", level="1"), "container": container()}
    tmpl = dag(
        {"name": "a", "template": "needs", "arguments": params(msg="hi")},
        {"name": "b", "template": "needs", "arguments": params(msg="hi", who="me", levl="2")},
        {
            "name": "c",
            "template": "needs",
            "arguments": {"parameters": [{"name": "msg"}, {"name": "who", "value": "x"}]},
        },
    )
    findings = lint(manifest([tmpl, needs]))
    missing = at(findings, "spec.templates[0].dag.tasks[0].arguments.parameters")
    assert '"who"' in missing.message
    assert 'template "needs"' in missing.message
    unused = at(findings, "spec.templates[0].dag.tasks[1].arguments.parameters[2].name")
    assert unused.severity == "warning"
    assert 'did you mean "level"?' in unused.message
    assert (
        "needs a value"
        in at(findings, "spec.templates[0].dag.tasks[2].arguments.parameters[0]").message
    )
    assert len(findings) == 3


def test_required_inputs_of_a_template_ref_target() -> None:
    call = {
        "name": "p",
        "templateRef": {"name": "printer", "template": "print", "clusterScope": True},
    }
    finding = at(
        lint([cwt_print(), manifest([steps([call])])]),
        "spec.templates[0].steps[0][0].arguments.parameters",
    )
    assert '"message"' in finding.message
    assert 'ClusterWorkflowTemplate "printer"' in finding.message


def test_required_input_artifacts() -> None:
    needs = {
        "name": "needs",
        "inputs": {
            "artifacts": [
                {"name": "src", "path": "/src"},
                {"name": "opt", "path": "/o", "optional": True},
            ]
        },
        "container": container(),
    }
    findings = lint(manifest([steps([{"name": "a", "template": "needs"}]), needs]))
    assert '"src"' in at(findings, "spec.templates[0].steps[0][0].arguments.artifacts").message
    assert len(findings) == 1


def test_entrypoint_inputs_come_from_spec_arguments_in_a_workflow() -> None:
    tmpl = {"name": "main", "inputs": inputs("tag"), "container": container()}
    finding = at(lint(manifest([tmpl])), "spec.arguments.parameters")
    assert '"tag"' in finding.message
    assert (
        lint(manifest([tmpl], arguments={"parameters": [{"name": "tag", "value": "1.0.0"}]})) == []
    )
    # a WorkflowTemplate's arguments are supplied when it is submitted
    assert lint(manifest([tmpl], kind="WorkflowTemplate")) == []


# --------------------------------------------------------------------------- rule 8: volumes


def test_volume_mounts_name_a_volume() -> None:
    mount = [{"name": "wrk", "mountPath": "/w"}]
    tmpl = {
        "name": "main",
        "containerSet": {"containers": [{"name": "main", "image": "a", "volumeMounts": mount}]},
        "initContainers": [
            {"name": "init", "image": "a", "volumeMounts": [{"name": "cache", "mountPath": "/c"}]}
        ],
        "sidecars": [
            {"name": "side", "image": "a", "volumeMounts": [{"name": "tmp", "mountPath": "/t"}]}
        ],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    spec: dict[str, Any] = {
        "volumes": [{"name": "work", "emptyDir": {}}],
        "volumeClaimTemplates": [{"metadata": {"name": "cache"}}],
    }
    findings = lint(manifest([tmpl], **spec))
    finding = at(findings, "spec.templates[0].containerSet.containers[0].volumeMounts[0].name")
    assert '"wrk"' in finding.message
    assert 'did you mean "work"?' in finding.message
    assert finding.severity == "error"
    assert len(findings) == 1


def test_volume_mounts_in_a_library_template_are_a_warning() -> None:
    tmpl = leaf(container=container(volumeMounts=[{"name": "src", "mountPath": "/src"}]))
    finding = at(
        lint(manifest([tmpl], kind="WorkflowTemplate", entrypoint=None)),
        "spec.templates[0].container.volumeMounts[0].name",
    )
    assert finding.severity == "warning"
    assert at(lint(manifest([tmpl], kind="WorkflowTemplate")), finding.path).severity == "error"


# ----------------------------------------------------------------- rules 9, 10: strict decoding


def test_unknown_field_with_suggestion() -> None:
    tmpl = leaf(container={"image": "a", "volumeMount": [{"name": "w", "mountPath": "/w"}]})
    finding = at(lint(manifest([tmpl])), "spec.templates[0].container.volumeMount")
    assert (
        finding.message == 'unknown field "volumeMount" in Container; did you mean "volumeMounts"?'
    )


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        (
            lambda m: m["spec"].update(entrypont="main"),
            "spec.entrypont",
            'did you mean "entrypoint"?',
        ),
        (lambda m: m.update(sepc={}), "sepc", 'did you mean "spec"?'),
        (
            lambda m: m["spec"]["templates"][0]["container"].update(
                securityContext={"runAsNonroot": True}
            ),
            "spec.templates[0].container.securityContext.runAsNonroot",
            'did you mean "runAsNonRoot"?',
        ),
        (
            lambda m: m["spec"].update(synchronization={"mutex": {"name": "m"}}),
            "spec.synchronization.mutex",
            "removed in Argo 4.0; use mutexes",
        ),
        (
            lambda m: m["spec"].update(podGC={"strategy": "OnPodSuccess", "x": 1}),
            "spec.podGC.x",
            'unknown field "x" in PodGC',
        ),
    ],
)
def test_unknown_fields(change: Callable[[Manifest], object], path: str, needle: str) -> None:
    broken = manifest()
    change(broken)
    finding = at(lint(broken), path)
    assert needle in finding.message


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        (
            lambda m: m["spec"]["templates"][0]["container"].update(args="echo hi"),
            "spec.templates[0].container.args",
            'expected a list, got "echo hi"',
        ),
        (
            lambda m: m["spec"]["templates"][0].update(container="alpine"),
            "spec.templates[0].container",
            'expected a mapping, got "alpine"',
        ),
        (
            lambda m: m["spec"].update(parallelism="2"),
            "spec.parallelism",
            'expected an integer, got "2"',
        ),
        (
            lambda m: m["spec"].update(suspend="yes"),
            "spec.suspend",
            'expected a boolean, got "yes"',
        ),
        (
            lambda m: m["spec"].update(templates={"main": {}}),
            "spec.templates",
            "expected a list, got a mapping",
        ),
        (
            lambda m: m["metadata"].update(labels=["a"]),
            "metadata.labels",
            "expected a mapping, got a list",
        ),
        (
            lambda m: m["spec"]["templates"][0]["container"].update(volumeMounts=[{"name": "w"}]),
            "spec.templates[0].container.volumeMounts[0].mountPath",
            'missing required field "mountPath" in VolumeMount',
        ),
    ],
)
def test_type_errors(change: Callable[[Manifest], object], path: str, needle: str) -> None:
    broken = manifest(volumes=[{"name": "w", "emptyDir": {}}])
    change(broken)
    finding = at(lint(broken), path)
    assert needle in finding.message


def test_free_form_maps_and_v4_fields_pass() -> None:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}}
    tmpl = leaf(
        container=container(
            resources={"limits": {"cpu": 2, "memory": "1Gi", "example.com/gpu": 1}},
            livenessProbe=probe,
            restartPolicyRules=[
                {"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}
            ],
        ),
        nodeSelector={"kubernetes.io/arch": "amd64"},
        metadata={"labels": {"app.kubernetes.io/name": "x"}, "annotations": {"a/b": "c"}},
        pendingTimeout="5m",
        podResources={"limits": {"cpu": "4"}},
        plugin=None,
    )
    plugin = {"name": "plug", "plugin": {"hello": {"any": ["thing"]}}}
    wf = manifest([tmpl, plugin], podResources={"requests": {"cpu": "1"}}, executorPlugins=[])
    wf["metadata"]["labels"] = {"workflows.argoproj.io/archive-strategy": "false"}
    assert lint(wf) == []


# --------------------------------------------------------------------------- valid Argo features


def test_valid_features_are_not_flagged() -> None:
    features = manifest(
        [
            steps(
                [{"name": "gen", "template": "gen-list"}],
                [
                    {
                        "name": "each",
                        "template": "echo",
                        "arguments": params(msg="{{item}}"),
                        "withItems": ["a", "b"],
                    },
                    {
                        "name": "each-param",
                        "template": "echo",
                        "arguments": params(msg="{{item.name}}"),
                        "withParam": "{{steps.gen.outputs.result}}",
                    },
                ],
                [{"name": "graph", "template": "graph"}],
                [
                    {
                        "name": "report",
                        "template": "echo",
                        "arguments": params(
                            msg="{{steps.graph.outputs.parameters.digest}} "
                            "{{workflow.outputs.parameters.image-digest}}"
                        ),
                    },
                    {
                        "name": "print",
                        "templateRef": {
                            "name": "printer",
                            "template": "print",
                            "clusterScope": True,
                        },
                        "arguments": params(message="{{=sprig.trim(workflow.parameters.who)}}"),
                    },
                ],
            ),
            {
                "name": "gen-list",
                "script": {
                    "image": "python:3.12",
                    "command": ["python"],
                    "source": "import json; print(json.dumps([{'name': 'x'}]))",
                },
            },
            {
                "name": "echo",
                "inputs": inputs("msg"),
                "retryStrategy": {
                    "limit": 3,
                    "retryPolicy": "OnError",
                    "backoff": {"duration": "5s", "factor": 2},
                },
                "activeDeadlineSeconds": 600,
                "script": {
                    "image": "alpine",
                    "command": ["sh"],
                    "source": 'echo "{{inputs.parameters.msg}} on {{pod.name}} try {{retries}}"',
                },
            },
            dag(
                {"name": "build", "template": "build"},
                {"name": "test", "template": "build", "depends": "build"},
                {"name": "fix", "template": "build", "depends": "test.Failed || test.Errored"},
                {
                    "name": "publish",
                    "template": "publish",
                    "depends": "build && (test.Succeeded || fix.Succeeded)",
                    "arguments": params(digest="{{tasks.build.outputs.parameters.digest}}"),
                },
                name="graph",
                outputs={
                    "parameters": [
                        {
                            "name": "digest",
                            "valueFrom": {"parameter": "{{tasks.build.outputs.parameters.digest}}"},
                        }
                    ]
                },
            ),
            {
                "name": "build",
                "synchronization": {"mutexes": [{"name": "build-{{workflow.name}}"}]},
                "volumes": [{"name": "workspace", "emptyDir": {}}],
                "containerSet": {
                    # A workflow-level claim reaches a containerSet pod only through here.
                    "volumeMounts": [
                        {"name": "workspace", "mountPath": "/workspace"},
                        {"name": "cache", "mountPath": "/cache"},
                    ],
                    "containers": [
                        {"name": "prepare", "image": "alpine", "command": ["sh", "-c", "true"]},
                        {"name": "main", "image": "alpine", "dependencies": ["prepare"]},
                    ],
                },
                "outputs": {
                    "parameters": [
                        {
                            "name": "digest",
                            "globalName": "image-digest",
                            "valueFrom": {"path": "/workspace/digest"},
                        }
                    ]
                },
            },
            {
                "name": "publish",
                "inputs": inputs("digest"),
                "container": container(args=["echo {{inputs.parameters.digest}}"]),
            },
        ],
        kind="WorkflowTemplate",
        arguments={"parameters": [{"name": "who", "value": "world"}]},
        volumeClaimTemplates=[
            {
                "metadata": {"name": "cache"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ],
        podGC={"strategy": "OnPodSuccess"},
        ttlStrategy={"secondsAfterCompletion": 3600},
        activeDeadlineSeconds=7200,
        synchronization={"mutexes": [{"name": "pipeline"}]},
        serviceAccountName="builder",
    )
    assert lint([features, cwt_print()]) == []


REALISTIC = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: buildpacks-my-python-app
  namespace: argo
  labels:
    app.kubernetes.io/name: my-python-app
    app.kubernetes.io/managed-by: argo-buildpacks
spec:
  entrypoint: main
  serviceAccountName: argo-buildpacks
  arguments:
    parameters:
      - name: tag
        description: the SemVer version to build
      - name: revision
        value: main
  workflowMetadata:
    labels:
      argo-buildpacks/app: my-python-app
  podGC:
    strategy: OnPodCompletion
  ttlStrategy:
    secondsAfterCompletion: 86400
  activeDeadlineSeconds: 3600
  synchronization:
    mutexes:
      - name: buildpacks-my-python-app
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    fsGroup: 1000
  onExit: report
  templates:
    - name: main
      steps:
        - - name: check-tag
            template: tag-check
            arguments:
              parameters:
                - name: tag
                  value: "{{workflow.parameters.tag}}"
        - - name: build
            template: build
            arguments:
              parameters:
                - name: oci-tag
                  value: "{{steps.check-tag.outputs.parameters.oci-tag}}"
                - name: revision
                  value: "{{workflow.parameters.revision}}"
    - name: tag-check
      inputs:
        parameters:
          - name: tag
      outputs:
        parameters:
          - name: oci-tag
            valueFrom:
              path: /tmp/oci-tag
      script:
        image: busybox:1.36
        command: [sh]
        source: |
          set -eu
          tag="{{inputs.parameters.tag}}"
          printf '%s' "${tag#v}" > /tmp/oci-tag
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {memory: 32Mi}
    - name: build
      inputs:
        parameters:
          - name: oci-tag
          - name: revision
      retryStrategy:
        limit: 2
        retryPolicy: OnError
      metadata:
        labels:
          argo-buildpacks/step: build
      volumes:
        - name: workspace
          emptyDir: {}
        - name: layers
          emptyDir: {}
        - name: docker-config
          secret:
            secretName: regcred
            items:
              - key: .dockerconfigjson
                path: config.json
      containerSet:
        volumeMounts:
          - name: workspace
            mountPath: /workspace
        containers:
          - name: clone
            image: alpine/git:2.45.2
            command: [git, clone, --branch, "{{inputs.parameters.revision}}"]
            args: [https://github.com/acme/app.git, /workspace/src]
          - name: main
            image: paketobuildpacks/builder-jammy-base:latest
            dependencies: [clone]
            command: [/cnb/lifecycle/creator]
            args:
              - -app=/workspace/src
              - -layers=/layers
              - registry.example.com/acme/app:{{inputs.parameters.oci-tag}}
            env:
              - name: CNB_PLATFORM_API
                value: "0.12"
              - name: POD_NAME
                value: "{{pod.name}}"
            volumeMounts:
              - name: layers
                mountPath: /layers
              - name: docker-config
                mountPath: /home/cnb/.docker
                readOnly: true
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [ALL]
            resources:
              requests: {cpu: "1", memory: 2Gi}
              limits: {memory: 4Gi}
      outputs:
        parameters:
          - name: image
            globalName: image
            valueFrom:
              path: /workspace/image
    - name: report
      container:
        image: busybox:1.36
        command: [sh, -c]
        args:
          - >-
            echo "{{workflow.name}} {{workflow.status}} {{workflow.outputs.parameters.image}}
            {{workflow.labels.app.kubernetes.io/name}}"
"""


def test_a_realistic_workflow_template_lints_clean() -> None:
    assert lint(REALISTIC) == []
    submitted = {
        "apiVersion": API,
        "kind": "Workflow",
        "metadata": {"generateName": "buildpacks-my-python-app-"},
        "spec": {
            "workflowTemplateRef": {"name": "buildpacks-my-python-app"},
            "arguments": {"parameters": [{"name": "tag", "value": "1.4.2"}]},
        },
    }
    assert lint([yaml.safe_load(REALISTIC), submitted]) == []


def test_the_realistic_template_with_a_few_mistakes() -> None:
    broken = (
        REALISTIC.replace("template: tag-check", "template: tag-chek")
        .replace("{{inputs.parameters.revision}}", "{{inputs.parameters.revison}}")
        .replace(
            "name: docker-config\n                mountPath",
            "name: docker-cfg\n                mountPath",
        )
        .replace("readOnly: true", "readonly: true")
    )
    findings = lint(broken)
    assert [(f.path, f.severity) for f in findings] == [
        ("spec.templates[0].steps[0][0].template", "error"),
        ("spec.templates[2].containerSet.containers[0].command[3]", "error"),
        ("spec.templates[2].containerSet.containers[1].volumeMounts[1].name", "error"),
        ("spec.templates[2].containerSet.containers[1].volumeMounts[1].readonly", "error"),
    ]
    messages = " | ".join(f.message for f in findings)
    for needle in ('"tag-chek"', '"revison"', '"docker-cfg"', '"readonly"', '"readOnly"'):
        assert needle in messages


def test_inline_templates() -> None:
    inline = {
        "inputs": inputs("p"),
        "container": container(
            args=["{{inputs.parameters.p}} {{pod.name}} {{inputs.parameters.q}}"]
        ),
    }
    tmpl = dag({"name": "a", "inline": inline, "arguments": params(p="1")})
    findings = lint(manifest([tmpl]))
    finding = at(findings, "spec.templates[0].dag.tasks[0].inline.container.args[0]")
    assert '"q"' in finding.message
    assert '"a (inline)"' in finding.message
    assert len(findings) == 1
    missing = dag({"name": "a", "inline": inline})
    assert (
        '"p"'
        in at(
            lint(manifest([missing])), "spec.templates[0].dag.tasks[0].arguments.parameters"
        ).message
    )


def test_a_namespace_over_63_characters_is_not_a_dns_label() -> None:
    # The same rule as the config's namespace (argo_buildpacks._kits.names), length included.
    long = manifest()
    long["metadata"]["namespace"] = "a" * 64
    assert "is not a DNS-1123 label" in at(lint(long), "metadata.namespace").message
    fits = manifest()
    fits["metadata"]["namespace"] = "a" * 63
    assert lint(fits) == []
