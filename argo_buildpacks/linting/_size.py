"""How big a manifest is where size has limits: Argo's ``ARGO_TEMPLATE`` and etcd.

Argo v4.1.2 serialises every pod's template into the ``ARGO_TEMPLATE`` variable of the pod's
init (or supervisor) container: the template as resolved, its ``inputs`` cut down to the
artifacts (``workflow/controller/workflowpod.go`` 636-641), with Go's ``json.Marshal``
(``pkg/apis/workflow/v1alpha1/marshall.go`` 45-51). Above ``common.MaxEnvVarLen`` (131072
bytes, ``workflow/common/common.go`` 246) the controller moves it into a ConfigMap made for
that pod (``workflowpod.go`` 829-848): one more object written and deleted per pod. And
Kubernetes keeps each object in etcd, which refuses a request over 1.5 MiB by default
(``--max-request-bytes``); a Workflow keeps its templates once more in its status
(``storedTemplates``), so a template set is paid for twice per run.

Both are warnings with the figure: the manifest is valid, but runs of it cost more or fail
to be created.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from argo_buildpacks.linting._base import POD_TYPES, Issue, entries, mapping, workflow_spec

__all__ = [
    "ARGO_TEMPLATE_LIMIT",
    "OBJECT_LIMIT",
    "argo_json_size",
    "pod_template_size",
    "shared_sizes",
    "size_issues",
    "template_json",
]

#: ``common.MaxEnvVarLen``: the largest ``ARGO_TEMPLATE`` Argo keeps in the pod spec.
ARGO_TEMPLATE_LIMIT = 131072
#: Where lint starts to warn of an object's size: a third below etcd's default 1.5 MiB,
#: since a Workflow adds its stored templates and status to what it was submitted with.
OBJECT_LIMIT = 1024 * 1024
# Go's encoding/json escapes these (HTML safety) as six-byte \\uXXXX sequences.
_GO_ESCAPES = {"&": 6, "<": 6, ">": 6, "\u2028": 6, "\u2029": 6}


def argo_json_size(value: Any) -> int:
    """The bytes of ``value`` as Go's ``json.Marshal`` writes it (compact, UTF-8, with
    ``&``, ``<``, ``>``, U+2028 and U+2029 escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    size = len(text.encode("utf-8"))
    for char, escaped in _GO_ESCAPES.items():
        size += text.count(char) * (escaped - len(char.encode("utf-8")))
    return size


def pod_template_size(template: Mapping[str, Any]) -> int:
    """What Argo puts in ``ARGO_TEMPLATE`` for a pod of ``template`` (before it substitutes
    parameters, which only lint cannot know): the template with ``inputs`` reduced to its
    artifacts (``workflowpod.go`` 636-641)."""
    size, html, lines, _ = template_json(template)
    return size + 5 * html + 3 * lines


def template_json(template: Mapping[str, Any]) -> tuple[int, int, int, bool]:
    """``template`` as `pod_template_size` serialises it: its UTF-8 bytes, how many ``&``,
    ``<`` and ``>``, how many U+2028 and U+2029, and whether a value was not JSON (written
    with ``str``). Within `shared_sizes` each template is serialised once: the size check
    and the pod model (``_workflowpod.py``) both need it, and it is lint's largest text."""
    memo = _MEMO.get()
    if memo is not None and (hit := memo.get(id(template))) is not None and hit[0] is template:
        return hit[1]
    artifacts = mapping(template.get("inputs")).get("artifacts")
    # Inputs is a struct field: Go writes it even when empty (omitempty skips no struct).
    simplified = {**template, "inputs": {"artifacts": artifacts} if artifacts else {}}
    not_json: list[object] = []

    def default(value: object) -> str:
        not_json.append(value)
        return str(value)

    text = json.dumps(simplified, separators=(",", ":"), ensure_ascii=False, default=default)
    found = (
        len(text.encode("utf-8")),
        sum(text.count(c) for c in "&<>"),
        sum(text.count(c) for c in "\u2028\u2029"),
        bool(not_json),
    )
    if memo is not None:
        memo[id(template)] = (template, found)
    return found


_MEMO: ContextVar[dict[int, tuple[Mapping[str, Any], tuple[int, int, int, bool]]] | None] = (
    ContextVar("template_json", default=None)
)


@contextmanager
def shared_sizes() -> Iterator[None]:
    """Serialise each template once while lint reads one document (`template_json`)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def size_issues(doc: Mapping[str, Any]) -> list[Issue]:
    """A warning for each pod template whose ``ARGO_TEMPLATE`` would be over
    `ARGO_TEMPLATE_LIMIT`, and one for the object over `OBJECT_LIMIT`."""
    issues: list[Issue] = []
    path, spec = workflow_spec(doc)
    for i, tmpl in enumerate(entries(spec.get("templates"))):
        tmpl = mapping(tmpl)
        if not any(tmpl.get(t) is not None for t in POD_TYPES):
            continue
        size = pod_template_size(tmpl)
        if size > ARGO_TEMPLATE_LIMIT:
            issues.append(
                Issue(
                    f"{path}.templates[{i}]",
                    f"template {tmpl.get('name')!r} is {size} bytes as Argo serialises it "
                    f"into ARGO_TEMPLATE, over Argo's limit of {ARGO_TEMPLATE_LIMIT} "
                    "(common.MaxEnvVarLen): Argo moves it into a ConfigMap for every pod; "
                    "split the template or shorten its scripts",
                    "warning",
                )
            )
    size = argo_json_size(doc)
    if size > OBJECT_LIMIT:
        issues.append(
            Issue(
                "",
                f"the object is {size} bytes of JSON, over {OBJECT_LIMIT} (1 MiB): etcd "
                "refuses objects over 1.5 MiB by default, and a Workflow stores its templates "
                "again in its status; split it (templateRef to a shared WorkflowTemplate)",
                "warning",
            )
        )
    return issues
