"""From a pushed git tag to a submitted build: Argo Events objects and scheduled rebuilds.

- `event_source`: an Argo Events ``EventSource`` (GitHub, GitLab or a generic webhook)
  receiving the repository's push events, authenticated by a Secret reference.
- `sensor`: a ``Sensor`` that submits the app's WorkflowTemplate (by
  ``workflowTemplateRef``) when a tag matching ``trigger.tags`` is pushed to *this*
  repository: the tag name (``refs/tags/`` removed) becomes ``tag``, the full ref
  (``refs/tags/NAME``: never a branch of that name) ``revision``, and on GitHub and GitLab
  the pushed SHA (``body.after``) ``expected-commit``, which the clone checks. Optionally a
  push to one of ``trigger.branches`` builds that branch (``refs/heads/NAME``, at the
  pushed SHA) with the version from git. Tags and branches share one dependency and one
  trigger, so every EventBus accepts the Sensor (NATS Streaming refuses two dependencies on
  one event).
- `cron_workflow`: a ``CronWorkflow`` that rebuilds the configured revision with the
  version from git, so images pick up patched run images and buildpacks.
- `release_workflow`: the Workflow a Sensor submits: a ``workflowTemplateRef`` with the
  ``tag`` and ``revision`` arguments left for the event's values.

Payload paths and behaviour follow Argo Events v1.9.11's sources: the GitHub source wraps the
delivery as ``{headers, body}`` and adds the ``X-GitHub-Event`` header to ``body``; the
GitLab source wraps it as ``{headers, body}``; the generic webhook as ``{header, body}``.
Data filters are Go regular expressions matched anywhere in the value, so every pattern here
is anchored. A parameter's ``dataTemplate`` is a Go template over ``.Input`` (the event
data) with sprig functions; ``trimPrefix`` removes ``refs/tags/``. No fallback ``value``:
an event the template cannot read fails the trigger instead of submitting a default.

A body may hold a key twice. The data filters read it with gjson, which takes the FIRST
(pkg/sensors/dependencies/filter.go, ``gjson.GetBytes``); a ``dataTemplate`` reads the
body decoded into a map, which keeps the LAST (pkg/sensors/triggers/params.go,
``getValueWithTemplate``: ``gjson.ParseBytes(...).Value()``). So each template applies the
filter's own pattern again to what it reads (``regexMatch``) and yields nothing otherwise,
which fails the trigger: every value submitted is one the filter's pattern accepts.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from hera.workflows import ClusterWorkflowTemplate, Parameter, Workflow, WorkflowTemplate
from hera.workflows.models import WorkflowTemplateRef

from argo_buildpacks._kits.git import redact
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.release import TriggerConfig, repository_path, tag_pattern_regex
from argo_buildpacks.templates.pipeline import template_reference

__all__ = [
    "EVENT_NAME",
    "EVENT_PARAMETERS",
    "cron_workflow",
    "event_source",
    "release_workflow",
    "sensor",
    "sensor_service_account",
]

API_VERSION = "argoproj.io/v1alpha1"
#: The event's key under the EventSource's provider section (``spec.github.push``).
EVENT_NAME = "push"
#: The workflow parameters the event fills, in the order `release_workflow` lists them.
EVENT_PARAMETERS = ("tag", "revision", "expected-commit")
_NULL_SHA = "^0{40}$"
_SHA = "^([0-9a-f]{40}|[0-9a-f]{64})$"
# Argo Events images run from scratch with no USER: give them a non-root uid (the
# controller mounts an emptyDir on /tmp, where the sensor writes the workflow it submits).
_EVENTS_UID = 9731
_MANAGED = {"app.kubernetes.io/managed-by": "argo-buildpacks"}


def _trigger(config: BuildConfig) -> TriggerConfig:
    if config.trigger is None:
        raise ConfigError(f"config {config.name!r} has no trigger section")
    return config.trigger


def _go_literal(text: str) -> str:
    """``text`` as a literal inside a Go (RE2) regular expression."""
    return re.sub(r"([\\.+*?()|\[\]{}^$&~#-])", r"\\\1", text)


def _pod_template(service_account: str | None = None) -> dict[str, Any]:
    """Pod settings of an Argo Events pod: Pod Security Standard "restricted"."""
    template: dict[str, Any] = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": _EVENTS_UID,
            "runAsGroup": _EVENTS_UID,
            "fsGroup": _EVENTS_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "container": {
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            }
        },
    }
    if service_account:
        template["serviceAccountName"] = service_account
    return template


def _metadata(config: BuildConfig, name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or config.name,
        "namespace": config.namespace,
        "labels": {**_MANAGED, "argo-buildpacks.io/app": config.name},
    }


def event_source(config: BuildConfig) -> dict[str, Any]:
    """The ``EventSource`` that receives the repository's pushes (named after the app).

    GitHub: configure the repository's webhook by hand (content type JSON, the secret from
    ``trigger.webhook_secret``, event "push") to reach the EventSource's Service. GitLab: the
    EventSource registers the project hook itself (``access_token_secret``, ``webhook_url``),
    which is also what makes Argo Events check the token. Generic webhook: POST JSON
    ``{"ref": "refs/tags/v1.4.2", "repository": "<source.url>"}`` with
    ``Authorization: Bearer <token>``.

    Raises:
        ConfigError: the config has no ``trigger``.
    """
    trig = _trigger(config)
    secret = {"name": trig.webhook_secret, "key": trig.webhook_secret_key}
    webhook: dict[str, Any] = {
        "endpoint": trig.endpoint,
        "port": str(trig.port),
        "method": "POST",
        "url": "",
    }
    spec: dict[str, Any] = {
        "eventBusName": trig.event_bus,
        "template": _pod_template(),
        "service": {"ports": [{"port": trig.port, "targetPort": trig.port}]},
    }
    if trig.provider == "github":
        owner, _, name = repository_path(config.source.url).rpartition("/")
        spec["github"] = {
            EVENT_NAME: {
                "repositories": [{"owner": owner, "names": [name]}],
                "webhook": webhook,
                "events": ["push"],
                "webhookSecret": secret,
                "contentType": "json",
                "active": True,
                "insecure": False,
            }
        }
    elif trig.provider == "gitlab":
        events = ["TagPushEvents"] + (["PushEvents"] if trig.branches else [])
        spec["gitlab"] = {
            EVENT_NAME: {
                "projects": [repository_path(config.source.url)],
                "webhook": {**webhook, "url": trig.webhook_url},
                "events": events,
                "accessToken": {"name": trig.access_token_secret, "key": trig.access_token_key},
                "secretToken": secret,
                "enableSSLVerification": True,
                "gitlabBaseURL": trig.gitlab_url or _origin(config.source.url),
            }
        }
    else:
        spec["webhook"] = {EVENT_NAME: {**webhook, "authSecret": secret}}
    return {
        "apiVersion": API_VERSION,
        "kind": "EventSource",
        "metadata": _metadata(config),
        "spec": spec,
    }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ConfigError(
            f"trigger.gitlab_url is needed: source.url {redact(url)!r} is not an https:// URL"
        )
    return f"https://{parts.netloc.rpartition('@')[2]}"


def _string(path: str, *patterns: str, negate: bool = False) -> dict[str, Any]:
    filt: dict[str, Any] = {"path": path, "type": "string", "value": list(patterns)}
    if negate:
        filt["comparator"] = "!="
    return filt


def _filters(config: BuildConfig, ref_patterns: list[str], *, branch: bool) -> list[dict[str, Any]]:
    """Data filters: this repository, a push (not a deletion) of a matching ref; with
    ``branch``, a GitLab branch push (``push``) as well as a tag push."""
    trig = _trigger(config)
    if trig.provider == "github":
        repo = repository_path(config.source.url)
        return [
            _string("body.X-GitHub-Event", "^push$"),
            _string("body.repository.full_name", "(?i)^" + _go_literal(repo) + "$"),
            _string("body.ref", *ref_patterns),
            {"path": "body.deleted", "type": "bool", "value": ["false"]},
        ]
    if trig.provider == "gitlab":
        repo = repository_path(config.source.url)
        return [
            _string("body.object_kind", "^(tag_push|push)$" if branch else "^tag_push$"),
            _string("body.project.path_with_namespace", "(?i)^" + _go_literal(repo) + "$"),
            _string("body.ref", *ref_patterns),
            _string("body.after", _NULL_SHA, negate=True),
        ]
    return [
        _string("body.repository", "^" + _go_literal(config.source.url) + "$"),
        _string("body.ref", *ref_patterns),
    ]


def _ref_regex(prefix: str, names_regex: str) -> str:
    return "^" + _go_literal(prefix) + names_regex.removeprefix("^")


def _guarded(pattern: str, path: str, value: str) -> str:
    """A Go template yielding ``value`` only when ``.Input.<path>`` matches ``pattern`` (the
    data filter's own), else nothing, which fails the trigger. The pattern is a raw string
    (backquotes): the tag and branch patterns hold none."""
    if "`" in pattern:  # pragma: no cover - tag globs and branch names cannot hold one
        raise ConfigError(f"pattern {pattern!r} cannot be a Go raw string")
    return f"{{{{ if regexMatch `{pattern}` .Input.{path} }}}}{value}{{{{ end }}}}"


def _param(dependency: str, name: str, template: str) -> dict[str, Any]:
    return {
        "src": {"dependencyName": dependency, "dataTemplate": template},
        "dest": f"spec.arguments.parameters.{EVENT_PARAMETERS.index(name)}.value",
    }


def _ref_params(dependency: str, pattern: str, prefix: str) -> list[dict[str, Any]]:
    """``revision``: the full ref; ``tag`` (tags only): the name without ``refs/tags/``."""
    ref = "{{ .Input.body.ref }}"
    params = [_param(dependency, "revision", _guarded(pattern, "body.ref", ref))]
    if prefix == "refs/tags/":
        name = '{{ trimPrefix "refs/tags/" .Input.body.ref }}'
        params.insert(0, _param(dependency, "tag", _guarded(pattern, "body.ref", name)))
    return params


def _dependency(
    name: str, config: BuildConfig, ref_patterns: list[str], *, branch: bool
) -> dict[str, Any]:
    return {
        "name": name,
        "eventSourceName": config.name,
        "eventName": EVENT_NAME,
        "filters": {"data": _filters(config, ref_patterns, branch=branch)},
    }


def _submit(
    name: str, dependency: str, workflow: dict[str, Any], params: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "template": {
            "name": name,
            "conditions": dependency,
            "argoWorkflow": {
                "operation": "submit",
                "source": {"resource": workflow},
                "parameters": params,
            },
        }
    }


def _push_and_branches(
    config: BuildConfig, workflow: dict[str, Any], tag_refs: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tags and branches through ONE dependency and ONE trigger.

    A NATS Streaming EventBus (Argo Events' quick-start bus) refuses a Sensor in which two
    dependencies name the same EventSource and event (pkg/reconciler/sensor/validate.go,
    v1.9.11 line 524); Jetstream and Kafka accept it. So the dependency accepts a tag ref or
    a branch ref, and the one trigger tells them apart in its templates: ``revision`` is
    either ref (no fallback: any other fails the trigger), ``tag`` the name of a tag ref and
    for a branch ref the fallback ``""`` (the version from git; a template that yields
    nothing falls back to ``value``, pkg/sensors/triggers/params.go ``ResolveParamValue``).
    Since ``revision`` admits only the two patterns, the fallback is taken only for a branch
    ref. The pushed SHA is ``expected-commit`` for branches too (GitHub, GitLab), so a branch
    build is of the commit pushed or fails."""
    trig = _trigger(config)
    names = "^(" + "|".join(_go_literal(b) for b in trig.branches) + ")$"
    branch_refs = _ref_regex("refs/heads/", names)
    either = f"{tag_refs}|{branch_refs}"
    ref = "{{ .Input.body.ref }}"
    name = '{{ trimPrefix "refs/tags/" .Input.body.ref }}'
    tag = _param("push", "tag", _guarded(tag_refs, "body.ref", name))
    tag["src"]["value"] = ""
    params = [tag, _param("push", "revision", _guarded(either, "body.ref", ref))]
    if trig.provider in ("github", "gitlab"):
        after = "{{ .Input.body.after }}"
        params.append(_param("push", "expected-commit", _guarded(_SHA, "body.after", after)))
    dependency = _dependency("push", config, [either], branch=True)
    return [dependency], [_submit("build", "push", workflow, params)]


def sensor_service_account(config: BuildConfig) -> str:
    """The Sensor's ServiceAccount: ``trigger.service_account`` or ``<name>-sensor``."""
    trig = _trigger(config)
    return trig.service_account or f"{config.name}-sensor"


def sensor(
    config: BuildConfig, template: WorkflowTemplate | ClusterWorkflowTemplate | None = None
) -> dict[str, Any]:
    """The ``Sensor`` that submits the app's WorkflowTemplate for matching pushes.

    Args:
        config: the app's build, with a ``trigger`` section.
        template: the WorkflowTemplate to reference (default: ``config.name`` in
            ``config.namespace``).

    Raises:
        ConfigError: the config has no ``trigger``.
    """
    trig = _trigger(config)
    workflow = to_dict(release_workflow(template or config.name, namespace=config.namespace))
    tag_refs = _ref_regex("refs/tags/", tag_pattern_regex(trig.tags))
    tag_params = _ref_params("tag-push", tag_refs, "refs/tags/")
    if trig.provider in ("github", "gitlab"):
        # The pushed SHA (a tag object's or its commit's): the clone builds only that.
        after = "{{ .Input.body.after }}"
        tag_params.append(
            _param("tag-push", "expected-commit", _guarded(_SHA, "body.after", after))
        )
    if trig.branches:
        dependencies, triggers = _push_and_branches(config, workflow, tag_refs)
    else:
        dependencies = [_dependency("tag-push", config, [tag_refs], branch=False)]
        triggers = [_submit("build-tag", "tag-push", workflow, tag_params)]
    return {
        "apiVersion": API_VERSION,
        "kind": "Sensor",
        "metadata": _metadata(config),
        "spec": {
            "eventBusName": trig.event_bus,
            "template": _pod_template(sensor_service_account(config)),
            "dependencies": dependencies,
            "triggers": triggers,
        },
    }


def release_workflow(
    template: WorkflowTemplate | ClusterWorkflowTemplate | str,
    *,
    namespace: str | None = None,
    cluster_scope: bool | None = None,
) -> Workflow:
    """The Workflow a Sensor submits: ``template`` by reference, with ``tag``, ``revision``
    and ``expected-commit`` (in that order, `EVENT_PARAMETERS`) left empty for the event's
    values (an event that sets no ``expected-commit`` leaves it empty: no check).

    Unlike `argo_buildpacks.templates.pipeline.workflow_for` it validates no tag: the values
    arrive with the event, and the in-cluster tag check decides.
    """

    name, ns, cluster = template_reference(
        template, namespace=namespace, cluster_scope=cluster_scope
    )
    return Workflow(
        generate_name=f"{name}-",
        namespace=ns or "argo",
        labels={"argo-buildpacks.io/template": name},
        workflow_template_ref=WorkflowTemplateRef(name=name, cluster_scope=cluster or None),
        arguments=[Parameter(name=p, value="") for p in EVENT_PARAMETERS],
    )


def cron_workflow(config: BuildConfig) -> dict[str, Any]:
    """The ``CronWorkflow`` rebuilding ``source.revision`` on ``schedule`` with the version
    from git (``tag: ""``), so images pick up patched run images and buildpacks.

    Raises:
        ConfigError: the config has no ``schedule``, or ``tag.from_git`` is off: a rebuild
            has no pushed tag to take its version from.
    """
    if config.schedule is None:
        raise ConfigError(f"config {config.name!r} has no schedule")
    if not config.tag.from_git:
        raise ConfigError(
            "schedule needs tag.from_git: true: a scheduled rebuild has no pushed tag, so its "
            "version must come from `git describe`"
        )
    return {
        "apiVersion": API_VERSION,
        "kind": "CronWorkflow",
        "metadata": _metadata(config, config.name[:44].rstrip("-") + "-rebuild"),
        "spec": {
            "schedules": [config.schedule],
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "workflowSpec": {
                "workflowTemplateRef": {"name": config.name},
                "arguments": {
                    "parameters": [
                        {"name": "tag", "value": ""},
                        {"name": "revision", "value": config.source.revision},
                    ]
                },
            },
        },
    }


def to_dict(obj: Any) -> dict[str, Any]:
    """A plain manifest dict from a Hera object (or a dict)."""
    if isinstance(obj, dict):
        return obj
    result = obj.to_dict()
    if not isinstance(result, dict):  # pragma: no cover - Hera always returns a dict
        raise ConfigError(f"cannot render {type(obj).__name__}")
    return result
