"""What a workflow document is: its apiVersion, kind and names (as the Kubernetes API server
and Argo's validator check them), whether lint skips it, and a CronWorkflow's schedules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks._kits.cron import cron_problem, timezone_problem
from argo_buildpacks._kits.names import is_dns_label, is_dns_subdomain
from argo_buildpacks.linting._base import Issue, describe, entries, mapping, text

__all__ = ["API_VERSION", "KINDS", "check_cron", "check_identity", "skip_note"]

API_VERSION = "argoproj.io/v1alpha1"
KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")

# workflow/validate/validate.go (Argo v4): maxCharsInObjectName = 63, because the name is
# also a label value; maxCharsInCronWorkflowName = 52, leaving room for the "-<unix time>"
# suffix of the Workflows a CronWorkflow creates. Kubernetes itself allows 253.
_MAX_NAME = {"CronWorkflow": 52}
_MAX_NAME_DEFAULT = 63
_GENERATED_SUFFIX = 5  # characters Kubernetes appends to metadata.generateName
_CONCURRENCY = ("Allow", "Forbid", "Replace")
# Kinds of argoproj.io/v1alpha1 that are not workflows (Argo Workflows' own and Argo Events').
_OTHER_ARGO_KINDS = frozenset(
    {
        "WorkflowEventBinding", "WorkflowTaskSet", "WorkflowTaskResult",
        "WorkflowArtifactGCTask", "EventSource", "Sensor", "EventBus",
    }
)  # fmt: skip


def skip_note(doc: Mapping[str, Any]) -> str:
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


def check_identity(doc: Mapping[str, Any]) -> Iterator[Issue]:
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
    if namespace is not None and not (isinstance(namespace, str) and is_dns_label(namespace)):
        yield Issue(
            "metadata.namespace",
            f"namespace {describe(namespace)} is not a DNS-1123 label (lower-case "
            "alphanumerics and '-', at most 63 characters)",
        )


def _check_name(name: str, path: str, limit: int, kind: str) -> Iterator[Issue]:
    if not is_dns_subdomain(name):
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
    if not is_dns_subdomain(masked):
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


def check_cron(spec: Mapping[str, Any]) -> Iterator[Issue]:
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
