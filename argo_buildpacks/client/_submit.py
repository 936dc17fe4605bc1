"""Submissions: the parameters and labels a run is submitted with, the name chosen
client-side, and how an unanswered submission is found again (so a retry never starts a
second run)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from hera.workflows.service import WorkflowsService

from argo_buildpacks._kits import names
from argo_buildpacks._kits.git import run_revision
from argo_buildpacks.client._http import with_hint
from argo_buildpacks.errors import ConfigError, NotFoundError, ServerError
from argo_buildpacks.model.runs import Run
from argo_buildpacks.model.tags import SemverTag

__all__ = [
    "SUBMISSION_LABEL",
    "find_submission",
    "generate_name",
    "run_from",
    "submit_labels",
    "submit_parameters",
]

#: The label carrying a submission's client-generated id.
SUBMISSION_LABEL = "argo-buildpacks.io/submission-id"
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generateName alphabet


def submit_parameters(tag: str | None, parameters: Mapping[str, str] | None) -> list[str] | None:
    """Validate the tag (SemVer) and parameters; return ``submitOptions.parameters``."""
    given = dict(parameters or {})
    if tag is not None:
        if "tag" in given:
            raise ConfigError("tag is given twice: as tag= and in parameters; give one")
        given = {"tag": tag, **given}
    for key, value in given.items():
        if not isinstance(key, str) or not key or "=" in key:
            raise ConfigError(f"parameter name {key!r} must be a non-empty string without '='")
        if not isinstance(value, str):
            raise ConfigError(f"parameter {key!r} must be a string, not {type(value).__name__}")
    if "tag" in given:
        given["tag"] = str(SemverTag.parse(given["tag"]))
    if "revision" in given:
        try:  # the template's pull-request policy is the cluster's to apply
            run_revision(given["revision"], allow_pull_requests=None)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return [f"{key}={value}" for key, value in given.items()] or None


def submit_labels(labels: Mapping[str, str] | None, sid: str) -> str:
    """Validate labels; return ``submitOptions.labels`` with the submission id added."""
    given = dict(labels or {})
    if SUBMISSION_LABEL in given:
        raise ConfigError(f"label {SUBMISSION_LABEL!r} is set by submit(); leave it out")
    for key, value in given.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConfigError(f"label {key!r}: keys and values must be strings, not {value!r}")
        try:
            names.label_key(key)
            names.label_value(value, what=f"label {key!r} value")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    given[SUBMISSION_LABEL] = sid
    return ",".join(f"{key}={value}" for key, value in given.items())


def generate_name(template: str) -> str:
    """A workflow name as Kubernetes' ``generateName`` would make it."""
    # Kubernetes' generateName rule, applied client-side: a retry re-sends the same name, so
    # a first attempt still in flight and its retry cannot both create a workflow.
    prefix = f"{template}-"[:58]
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def find_submission(
    hera: WorkflowsService, namespace: str, wf_name: str, sid: str, cause: ServerError
) -> Run | None:
    """Find the workflow an unanswered submission created, if it did."""
    try:
        listed = hera.list_workflows(
            namespace=namespace, label_selector=f"{SUBMISSION_LABEL}={sid}"
        )
        for item in listed.items or []:
            return run_from(item.model_dump(by_alias=True, exclude_none=True), sid)
        # Lists may be served from a cache; a read by name is authoritative.
        wf = hera.get_workflow(wf_name, namespace=namespace)
    except NotFoundError:
        return None
    except ServerError as exc:
        hint = (
            f"the submission may or may not have started a workflow: look for label "
            f"{SUBMISSION_LABEL}={sid} before submitting again; {cause.hint}"
        )
        raise with_hint(cause, hint.rstrip("; ")) from exc
    labels = wf.metadata.labels or {}
    if labels.get(SUBMISSION_LABEL) == sid:
        return run_from(wf.model_dump(by_alias=True, exclude_none=True), sid)
    return None  # the random name belongs to someone else's workflow: pick another


def run_from(obj: Mapping[str, Any], sid: str) -> Run:
    meta = obj.get("metadata") or {}
    return Run(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=str(meta.get("uid", "")),
        submission_id=sid,
    )
