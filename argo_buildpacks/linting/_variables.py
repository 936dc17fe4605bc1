"""``{{...}}`` references: which variables exist where, and why a reference does not resolve.

Follows ``resolveAllVariables`` and the scopes of Argo's ``workflow/validate/validate.go``
(v4) and the variable catalogue of ``util/variables/keys`` and ``docs/variables.md``:

- only tags under ``item.``, ``steps.``, ``inputs.``, ``outputs.``, ``pod.``, ``workflow.``
  and ``tasks.`` are checked (``common.GlobalVarValidWorkflowVariablePrefix``), plus a bare
  ``{{item}}`` outside a loop: a warning, since Argo accepts it and leaves it as text;
- ``{{=expression}}`` tags are not evaluated (Argo skips them); only the
  ``inputs.parameters.x`` and ``workflow.parameters.x`` they name are looked up;
- a step may use the outputs of steps in earlier step groups; a DAG task those of any task
  of its DAG (as Argo allows), with a warning unless that task is one of its dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from argo_buildpacks.linting._base import (
    LEAVES,
    POD_TYPES,
    RESULT_TYPES,
    TEMPLATE_KINDS,
    Issue,
    Library,
    Node,
    Where,
    did_you_mean,
    entries,
    find_key,
    listing,
    mapping,
    names_of,
    spell,
    template_type,
    templates_by_name,
    text,
    workflow_spec,
)

_CHECKED_ROOTS = ("item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks.")
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_INNER = re.compile(r"\{\{([^{}]*)\}\}")
_NESTED = re.compile(r"\{\{[^}]*\{\{")
_EXPRESSION_PARAM = re.compile(
    r"(?<![\w.])(inputs|workflow)\.parameters(?:\.(\w+)|\[\s*(['\"])([^'\"]*)\3\s*\])"
)
_ALWAYS_GLOBALS = frozenset(
    {
        "workflow.name", "workflow.namespace", "workflow.uid", "workflow.mainEntrypoint",
        "workflow.serviceAccountName", "workflow.status",
        "workflow.annotations", "workflow.annotations.json", "workflow.labels",
        "workflow.labels.json",
    }
)  # fmt: skip
# resolveAllVariables accepts these by prefix: time formats, runtime values, and "outputs."
# (a template referring to its own outputs, for metrics).
_GLOBAL_PREFIXES = (
    "outputs.",
    "workflow.creationTimestamp",
    "workflow.scheduledTime",
    "workflow.duration",
)
# resolveAllVariables accepts these prefixes in any template (a leaf may name its caller).
_ANYWHERE = ("steps.name", "tasks.name", "node.name")
_NODE_FIELDS = frozenset({"id", "ip", "startedAt", "finishedAt", "hostNodeName"})
_EARLIER_GROUPS = "does not run before this point: only steps of earlier step groups can be used"


@dataclass(frozen=True)
class Scope:
    """The variables a string may reference where it stands.

    Attributes:
        template: the name of the template it is in, for messages.
        names: variables that exist, in full (``inputs.parameters.x``).
        prefixes: variables that exist under these prefixes.
        wf_param_severity: severity of an undeclared ``workflow.parameters.x`` ("warning" in a
            (Cluster)WorkflowTemplate: the Workflow that uses it may declare more).
        node_kind: ``"steps"`` or ``"tasks"`` inside a steps or DAG template.
        nodes: the template's steps or tasks by name.
        ready: nodes whose outputs can be used here.
        pending: nodes whose outputs may be used but may not exist yet (a warning).
        status: nodes whose ``.status`` can be used here.
        items: the ``item.<key>`` keys of the enclosing loop (``*``: any); ``None``: no loop.
    """

    template: str
    names: frozenset[str]
    prefixes: tuple[str, ...]
    wf_param_severity: str = "error"
    node_kind: str = ""
    nodes: Mapping[str, Node] = field(default_factory=dict)
    ready: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()
    status: frozenset[str] = frozenset()
    items: frozenset[str] | None = None
    caller_provides: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- scopes


def document_scope(
    doc: Mapping[str, Any], library: Library, provided: frozenset[str] = frozenset()
) -> Scope:
    """The global variables of a manifest (``workflow.*``); ``provided`` names what its
    callers declare they provide (see `argo_buildpacks.linting._base.CALLER_PROVIDES`)."""
    kind = text(doc.get("kind"))
    spec = workflow_spec(doc)[1]
    names = set(_ALWAYS_GLOBALS)
    prefixes = list(_GLOBAL_PREFIXES)
    params = [p for p in names_of(mapping(spec.get("arguments")).get("parameters")) if p]
    params += sorted(provided)
    if params:
        names |= {"workflow.parameters", "workflow.parameters.json"}
    names |= {f"workflow.parameters.{p}" for p in params}
    if spec.get("priority") is not None:
        names.add("workflow.priority")
    metas = [mapping(doc.get("metadata")), mapping(spec.get("workflowMetadata"))]
    if kind == "CronWorkflow":
        metas.append(mapping(mapping(doc.get("spec")).get("workflowMetadata")))
    for meta in metas:
        for source in ("labels", "labelsFrom", "annotations"):
            section = "annotations" if source == "annotations" else "labels"
            names |= {f"workflow.{section}.{k}" for k in mapping(meta.get(source))}
    templates, complete = _reachable_templates(spec, library)
    for tmpl in templates:
        for what in ("parameters", "artifacts"):
            for output in entries(mapping(tmpl.get("outputs")).get(what)):
                global_name = text(mapping(output).get("globalName"))
                if "{{" in global_name:
                    prefixes.append(f"workflow.outputs.{what}.")
                elif global_name:
                    names.add(f"workflow.outputs.{what}.{global_name}")
    if not complete:
        prefixes.append("workflow.outputs.")
    return Scope(
        template="",
        names=frozenset(names),
        prefixes=tuple(prefixes),
        wf_param_severity="warning" if kind in TEMPLATE_KINDS else "error",
        caller_provides=provided,
    )


def _reachable_templates(
    spec: Mapping[str, Any], library: Library
) -> tuple[list[Mapping[str, Any]], bool]:
    """A spec's templates and those of the manifests it references; and if all were found."""
    found = list(templates_by_name(spec).values())
    complete = True
    refs = list(find_key(spec.get("templates"), "templateRef"))
    if spec.get("workflowTemplateRef") is not None:
        refs.append(spec["workflowTemplateRef"])
    for ref in map(mapping, refs):
        owner = library.find(text(ref.get("name")), cluster_scope=ref.get("clusterScope") is True)
        if owner is None:
            complete = False
        else:
            found.extend(templates_by_name(workflow_spec(owner)[1]).values())
    return found, complete


def template_scope(tmpl: Mapping[str, Any], document: Scope) -> Scope:
    """The variables of a template: its inputs plus the globals of its ``document``."""
    names = set(document.names)
    ttype = template_type(tmpl)
    inputs = mapping(tmpl.get("inputs"))
    params = [p for p in names_of(inputs.get("parameters")) if p]
    names |= {f"inputs.parameters.{p}" for p in params}
    if params:
        names.add("inputs.parameters")
    for artifact in names_of(inputs.get("artifacts")):
        names.add(f"inputs.artifacts.{artifact}")
        if ttype not in ("steps", "dag"):
            names.add(f"inputs.artifacts.{artifact}.path")
    if ttype in POD_TYPES:
        names.add("pod.name")
    if ttype in ("steps", "dag"):
        names.add("steps.name" if ttype == "steps" else "tasks.name")
    return replace(document, template=text(tmpl.get("name")), names=frozenset(names))


def all_nodes_scope(base: Scope, kind: str, nodes: Mapping[str, Node]) -> Scope:
    """A template's scope outside its steps or tasks, where all of them have run."""
    every = frozenset(nodes)
    return replace(base, node_kind=kind, nodes=nodes, ready=every, status=every)


def item_keys(holder: Mapping[str, Any]) -> frozenset[str] | None:
    """The ``item.<key>`` keys a loop defines (``*``: any), or ``None`` outside a loop."""
    if holder.get("withParam") is not None or holder.get("withSequence") is not None:
        return frozenset({"*"})
    with_items = holder.get("withItems")
    if not isinstance(with_items, list):
        return None
    keys: set[str] = set()
    for item in with_items:
        if isinstance(item, Mapping):
            keys |= {str(k) for k in item}
        elif isinstance(item, list):
            keys |= {f"[{i}]" for i in range(len(item))}
    return frozenset(keys)


# --------------------------------------------------------------------------- checking


def check_variables(value: Any, path: str, scope: Scope) -> Iterator[Issue]:
    """Every ``{{...}}`` reference in ``value`` (at any depth) must resolve in ``scope``."""
    for where, string in _strings(value, path):
        seen: set[str] = set()
        for tag in _tags(string):
            if tag.startswith("="):
                shown = "{{" + tag + "}}"
                refs = [(ref, f"{ref} in {shown}") for ref in expression_references(tag[1:])]
            else:
                refs = [(tag, "{{" + tag + "}}")]
            for ref, shown in refs:
                problem = None if ref in seen else check_reference(ref, scope)
                seen.add(ref)
                if problem is not None:
                    yield Issue(where, f"{shown}: {problem[0]}", problem[1])


def _tags(string: str) -> Iterator[str]:
    """The tags of ``string``; nested ones (``{{steps.a-{{inputs.parameters.x}}.id}}``)
    inside out, each inner one standing for a value ("x") once checked, as Argo substitutes
    inner values before it resolves the outer tag."""
    if not _NESTED.search(string):
        yield from (m.group(1).strip() for m in _TAG.finditer(string))
        return
    for _ in range(10):  # nesting deeper than this is not worth following
        inner = list(_INNER.finditer(string))
        if not inner:
            return
        yield from (m.group(1).strip() for m in inner)
        string = _INNER.sub("x", string)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    found: list[tuple[Where, str]] = []
    _collect_strings(value, path, found)
    return ((spell(where), string) for where, string in found)


def _collect_strings(value: Any, where: Where, found: list[tuple[Where, str]]) -> None:
    """The strings with a tag, each with its path unspelled (most strings have none)."""
    if isinstance(value, str):
        if "{{" in value:
            found.append((where, value))
    elif isinstance(value, Mapping):
        for key, child in value.items():
            if type(child) not in LEAVES or (type(child) is str and "{{" in child):
                _collect_strings(child, (where, key, False), found)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            if type(child) not in LEAVES or (type(child) is str and "{{" in child):
                _collect_strings(child, (where, i, True), found)


def expression_references(expression: str) -> list[str]:
    """The ``inputs.parameters.x`` and ``workflow.parameters.x`` an expression names."""
    return [
        f"{m.group(1)}.parameters.{m.group(2) or m.group(4)}"
        for m in _EXPRESSION_PARAM.finditer(expression)
    ]


def check_reference(tag: str, scope: Scope) -> tuple[str, str] | None:
    """Why a simple tag does not resolve in ``scope``, and how bad; ``None`` if it does."""
    if tag in scope.names or tag.startswith(scope.prefixes):
        return None
    if tag == "item" or tag.startswith("item."):
        return _check_item(tag, scope)
    if not tag.startswith(_CHECKED_ROOTS) or tag.startswith(_ANYWHERE):
        return None
    root, _, rest = tag.partition(".")
    if root in ("steps", "tasks"):
        return _check_node(root, rest, scope)
    if root == "inputs":
        return _check_input(rest, scope), "error"
    if root == "workflow":
        return _check_workflow(rest, scope)
    if tag == "pod.name":
        return f"it is only defined in {', '.join(sorted(POD_TYPES))} templates", "error"
    return "it is not a known variable", "error"


def _check_item(tag: str, scope: Scope) -> tuple[str, str] | None:
    keys = scope.items
    if keys is None and tag == "item":
        # Argo checks only tags under "item." (common.GlobalVarValidWorkflowVariablePrefix,
        # validate.go resolveAllVariables): a bare {{item}} passes and stays as text.
        message = (
            "it is only defined in a step or task with withItems, withParam or withSequence; "
            "Argo does not check a bare {{item}} and leaves it as the text {{item}}"
        )
        return message, "warning"
    if keys is None:
        message = "it is only defined in a step or task with withItems, withParam or withSequence"
        return message, "error"
    key = tag[len("item.") :]
    if tag == "item" or "*" in keys or key in keys:
        return None
    message = f'no withItems item has a key "{key}" (keys: {listing(keys)})'
    return message + did_you_mean(key, keys), "error"


def _declared(scope: Scope, prefix: str) -> list[str]:
    return [n[len(prefix) :] for n in scope.names if n.startswith(prefix)]


def _check_input(rest: str, scope: Scope) -> str:
    what, _, name = rest.partition(".")
    if what not in ("parameters", "artifacts") or not name:
        return "it is not a known variable: use inputs.parameters.<name> or inputs.artifacts.<name>"
    artifact, _, suffix = name.partition(".")
    if what == "artifacts" and suffix == "path" and f"inputs.artifacts.{artifact}" in scope.names:
        return "an input artifact's path is only defined in templates that run a container"
    declared = [n for n in _declared(scope, f"inputs.{what}.") if "." not in n]
    return (
        f'input {what[:-1]} "{name}" is not declared by template "{scope.template}" '
        f"(inputs: {listing(declared)}){did_you_mean(name, declared)}"
    )


def _check_workflow(rest: str, scope: Scope) -> tuple[str, str]:
    section, _, name = rest.partition(".")
    if section == "parameters" and name:
        declared = _declared(scope, "workflow.parameters.")
        message = (
            f'workflow parameter "{name}" is not declared in spec.arguments.parameters '
            f"(declared: {listing(declared)}){did_you_mean(name, declared)}"
        )
        if scope.wf_param_severity == "warning":
            message += (
                "; every Workflow that uses this template must pass it (declare that in the "
                'annotation "lint.argo-buildpacks.io/caller-provides")'
            )
        return message, scope.wf_param_severity
    if section == "outputs" and name:
        kind, _, global_name = name.partition(".")
        return f'no template output {kind} has globalName "{global_name}"', "error"
    if section in ("labels", "annotations") and name:
        where = f"metadata.{section} or spec.workflowMetadata.{section}"
        return f'the workflow has no {section[:-1]} "{name}" (set it in {where})', "error"
    if section == "failures":
        return "it is only defined in the workflow's onExit handler (spec.onExit)", "error"
    if section == "priority":
        return "it is only defined when spec.priority is set", "error"
    known = [n for n in scope.names if n.startswith("workflow.") and n.count(".") == 1]
    return f"it is not a known variable{did_you_mean('workflow.' + rest, known)}", "error"


def _check_node(root: str, rest: str, scope: Scope) -> tuple[str, str] | None:
    noun = root[:-1]
    if root != scope.node_kind:
        where = "a steps template" if root == "steps" else "a DAG template"
        return f"{root}.* variables are only defined in {where}", "error"
    name, _, attr = rest.partition(".")
    if name not in scope.nodes:
        unknown = f'{noun} "{name}" is not defined in template "{scope.template}"'
        return unknown + did_you_mean(name, scope.nodes), "error"
    not_dependency = f'task "{name}" is not a dependency (direct or indirect) of this task'
    if attr == "status" and name not in scope.status:
        return (f'step "{name}" {_EARLIER_GROUPS}' if root == "steps" else not_dependency), "error"
    if attr == "status":
        return None
    if name not in scope.ready and name not in scope.pending:
        return f'step "{name}" {_EARLIER_GROUPS}', "error"
    problem = _output_problem(attr, scope.nodes[name])
    if problem:
        return f'{noun} "{name}" {problem}', "error"
    if name not in scope.ready:
        return f"{not_dependency}, so its outputs may not exist when this task runs", "warning"
    return None


def _output_problem(attr: str, node: Node) -> str:
    target = node.target
    if attr in _NODE_FIELDS or target is None or target.template is None:
        return ""
    tmpl = target.template
    ttype = template_type(tmpl) or "untyped"
    if attr in ("outputs.result", "exitCode"):
        if ttype in RESULT_TYPES:
            return ""
        return f"calls {target.label}, a {ttype} template, which has no {attr}"
    if attr == "outputs.parameters":
        return "" if node.looped else "has no outputs.parameters list: it does not loop"
    parts = attr.split(".", 2)
    if len(parts) == 3 and parts[0] == "outputs" and parts[1] in ("parameters", "artifacts"):
        declared = names_of(mapping(tmpl.get("outputs")).get(parts[1]))
        if parts[2] in declared:
            return ""
        return (
            f'calls {target.label}, which declares no output {parts[1][:-1]} "{parts[2]}" '
            f"(outputs: {listing(declared)}){did_you_mean(parts[2], declared)}"
        )
    return f'has no "{attr}"'
