"""Offline lint for Argo Workflows manifests: Argo v4.1.2's validator, and more.

`lint` takes a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow as a
plain mapping, a list of them (linted together, so ``templateRef`` and
``workflowTemplateRef`` between them resolve) or YAML text, and returns every problem it finds
as a `Finding`; it never needs a cluster. It checks:

- identity: ``apiVersion``, ``kind`` and ``metadata`` names (DNS-1123, Argo's length limits);
  documents of other kinds are skipped with an ``info`` note, as ``argo lint`` skips them;
- strict decoding: unknown fields and wrong types, as Argo's Go types decode them, against
  Hera's generated models of the Argo API, for the targeted Argo release;
- the rules of Argo's ``workflow/validate`` (v4.1.2), ported in `argo_buildpacks._lint`,
  and what Argo's controller or Kubernetes would refuse at run time (volumes a containerSet
  pod never gets, the Pod Security Standard "restricted" on request).

Reading is bounded (`MAX_TEXT`, `MAX_VALUES`, `MAX_DEPTH`), so that no
input makes it hang. docs/lint.md lists the rules. Hera is imported on first use only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting import _events as events
from argo_buildpacks.linting._base import (
    Issue,
    Library,
    Options,
    describe,
    entries,
    key_path,
    mapping,
    parse_version,
    text,
    workflow_spec,
)
from argo_buildpacks.linting._cron import cron_problem, timezone_problem
from argo_buildpacks.linting._privileged import privileged_issues
from argo_buildpacks.linting._restricted import restricted_issues
from argo_buildpacks.linting._rules import check_workflow
from argo_buildpacks.linting._schema import check_strict

__all__ = ["API_VERSION", "KINDS", "MAX_DEPTH", "MAX_TEXT", "MAX_VALUES", "Finding", "lint"]

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
_CONCURRENCY = ("Allow", "Forbid", "Replace")
# Kinds of argoproj.io/v1alpha1 that are not workflows (Argo Workflows' own and Argo Events').
_OTHER_ARGO_KINDS = frozenset(
    {
        "WorkflowEventBinding", "WorkflowTaskSet", "WorkflowTaskResult",
        "WorkflowArtifactGCTask", "EventSource", "Sensor", "EventBus",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One problem in a manifest.

    Attributes:
        path: where it is, JSONPath-like (``spec.templates[2].container.volumeMounts[0].name``);
            ``""`` for the document as a whole.
        message: what is wrong, naming the bad value and what is allowed or expected.
        document: ``<kind>/<metadata.name>`` of the manifest it is in.
        severity: ``"error"`` (Argo would reject it or it fails at run time),
            ``"warning"`` (it could not be checked, or it is suspicious but accepted) or
            ``"info"`` (a note that never fails a lint, e.g. a document of another kind
            that was skipped, as ``argo lint`` skips it).
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
    argo_version: str = "4.1",
    restricted: bool = False,
    submit: bool = False,
) -> list[Finding]:
    """Check Argo manifests the way Argo's validator (``argo lint --strict``) does, offline.

    Args:
        manifests: one manifest mapping, a list of them (linted as a set, so references
            between them resolve) or YAML text, possibly several ``---`` documents.
        context: more manifests that references may resolve to (a library of templates
            in another file); they are not checked themselves.
        argo_version: the Argo release to check against: ``"3.6"``, ``"3.7"``, ``"4.0"`` or
            ``"4.1"``; fields it does not know are errors.
        restricted: also require the Pod Security Standard "restricted" of every pod, and
            make what gives root on the node an error (it is always at least a warning).
        submit: judge as Argo does on submission: arguments without a value and references
            to templates outside the set are errors.

    Returns:
        Every finding, document by document and in document order within each; empty when
        all is well. A document that cannot be read (malformed YAML, over a limit) gives one
        finding at path ``""``, and the other documents are still linted.

    Raises:
        ConfigError: ``manifests`` is none of the accepted types, or ``argo_version`` is not
            a supported release.
    """
    options = Options(
        argo_version=parse_version(argo_version), restricted=restricted, submit=submit
    )
    loaded = _documents(manifests)
    documents = [doc for doc, _ in loaded]
    library = Library(
        (d for d in [*documents, *_context(context)] if isinstance(d, Mapping)),
        missing_severity="error" if submit else "warning",
    )
    findings: list[Finding] = []
    for number, (doc, problems) in enumerate(loaded, start=1):
        label = _label(doc, number) if isinstance(doc, Mapping) else f"document {number}"
        findings.extend(Finding(p.path, p.message, label, p.severity) for p in problems)
        if doc is _UNREADABLE:
            continue
        try:
            findings.extend(_lint_document(doc, number, library, options))
        except Exception as exc:  # one document's failure must not hide the rest
            message = (
                f"could not be linted: {type(exc).__name__}: {exc} (a bug in lint: please "
                "report it with this document)"
            )
            findings.append(Finding("", message, label))
    return findings


# --------------------------------------------------------------------------- input

#: Largest YAML text ``lint`` reads (bytes); Kubernetes itself refuses objects over ~1.5 MB.
MAX_TEXT = 4 * 1024 * 1024
#: Most values one document may hold once YAML aliases are expanded (alias bombs).
MAX_VALUES = 200_000
#: Deepest nesting of mappings and lists in one document.
MAX_DEPTH = 100
_UNREADABLE: Any = object()
_CONTAINERS = (dict, list)
_SCALARS = (str, int, float, bool, type(None))
_SEPARATOR = re.compile(r"^---(?=[ \t]|$)", re.M)


try:  # libyaml parses several times faster than pure Python
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _StrictLoader(_SafeLoader):
    """A safe loader that notes keys given twice (merge keys excepted): Kubernetes' strict
    field validation refuses them, and only the last value counts."""

    duplicates: list[tuple[str, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, noting each key given twice."""
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                self.duplicates.append((key_node.value, key_node.start_mark.line + 1))
            seen.add(key)
        return super().construct_mapping(node, deep)


Loaded = tuple[Any, list[Issue]]


def _documents(manifests: object) -> list[Loaded]:
    """Each document with the problems found reading it; ``_UNREADABLE`` stands for one
    that could not be read (its problems say why)."""
    if isinstance(manifests, bytes):
        manifests = manifests.decode("utf-8", errors="replace")
    if isinstance(manifests, str):
        return _load_text(manifests)
    if isinstance(manifests, Mapping):
        return [_bounded(manifests, [])]
    if isinstance(manifests, Sequence):
        return [_bounded(doc, []) for doc in manifests]
    raise ConfigError(
        "lint() takes a manifest mapping, a list of them or YAML text, "
        f"not {type(manifests).__name__}"
    )


def _context(context: Sequence[Mapping[str, Any]]) -> list[Any]:
    return [doc for doc in context if _bounded(doc, [])[0] is not _UNREADABLE]


def _load_text(text: str) -> list[Loaded]:
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_TEXT:
        message = f"the YAML text is {size} bytes; lint reads at most {MAX_TEXT}"
        return [(_UNREADABLE, [Issue("", message)])]
    # Split at document markers first, so that a broken document does not hide the others.
    starts = [0, *(m.start() for m in _SEPARATOR.finditer(text))]
    loaded: list[Loaded] = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        chunk = text[begin:end]
        if begin:
            chunk = "\n" * text.count("\n", 0, begin) + chunk[3:]  # keep line numbers
        loaded.extend(_load_chunk(chunk))
    return loaded


def _load_chunk(chunk: str) -> list[Loaded]:
    loader = _StrictLoader(chunk)
    loader.duplicates = []
    try:
        docs = []
        while loader.check_data():  # type: ignore[no-untyped-call]
            docs.append(loader.get_data())
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split()).replace(' in "<unicode string>"', "")
        return [(_UNREADABLE, [Issue("", f"invalid YAML: {problem}")])]
    except RecursionError:
        message = f"the YAML is nested too deeply to read (lint allows {MAX_DEPTH} levels)"
        return [(_UNREADABLE, [Issue("", message)])]
    finally:
        loader.dispose()
    problems = [
        Issue(
            "",
            f'line {line}: key "{key}" is given more than once in one mapping; only the last '
            "value counts, and kubectl's strict field validation refuses it",
            "warning",
        )
        for key, line in loader.duplicates
    ]
    kept = [doc for doc in docs if doc is not None]
    if not kept:
        return []
    first = _bounded(kept[0], problems)
    return [first, *(_bounded(doc, []) for doc in kept[1:])]


def _bounded(doc: Any, problems: list[Issue]) -> Loaded:
    """``doc`` if it is within `MAX_VALUES` and `MAX_DEPTH`, else why not."""
    values: dict[int, int] = {}  # containers by id: values inside, once finished
    depths: dict[int, int] = {}
    open_: set[int] = set()  # entered, not finished: meeting one again is a cycle
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, done = stack.pop()
        kind = type(node)
        if kind is dict or (kind is not list and isinstance(node, Mapping)):
            children: Any = node.values()
        elif kind is list:
            children = node
        else:
            continue
        key = id(node)
        if not done:
            if key in values:
                if key in open_:
                    message = "the document contains itself through a YAML alias; lint refuses it"
                    return _UNREADABLE, [*problems, Issue("", message)]
                continue
            values[key] = 0
            open_.add(key)
            stack.append((node, True))
            for child in children:
                kind = type(child)
                if kind in _CONTAINERS or (kind not in _SCALARS and isinstance(child, Mapping)):
                    stack.append((child, False))
            continue
        # Scalars are never in the tables (their ids cannot be a live container's).
        count = depth = 1
        for child in children:
            child_key = id(child)
            count += values.get(child_key, 1)
            child_depth = depths.get(child_key, 0) + 1
            if child_depth > depth:
                depth = child_depth
        open_.discard(key)
        values[key] = min(count, MAX_VALUES + 1)
        depths[key] = depth
        if count > MAX_VALUES:
            message = (
                f"the document expands to more than {MAX_VALUES} values once its YAML "
                "aliases are expanded (an alias bomb?); lint refuses it"
            )
            return _UNREADABLE, [*problems, Issue("", message)]
        if depth > MAX_DEPTH:
            message = f"the document is nested more than {MAX_DEPTH} levels deep; lint refuses it"
            return _UNREADABLE, [*problems, Issue("", message)]
    return doc, problems


def _label(doc: Mapping[str, Any], number: int) -> str:
    kind = text(doc.get("kind")) or "?"
    meta = mapping(doc.get("metadata"))
    name = text(meta.get("name")) or text(meta.get("generateName")) or f"#{number}"
    return f"{kind}/{name}"


def _lint_document(doc: object, number: int, library: Library, options: Options) -> list[Finding]:
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
    label = _label(doc, number)
    skipped = _skip_note(doc)
    if skipped:
        return [Finding("", skipped, label, "info")]
    issues = list(_check_identity(doc))
    kind = doc.get("kind")
    if kind in KINDS:
        issues.extend(check_strict(doc, str(kind), options.argo_version))
        if kind == "CronWorkflow":
            issues.extend(_check_cron(mapping(doc.get("spec"))))
        issues.extend(check_workflow(doc, library, options))
        issues.extend(_pod_security(doc, options.restricted))
    return [Finding(i.path, i.message, label, i.severity) for i in _in_document_order(doc, issues)]


def _pod_security(doc: Mapping[str, Any], restricted: bool) -> list[Issue]:
    """Root on the node always (a warning, an error when ``restricted``); the rest of the
    "restricted" Pod Security Standard only when asked."""
    privileged = privileged_issues(doc)
    if not restricted:
        return [
            Issue(i.path, f"{i.message}; lint(restricted=True) refuses it", "warning")
            for i in privileged
        ]
    flagged = {i.path for i in privileged}
    spec_path, spec = workflow_spec(doc)
    rest = [
        i
        for i in restricted_issues(spec, spec_path)
        if i.path not in flagged and not any(f.startswith(f"{i.path}.") for f in flagged)
    ]
    return [*(Issue(i.path, i.message, "error") for i in privileged), *rest]


def _in_document_order(doc: Mapping[str, Any], issues: list[Issue]) -> list[Issue]:
    """Drop repeats (and warnings where an error stands) and sort by position in ``doc``."""
    if not issues:
        return []
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


def _skip_note(doc: Mapping[str, Any]) -> str:
    """Why a document is not linted (another kind, as ``argo lint`` skips it), or ``""``."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if kind in KINDS or not isinstance(kind, str) or not kind:
        return ""
    if api_version == API_VERSION and kind not in _OTHER_ARGO_KINDS:
        return ""  # an Argo apiVersion with an unknown kind: probably a typo, reported
    return (
        f"skipped: {kind} ({describe(api_version)}) is not a {', '.join(KINDS)}; "
        "argo lint ignores it too"
    )


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
    elif generate_name:
        yield from _check_generate_name(generate_name, limit)
    else:
        # Argo's validator does not look at names; the Kubernetes API server refuses it.
        yield Issue(
            "metadata.name",
            "metadata.name or metadata.generateName is required: the Kubernetes API server "
            "refuses to create an object without one",
            "warning",
        )
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
    singular = spec.get("schedule")  # Argo 3.6 and 3.7 only
    given = [(f"spec.schedules[{i}]", s) for i, s in enumerate(entries(schedules))]
    for where, schedule in [*given, *([("spec.schedule", singular)] if singular else [])]:
        problem = cron_problem(schedule) if isinstance(schedule, str) else ""
        if problem:
            yield Issue(where, f'schedule "{schedule}" is not a valid cron expression: {problem}')
    zone = spec.get("timezone")
    if isinstance(zone, str) and (problem := timezone_problem(zone)):
        yield Issue("spec.timezone", problem)
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
