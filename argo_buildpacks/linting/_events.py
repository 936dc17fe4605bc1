"""Lint for Argo Events ``EventSource`` and ``Sensor`` manifests, and the RBAC objects a
rendered release stream carries (``ServiceAccount``, its token ``Secret``, ``Role``,
``RoleBinding``).

- Strict decoding against Argo Events v1.9.11's JSON Schema (``argo_events_schema.json``,
  the definitions reachable from EventSource and Sensor), unknown fields refused.
- EventSource: what the v1.9.11 sources check when they start (GitHub needs repositories or
  organizations, not both, and ``events`` only when it creates the hook itself; a webhook
  needs an endpoint and a numeric port, GitLab an access token and a base URL), and a
  warning where a GitLab webhook token would not be checked.
- Sensor: dependency names, trigger conditions and parameter sources agree; an
  ``argoWorkflow`` trigger's Workflow is linted like any Workflow, refers to a template in
  the linted set and supplies its required parameters; a parameter's ``dest`` exists.
- Sensor rules of Argo Events' reconciler and filters (trigger names, the EventBus, data and
  expr filters): `argo_buildpacks.linting._sensors`.
- RBAC kinds: identity only (they are Kubernetes' to check); whether a workflow's executor
  account has its token Secret among them: `argo_buildpacks.linting._accounts`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from argo_buildpacks._kits.names import is_dns_subdomain
from argo_buildpacks.linting._base import (
    Issue,
    Library,
    describe,
    did_you_mean,
    entries,
    key_path,
    listing,
    mapping,
    text,
)
from argo_buildpacks.linting._rules import check_workflow
from argo_buildpacks.linting._schema import check_strict
from argo_buildpacks.linting._sensors import check_sensor_rules

__all__ = ["KINDS", "check"]

EVENTS_KINDS = ("EventSource", "Sensor")
RBAC_KINDS = {
    "ServiceAccount": "v1",
    # An executor account's kubernetes.io/service-account-token (templates/rbac.py).
    "Secret": "v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
}
#: The kinds this module lints (linting.py hands them over).
KINDS = (*EVENTS_KINDS, *RBAC_KINDS)
_PREFIX = "io.argoproj.events.v1alpha1."
_OPERATIONS = (
    "submit",
    "submit-from",
    "resubmit",
    "retry",
    "resume",
    "suspend",
    "terminate",
    "stop",
)
_DEST = re.compile(r"spec\.arguments\.parameters\.(\d+)\.(value|name)\Z")


@functools.cache
def _definitions() -> dict[str, Any]:
    data = resources.files(__package__).joinpath("argo_events_schema.json").read_text("utf-8")
    definitions: dict[str, Any] = json.loads(data)["definitions"]
    return definitions


def check(doc: Mapping[str, Any], library: Library) -> list[Issue]:
    """Every issue of one EventSource, Sensor or RBAC manifest.

    Args:
        doc: the manifest.
        library: the (Cluster)WorkflowTemplates linted together, for a Sensor's workflows.
    """
    kind = str(doc.get("kind"))
    issues = list(_identity(doc, kind))
    if kind in RBAC_KINDS:
        return issues
    issues.extend(_strict(doc, _PREFIX + kind, ""))
    spec = mapping(doc.get("spec"))
    if kind == "EventSource":
        issues.extend(_event_source(spec))
    else:
        namespace = text(mapping(doc.get("metadata")).get("namespace"))
        issues.extend(_sensor(spec, library, namespace))
        issues.extend(check_sensor_rules(doc, library))
    return issues


def _identity(doc: Mapping[str, Any], kind: str) -> Iterator[Issue]:
    expected = RBAC_KINDS.get(kind, "argoproj.io/v1alpha1")
    if doc.get("apiVersion") != expected:
        yield Issue(
            "apiVersion",
            f"apiVersion {describe(doc.get('apiVersion'))} is not supported for {kind}; "
            f'expected "{expected}"',
        )
    name = text(mapping(doc.get("metadata")).get("name"))
    if not name:
        yield Issue("metadata.name", "metadata.name is required")
    elif not is_dns_subdomain(name):
        yield Issue("metadata.name", f'name "{name}" is not a DNS-1123 subdomain')


# --------------------------------------------------------------------------- schema


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    return [t] if isinstance(t, str) else list(t or [])


def _matches(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _strict(value: Any, definition: str, path: str) -> Iterator[Issue]:
    yield from _walk(value, {"$ref": "#/definitions/" + definition}, path)


# Fields the schema lists as required (Go's ``json:"x"`` without omitempty) that Argo Events
# does without: a GitHub source needs ``events`` only when it creates the hook itself
# (pkg/eventsources/sources/github/validate.go, v1.9.11 line 39: NeedToCreateHooks).
_OPTIONAL = {_PREFIX + "GithubEventSource": frozenset({"events"})}


def _walk(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[Issue]:
    ref = schema.get("$ref")
    optional: frozenset[str] = frozenset()
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        schema = _definitions()[name]
        optional = _OPTIONAL.get(name, optional)
    types = _types(schema)
    if types and not any(_matches(value, t) for t in types):
        yield Issue(path, f"{describe(value)} is not {' or '.join(types)}")
        return
    if "const" in schema and value != schema["const"]:
        yield Issue(path, f"{describe(value)} must be {describe(schema['const'])}")
    if isinstance(value, Mapping):
        props = mapping(schema.get("properties"))
        extra = schema.get("additionalProperties")
        for key in schema.get("required", []):
            if key not in value and key not in optional:
                yield Issue(key_path(path, key), f'"{key}" is required')
        for key, item in value.items():
            where = key_path(path, key)
            if key in props:
                yield from _walk(item, props[key], where)
            elif isinstance(extra, Mapping):
                yield from _walk(item, extra, where)
            elif props:  # a struct: unknown fields are errors (strict decoding)
                yield Issue(where, f'unknown field "{key}"{did_you_mean(str(key), props)}')
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            yield from _walk(item, schema["items"], f"{path}[{i}]")


# --------------------------------------------------------------------------- EventSource


def _webhook(context: Any, path: str) -> Iterator[Issue]:
    ctx = mapping(context)
    if not ctx:
        yield Issue(path, "webhook is required")
        return
    if not text(ctx.get("endpoint")):
        yield Issue(key_path(path, "endpoint"), "endpoint can't be empty")
    port = ctx.get("port")
    if not (isinstance(port, str) and port.isdigit()):
        yield Issue(key_path(path, "port"), f"port {describe(port)} is not a number in a string")


def _event_source(spec: Mapping[str, Any]) -> Iterator[Issue]:
    for name, source in mapping(spec.get("github")).items():
        where = key_path("spec.github", name)
        src = mapping(source)
        # pkg/eventsources/sources/github/validate.go (v1.9.11), in its order.
        if not src.get("repositories") and not src.get("organizations"):
            yield Issue(where, "either repositories or organizations is required")
        elif src.get("repositories") and src.get("organizations") is not None:
            yield Issue(where, "only one of repositories and organizations is allowed")
        manages_hook = src.get("apiToken") is not None or (
            mapping(src.get("githubApp")).get("privateKey") is not None
        )
        if manages_hook and text(mapping(src.get("webhook")).get("url")) and not src.get("events"):
            yield Issue(
                key_path(where, "events"),
                "events must be defined to create a github webhook: with apiToken (or a "
                "githubApp) and webhook.url Argo Events creates the hook, for these events",
            )
        content_type = src.get("contentType")
        if content_type not in (None, "", "json", "form"):
            yield Issue(
                key_path(where, "contentType"),
                f'content type {describe(content_type)} is not allowed; allowed: "json", "form"',
            )
        yield from _webhook(src.get("webhook"), key_path(where, "webhook"))
        if src.get("webhookSecret") is None:
            yield Issue(
                key_path(where, "webhookSecret"),
                "no webhookSecret: anyone who can reach the endpoint can send events",
                "warning",
            )
    for name, source in mapping(spec.get("gitlab")).items():
        where = key_path("spec.gitlab", name)
        src = mapping(source)
        for key in ("accessToken", "gitlabBaseURL"):
            if not src.get(key):
                yield Issue(key_path(where, key), f"{key} is required by Argo Events")
        yield from _webhook(src.get("webhook"), key_path(where, "webhook"))
        hook_url = text(mapping(src.get("webhook")).get("url"))
        if not src.get("secretToken") or not (src.get("accessToken") and hook_url):
            yield Issue(
                key_path(where, "secretToken"),
                "the X-Gitlab-Token is not checked: Argo Events v1.9 checks it only for hooks "
                "it registers (secretToken, accessToken and webhook.url all set)",
                "warning",
            )
    for name, source in mapping(spec.get("webhook")).items():
        where = key_path("spec.webhook", name)
        yield from _webhook(source, where)


# --------------------------------------------------------------------------- Sensor


def _sensor(spec: Mapping[str, Any], library: Library, namespace: str) -> Iterator[Issue]:
    deps = [mapping(d) for d in entries(spec.get("dependencies"))]
    dep_names = [text(d.get("name")) for d in deps]
    for i in range(len(deps)):
        if dep_names.count(dep_names[i]) > 1:
            yield Issue(
                f"spec.dependencies[{i}].name", f'dependency "{dep_names[i]}" is declared twice'
            )
    for i, trig in enumerate(entries(spec.get("triggers"))):
        tmpl = mapping(mapping(trig).get("template"))
        where = f"spec.triggers[{i}].template"
        conditions = text(tmpl.get("conditions"))
        for name in re.findall(r"[A-Za-z0-9_-]+", conditions):
            if name not in dep_names:
                yield Issue(
                    key_path(where, "conditions"),
                    f'condition names dependency "{name}", which is not declared '
                    f"(declared: {listing(dep_names)})",
                )
        if not conditions and len(deps) > 1:
            yield Issue(
                key_path(where, "conditions"),
                "no conditions: the trigger waits for all dependencies "
                f"({listing(dep_names)}) to be satisfied together",
                "warning",
            )
        params = [*entries(mapping(trig).get("parameters"))]
        for j, param in enumerate(params):
            yield from _param_source(param, f"spec.triggers[{i}].parameters[{j}]", dep_names)
        workflow = mapping(tmpl.get("argoWorkflow"))
        if workflow:
            yield from _argo_workflow(
                workflow, key_path(where, "argoWorkflow"), dep_names, library, namespace
            )


def _param_source(param: Any, where: str, dep_names: list[str]) -> Iterator[Issue]:
    src = mapping(mapping(param).get("src"))
    dep = text(src.get("dependencyName"))
    if dep not in dep_names:
        yield Issue(
            f"{where}.src.dependencyName",
            f'dependency "{dep}" is not declared (declared: {listing(dep_names)})',
        )


def _argo_workflow(
    trigger: Mapping[str, Any],
    where: str,
    dep_names: list[str],
    library: Library,
    namespace: str,
) -> Iterator[Issue]:
    operation = text(trigger.get("operation")) or "submit"
    if operation not in _OPERATIONS:
        yield Issue(
            key_path(where, "operation"),
            f'operation "{operation}" is not one of {", ".join(_OPERATIONS)}',
        )
    resource = mapping(mapping(trigger.get("source")).get("resource"))
    params = [mapping(p) for p in entries(trigger.get("parameters"))]
    for j, param in enumerate(params):
        yield from _param_source(param, f"{where}.parameters[{j}]", dep_names)
    if not resource or operation not in ("submit", "submit-from"):
        return
    base = f"{where}.source.resource"
    if resource.get("kind") != "Workflow" and operation == "submit":
        yield Issue(f"{base}.kind", f"kind {describe(resource.get('kind'))} is not Workflow")
        return
    for issue in [*check_strict(resource, "Workflow"), *check_workflow(resource, library)]:
        yield Issue(f"{base}.{issue.path}" if issue.path else base, issue.message, issue.severity)
    spec = mapping(resource.get("spec"))
    arguments = entries(mapping(spec.get("arguments")).get("parameters"))
    for j, param in enumerate(params):
        dest = text(param.get("dest"))
        match = _DEST.match(dest)
        if dest.startswith("spec.arguments.parameters.") and (
            match is None or int(match.group(1)) >= len(arguments)
        ):
            yield Issue(
                f"{where}.parameters[{j}].dest",
                f'dest "{dest}" names no argument of the workflow (it has {len(arguments)})',
            )
    ref = mapping(spec.get("workflowTemplateRef"))
    name = text(ref.get("name"))
    if not name:
        return
    cluster = bool(ref.get("clusterScope"))
    found = library.find(name, cluster_scope=cluster)
    kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
    if found is None:
        yield Issue(
            f"{base}.spec.workflowTemplateRef.name",
            f'{kind} "{name}" is not in the linted set: lint the Sensor together with it',
        )
        return
    template_ns = text(mapping(found.get("metadata")).get("namespace"))
    workflow_ns = text(mapping(resource.get("metadata")).get("namespace")) or namespace
    if not cluster and template_ns and workflow_ns and template_ns != workflow_ns:
        yield Issue(
            f"{base}.metadata.namespace",
            f'the workflow runs in "{workflow_ns}" but WorkflowTemplate "{name}" is in '
            f'"{template_ns}"',
        )
    supplied = {text(mapping(p).get("name")) for p in arguments}
    declared = entries(mapping(mapping(found.get("spec")).get("arguments")).get("parameters"))
    for p in declared:
        param = mapping(p)
        if "value" in param or "default" in param or "valueFrom" in param:
            continue
        pname = text(param.get("name"))
        if pname not in supplied:
            yield Issue(
                f"{base}.spec.arguments.parameters",
                f'{kind} "{name}" requires parameter "{pname}", which the workflow does not supply',
            )
