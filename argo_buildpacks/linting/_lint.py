"""Offline lint for Argo Workflows manifests: Argo v4.1.2's validator, and more.

`lint` takes a Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow as a
plain mapping, a list of them (linted together, so ``templateRef`` and
``workflowTemplateRef`` between them resolve) or YAML text, and returns every problem it finds
as a `Finding`; it never needs a cluster. It checks:

- identity: ``apiVersion``, ``kind`` and ``metadata`` names (DNS-1123, Argo's length limits);
  documents of other kinds are skipped with an ``info`` note, as ``argo lint`` skips them;
- strict decoding: unknown fields and wrong types, as Argo's Go types decode them, against
  Hera's generated models of the Argo API, for the targeted Argo release;
- the rules of Argo's ``workflow/validate`` (v4.1.2), ported in `argo_buildpacks.linting`,
  and what Argo's controller or Kubernetes would refuse at run time (volumes a containerSet
  pod never gets, the Pod Security Standard "restricted" on request).

YAML is read by the package's one reader (`argo_buildpacks._kits.yaml_io`), and mappings
given directly are held to its limits too (`MAX_TEXT`, `MAX_VALUES`, `MAX_DEPTH`), so that
no input makes lint hang. docs/lint.md lists the rules. Hera is imported on first use only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argo_buildpacks._kits import yaml_io
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting import _events as events
from argo_buildpacks.linting._accounts import check_executor_tokens
from argo_buildpacks.linting._base import (
    Issue,
    Library,
    Options,
    describe,
    key_path,
    mapping,
    parse_version,
    text,
    workflow_spec,
)
from argo_buildpacks.linting._identity import (
    API_VERSION,
    KINDS,
    check_cron,
    check_identity,
    skip_note,
)
from argo_buildpacks.linting._podchecks import pod_issues
from argo_buildpacks.linting._privileged import privileged_issues
from argo_buildpacks.linting._restricted import restricted_issues
from argo_buildpacks.linting._rules import check_workflow
from argo_buildpacks.linting._schema import check_strict
from argo_buildpacks.linting._size import shared_sizes, size_issues
from argo_buildpacks.linting._workspace import workspace_issues

__all__ = ["API_VERSION", "KINDS", "MAX_DEPTH", "MAX_TEXT", "MAX_VALUES", "Finding", "lint"]


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

#: The reader's limits (`argo_buildpacks._kits.yaml_io`), which lint shares with every other
#: reader of YAML: the largest text (bytes), the most nodes per document once aliases are
#: expanded, and the deepest nesting.
MAX_TEXT, MAX_VALUES, MAX_DEPTH = yaml_io.MAX_BYTES, yaml_io.MAX_NODES, yaml_io.MAX_DEPTH
_UNREADABLE: Any = object()

Loaded = tuple[Any, list[Issue]]


def _documents(manifests: object) -> list[Loaded]:
    """Each document with the problems found reading it; ``_UNREADABLE`` stands for one
    that could not be read (its problems say why)."""
    if isinstance(manifests, bytes):
        manifests = manifests.decode("utf-8", errors="replace")
    if isinstance(manifests, str):
        documents = yaml_io.read_documents(manifests)
        return [_read(doc) for doc in documents if doc.data is not None or doc.problem]
    if isinstance(manifests, Mapping):
        return [_bounded(manifests)]
    if isinstance(manifests, Sequence):
        return [_bounded(doc) for doc in manifests]
    raise ConfigError(
        "lint() takes a manifest mapping, a list of them or YAML text, "
        f"not {type(manifests).__name__}"
    )


def _read(document: yaml_io.Document) -> Loaded:
    if document.problem:
        return _UNREADABLE, [Issue("", document.problem)]
    # Argo (Go's YAML decoder) keeps the last value; kubectl's strict field validation
    # refuses the object: a warning.
    duplicates = [
        Issue(
            "",
            f'line {line}: key "{key}" is given more than once in one mapping (first on line '
            f"{first}); only the last value counts, and kubectl's strict field validation "
            "refuses it",
            "warning",
        )
        for key, line, first in document.duplicates
    ]
    return document.data, duplicates


def _context(context: Sequence[Mapping[str, Any]]) -> list[Any]:
    return [doc for doc in context if _bounded(doc)[0] is not _UNREADABLE]


def _bounded(doc: Any) -> Loaded:
    """``doc`` if it is within the reader's limits (`yaml_io.value_problem`), else why not."""
    if problem := yaml_io.value_problem(doc):
        return _UNREADABLE, [Issue("", problem)]
    return doc, []


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
    with shared_sizes():
        return _lint_workflow(doc, number, library, options)


def _lint_workflow(
    doc: Mapping[str, Any], number: int, library: Library, options: Options
) -> list[Finding]:
    label = _label(doc, number)
    skipped = skip_note(doc)
    if skipped:
        return [Finding("", skipped, label, "info")]
    issues = list(check_identity(doc))
    kind = doc.get("kind")
    if kind in KINDS:
        issues.extend(check_strict(doc, str(kind), options.argo_version))
        if kind == "CronWorkflow":
            issues.extend(check_cron(mapping(doc.get("spec"))))
        issues.extend(check_workflow(doc, library, options))
        issues.extend(check_executor_tokens(doc, library))
        # Clone and build paths, one image per build (argo_buildpacks/linting/_workspace.py).
        issues.extend(workspace_issues(doc))
        issues.extend(_pod_security(doc, options.restricted))
        # Size: ARGO_TEMPLATE per pod template and etcd per object (warnings, _size.py).
        issues.extend(size_issues(doc))
        # The pods Argo builds (workflowpod.go): podSpecPatch, executor containers.
        issues.extend(pod_issues(doc, argo_version=options.argo_version))
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
