"""Offline lint for Argo Workflows manifests, modelled on ``argo lint --strict``.

:func:`lint` takes a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow as a
plain mapping, a list of them (linted together, so ``templateRef`` and
``workflowTemplateRef`` between them resolve) or YAML text, and returns every problem it finds
as a :class:`Finding`; it never needs a cluster. It checks:

- identity: ``apiVersion``, ``kind`` and ``metadata`` names (DNS-1123, Argo's length limits);
- strict decoding: unknown fields and wrong types, against Hera's generated models of the
  Argo API (plus the few Argo v4 fields those models lack);
- the semantic checks of :mod:`argo_buildpacks._lint`: entrypoint, template and task
  names, references between templates, DAG dependencies and cycles, ``{{...}}`` variables,
  required inputs and volume mounts.

Hera is imported on first use only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from argo_buildpacks._lint import events
from argo_buildpacks._lint.base import Issue, Library, describe, entries, key_path, mapping, text
from argo_buildpacks._lint.rules import check_workflow
from argo_buildpacks._lint.schema import check_strict
from argo_buildpacks.errors import ConfigError

__all__ = ["API_VERSION", "KINDS", "Finding", "lint"]

API_VERSION = "argoproj.io/v1alpha1"
KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")

# workflow/validate/validate.go (Argo v4): maxCharsInObjectName = 63, because the name is
# also a label value; maxCharsInCronWorkflowName = 52, leaving room for the "-<unix time>"
# suffix of the Workflows a CronWorkflow creates. Kubernetes itself allows 253.
_MAX_NAME = {"CronWorkflow": 52}
_MAX_NAME_DEFAULT = 63
_GENERATED_SUFFIX = 5  # characters Kubernetes appends to metadata.generateName
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_CRON_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?/,-]+\Z")
_CONCURRENCY = ("Allow", "Forbid", "Replace")


@dataclass(frozen=True)
class Finding:
    """One problem in a manifest.

    Attributes:
        path: where it is, JSONPath-like (``spec.templates[2].container.volumeMounts[0].name``);
            ``""`` for the document as a whole.
        message: what is wrong, naming the bad value and what is allowed or expected.
        document: ``<kind>/<metadata.name>`` of the manifest it is in.
        severity: ``"error"`` (Argo would reject it or it fails at run time) or ``"warning"``
            (it could not be checked, or it is suspicious but accepted).
    """

    path: str
    message: str
    document: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        """``<document>: <path>: <message>`` (empty parts left out)."""
        return ": ".join(part for part in (self.document, self.path, self.message) if part)


def lint(
    manifests: Mapping[str, Any] | str | Sequence[Mapping[str, Any]],
    *,
    context: Sequence[Mapping[str, Any]] = (),
) -> list[Finding]:
    """Check Argo manifests the way ``argo lint --strict`` does, offline.

    Args:
        manifests: one manifest mapping, a list of them (linted as a set, so references
            between them resolve) or YAML text, possibly several ``---`` documents.
        context: more manifests that references may resolve to (a library of templates
            in another file); they are not checked themselves.

    Returns:
        Every finding, document by document and in document order within each; empty when
        all is well. Malformed YAML gives one finding at path ``""``.

    Raises:
        ConfigError: ``manifests`` is none of the accepted types.
    """
    try:
        documents = _documents(manifests)
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split()).replace(' in "<unicode string>"', "")
        return [Finding("", f"invalid YAML: {problem}")]
    library = Library(d for d in [*documents, *context] if isinstance(d, Mapping))
    findings: list[Finding] = []
    for number, doc in enumerate(documents, start=1):
        findings.extend(_lint_document(doc, number, library))
    return findings


# --------------------------------------------------------------------------- input


try:  # libyaml parses several times faster than pure Python
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _StrictLoader(_SafeLoader):
    """A safe loader that rejects duplicate keys, as Kubernetes' strict YAML decoding does."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, failing on a key given twice (merge keys excepted)."""
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f'found duplicate key "{key_node.value}"',
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _documents(manifests: object) -> list[Any]:
    if isinstance(manifests, bytes):
        manifests = manifests.decode("utf-8", errors="replace")
    if isinstance(manifests, str):
        loaded = yaml.load_all(manifests, Loader=_StrictLoader)
        return [doc for doc in loaded if doc is not None]
    if isinstance(manifests, Mapping):
        return [manifests]
    if isinstance(manifests, Sequence):
        return list(manifests)
    raise ConfigError(
        "lint() takes a manifest mapping, a list of them or YAML text, "
        f"not {type(manifests).__name__}"
    )


def _label(doc: Mapping[str, Any], number: int) -> str:
    kind = text(doc.get("kind")) or "?"
    meta = mapping(doc.get("metadata"))
    name = text(meta.get("name")) or text(meta.get("generateName")) or f"#{number}"
    return f"{kind}/{name}"


def _lint_document(doc: object, number: int, library: Library) -> list[Finding]:
    if not isinstance(doc, Mapping):
        return [
            Finding(
                "",
                f"document {number} is {describe(doc)}, expected a mapping with apiVersion, "
                "kind, metadata and spec",
                f"document {number}",
            )
        ]
    if doc.get("kind") in events.KINDS:  # EventSource, Sensor, RBAC: argo_buildpacks/_lint/events
        return [
            Finding(i.path, i.message, _label(doc, number), i.severity)
            for i in events.check(doc, library)
        ]
    issues = list(_check_identity(doc))
    kind = doc.get("kind")
    if kind in KINDS:
        issues.extend(check_strict(doc, str(kind)))
        if kind == "CronWorkflow":
            issues.extend(_check_cron(mapping(doc.get("spec"))))
        issues.extend(check_workflow(doc, library))
    label = _label(doc, number)
    return [Finding(i.path, i.message, label, i.severity) for i in _in_document_order(doc, issues)]


def _in_document_order(doc: Mapping[str, Any], issues: list[Issue]) -> list[Issue]:
    """Drop repeats (and warnings where an error stands) and sort by position in ``doc``."""
    position: dict[str, int] = {}
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, value = stack.pop()
        position.setdefault(path, len(position))
        if isinstance(value, Mapping):
            children = [(key_path(path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))

    def where(issue: Issue) -> int:
        path = issue.path
        while path not in position:
            path = _parent(path)
        return position[path]

    errors = {i.path for i in issues if i.severity == "error"}
    unique = dict.fromkeys(i for i in issues if i.severity == "error" or i.path not in errors)
    return sorted(unique, key=where)


def _parent(path: str) -> str:
    if path.endswith('"]'):
        cut = path.rfind('["')
    elif path.endswith("]"):
        cut = path.rfind("[")
    else:
        cut = path.rfind(".")
    return path[: max(cut, 0)]


# --------------------------------------------------------------------------- identity


def _check_identity(doc: Mapping[str, Any]) -> Iterator[Issue]:
    api_version = doc.get("apiVersion")
    if api_version != API_VERSION:
        yield Issue(
            "apiVersion",
            f'apiVersion {describe(api_version)} is not supported; expected "{API_VERSION}"',
        )
    kind = doc.get("kind")
    if kind not in KINDS:
        yield Issue("kind", f"kind {describe(kind)} is not one of {', '.join(KINDS)}")
        return
    meta = mapping(doc.get("metadata"))
    name, generate_name = text(meta.get("name")), text(meta.get("generateName"))
    limit = _MAX_NAME.get(str(kind), _MAX_NAME_DEFAULT)
    if name:
        yield from _check_name(name, "metadata.name", limit, str(kind))
    elif generate_name and kind == "Workflow":
        yield from _check_generate_name(generate_name, limit)
    else:
        also = " or metadata.generateName" if kind == "Workflow" else ""
        yield Issue("metadata.name", f"metadata.name{also} is required")
    namespace = meta.get("namespace")
    if namespace is not None and not (isinstance(namespace, str) and _DNS_LABEL.match(namespace)):
        yield Issue(
            "metadata.namespace",
            f"namespace {describe(namespace)} is not a DNS-1123 label (lower-case "
            "alphanumerics and '-', at most 63 characters)",
        )


def _check_name(name: str, path: str, limit: int, kind: str) -> Iterator[Issue]:
    if not _DNS_SUBDOMAIN.match(name):
        yield Issue(
            path,
            f'name "{name}" is not a DNS-1123 subdomain: use lower-case alphanumerics, '
            "'-' and '.', starting and ending with an alphanumeric",
        )
    if len(name) > limit:
        yield Issue(
            path,
            f'{kind} name "{name}" is {len(name)} characters long; Argo allows at most {limit}',
        )


def _check_generate_name(prefix: str, limit: int) -> Iterator[Issue]:
    path = "metadata.generateName"
    # Kubernetes validates a prefix as a name whose trailing '-' is allowed.
    masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix
    if not _DNS_SUBDOMAIN.match(masked):
        yield Issue(
            path,
            f'generateName "{prefix}" is not a DNS-1123 subdomain prefix: use lower-case '
            "alphanumerics, '-' and '.', starting with an alphanumeric",
        )
    if len(prefix) + _GENERATED_SUFFIX > limit:
        yield Issue(
            path,
            f'generateName "{prefix}" is {len(prefix)} characters long; with the '
            f"{_GENERATED_SUFFIX} random characters Kubernetes appends, the name exceeds "
            f"Argo's limit of {limit}",
            "warning",
        )


def _check_cron(spec: Mapping[str, Any]) -> Iterator[Issue]:
    schedules = spec.get("schedules")
    if isinstance(schedules, list) and not schedules:
        yield Issue("spec.schedules", "a CronWorkflow needs at least one schedule")
    for i, schedule in enumerate(entries(schedules)):
        if isinstance(schedule, str) and not _is_cron(schedule):
            yield Issue(
                f"spec.schedules[{i}]",
                f'schedule "{schedule}" is not a cron expression: expected 5 fields (minute '
                "hour day-of-month month day-of-week) or a descriptor such as @daily",
            )
    policy = spec.get("concurrencyPolicy")
    if policy not in (None, "", *_CONCURRENCY):
        yield Issue(
            "spec.concurrencyPolicy",
            f"concurrencyPolicy {describe(policy)} is not one of {', '.join(_CONCURRENCY)}",
        )
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < 0:
        yield Issue(
            "spec.startingDeadlineSeconds",
            f"startingDeadlineSeconds {deadline} must not be negative",
        )


def _is_cron(schedule: str) -> bool:
    """What robfig/cron's ParseStandard accepts, roughly: 5 fields or a descriptor."""
    fields = schedule.split()
    if fields and fields[0].startswith(("TZ=", "CRON_TZ=")):
        fields = fields[1:]
    if fields and fields[0].startswith("@"):
        return (len(fields) == 1 and fields[0] in _CRON_DESCRIPTORS) or (
            len(fields) == 2 and fields[0] == "@every"
        )
    return len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields)
