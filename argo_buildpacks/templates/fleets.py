"""A fleet: every config in a directory kept patched by one workflow.

`fleet` renders the WorkflowTemplate ``<name>`` (default ``fleet``) whose ``main`` starts
each app's rebase (`argo_buildpacks.templates.rebase.rebase_template`, installed with
it) as a Workflow of its own and waits for it, at most ``parallelism`` at a time. One app's
failure stops no other: each app's step succeeds once its run has finished, whatever its
phase, and ``continueOn: {failed: true}`` keeps the others going even when a run cannot
be started. A last step (``scripts/fleet_summary.sh``) writes the ``summary`` output, one
tab-separated line per app: app, phase, action (``rebased``, ``unchanged``, ``rebuild``),
old digest, new digest, reason; ``argo-buildpacks fleet status`` shows it as a table.

`fleet_manifests` is everything ``argo-buildpacks fleet render DIR`` writes: each app's
objects (`argo_buildpacks.templates.rbac.release_manifests`, with a ``rebase`` section added where
the config has none), the fleet's ServiceAccount (with its token Secret), Role and
RoleBinding, its template and,
with a schedule, its CronWorkflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argo_buildpacks._kits import names as v
from argo_buildpacks._kits.cron import cron_expression
from argo_buildpacks.components._pod import executor_patch
from argo_buildpacks.components.rebase import rebase_template_name
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.rebase import RebaseConfig
from argo_buildpacks.templates.rbac import release_manifests, token_secret

__all__ = [
    "REASON_MAX",
    "FleetError",
    "FleetRow",
    "fleet",
    "fleet_cron_workflow",
    "fleet_manifests",
    "load_fleet",
    "parse_summary",
]

_API = "argoproj.io/v1alpha1"
_UID = 65532
_MANAGED = {"app.kubernetes.io/managed-by": "argo-buildpacks"}
#: What each app's run reports (the rebase template's global outputs).
_OUTPUTS = ("action", "old-digest", "new-digest", "reason")
#: The longest reason the summary passes on (bytes); fleet_summary.sh cuts to the same.
REASON_MAX = 500


class FleetError(ConfigError):
    """One or more configs of a fleet directory are bad: `problems` has one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FleetRow:
    """One app's line of a fleet run's ``summary``."""

    app: str
    phase: str
    action: str
    old_digest: str
    new_digest: str
    reason: str


def load_fleet(directory: str | Path) -> list[BuildConfig]:
    """Every config (``*.yaml``, ``*.yml``) in ``directory``, sorted by file name.

    Raises:
        FleetError: the directory is missing or has no config, a config is bad, or two
            configs have the same name; one line per problem, naming the file.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FleetError([f"{root}: not a directory (give the directory of the fleet's configs)"])
    files = sorted(p for p in root.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not files:
        raise FleetError([f"{root}: no *.yaml or *.yml config in the directory"])
    configs: list[BuildConfig] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            config = BuildConfig.from_file(path)
        except ConfigError as exc:
            text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            problems.append(f"{path}: {text.replace(f'{path}: ', '')}")
            continue
        if config.name in seen:
            problems.append(
                f"{path}: name {config.name!r} is also the name in {seen[config.name]}; "
                "every app of a fleet needs its own name"
            )
            continue
        seen[config.name] = path
        configs.append(config)
    if problems:
        raise FleetError(problems)
    return configs


def _checked(
    configs: Iterable[BuildConfig], namespace: str | None
) -> tuple[list[BuildConfig], str]:
    apps = list(configs)
    if not apps or not all(isinstance(c, BuildConfig) for c in apps):
        raise ConfigError("fleet: configs must be a non-empty list of BuildConfig")
    names = [c.name for c in apps]
    if len(set(names)) != len(names):
        raise ConfigError(f"fleet: app names must be unique, got {names}")
    ns = namespace or apps[0].namespace
    other = [c.name for c in apps if c.namespace != ns]
    if other:
        raise ConfigError(
            f"fleet: every app must be in namespace {ns!r} (the fleet's); {other} are not"
        )
    return apps, ns


def _step_name(app: str) -> str:
    return f"app-{app}"[:63].rstrip("-")


def _schedule_of(apps: Sequence[BuildConfig]) -> str | None:
    schedules = {c.rebase.schedule for c in apps if c.rebase and c.rebase.schedule}
    if len(schedules) > 1:
        raise ConfigError(
            f"fleet: the apps' rebase.schedule values differ ({sorted(schedules)}); give the "
            "fleet's own schedule (schedule=..., --schedule)"
        )
    return next(iter(schedules), None)


def fleet(
    configs: Iterable[BuildConfig],
    *,
    name: str = "fleet",
    namespace: str | None = None,
    parallelism: int = 4,
) -> dict[str, Any]:
    """The fleet's WorkflowTemplate (a manifest dict): rebase or rebuild every app, at most
    ``parallelism`` at a time, one app's failure stopping no other, then a ``summary``.

    Args:
        configs: the apps (each needs its rebase template installed: `fleet_manifests`).
        name: the template's name.
        namespace: where it runs (default: the apps' namespace; all apps must share it).
        parallelism: how many apps' runs at most at once (1 to 100).

    Raises:
        ConfigError: no configs, duplicate names, apps in other namespaces, a bad name or
            parallelism.
    """

    v.dns_label(name, what="fleet name", max_length=52)
    if (
        not isinstance(parallelism, int)
        or isinstance(parallelism, bool)
        or not (1 <= parallelism <= 100)
    ):
        raise ConfigError(f"fleet parallelism {parallelism!r} must be a whole number from 1 to 100")
    apps, ns = _checked(configs, namespace)
    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": _UID,
        "runAsGroup": _UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    templates: list[dict[str, Any]] = []
    group: list[dict[str, Any]] = []
    summary_args: list[str] = []
    summary_inputs: list[dict[str, Any]] = []
    summary_passed: list[dict[str, Any]] = []
    for app in apps:
        step = _step_name(app.name)
        manifest = {
            "apiVersion": _API,
            "kind": "Workflow",
            "metadata": {
                "generateName": f"{app.name[:50].rstrip('-')}-rebase-",
                "namespace": ns,
                "labels": {"argo-buildpacks.io/app": app.name, "argo-buildpacks.io/fleet": name},
            },
            "spec": {"workflowTemplateRef": {"name": rebase_template_name(app)}},
        }
        outputs = [{"name": "phase", "valueFrom": {"jsonPath": "{.status.phase}"}}] + [
            {
                "name": out,
                "valueFrom": {
                    "jsonPath": '{.status.outputs.parameters[?(@.name=="' + out + '")].value}',
                    "default": "",
                },
            }
            for out in _OUTPUTS
        ]
        templates.append(
            {
                "name": step,
                "resource": {
                    "action": "create",
                    "manifest": json.dumps(manifest, indent=2, sort_keys=True),
                    "setOwnerReference": True,
                    # Finished, whatever the phase: the summary reports it.
                    "successCondition": "status.phase in (Succeeded, Failed, Error)",
                },
                "outputs": {"parameters": outputs},
            }
        )
        group.append({"name": step, "template": step, "continueOn": {"failed": True}})
        # Step outputs reach the summary as its inputs (values, never script text).
        summary_args.append(app.name)
        for out in ("phase", *_OUTPUTS):
            param = f"{step}-{out}"
            summary_inputs.append({"name": param})
            value = "{{steps." + step + ".outputs.parameters." + out + "}}"
            if out == "reason":
                # A reason of any size (an older rebase template's, or one edited by hand)
                # could not reach the summary as an argument: one argument over 128 KiB
                # (Linux MAX_ARG_STRLEN) and the container cannot even start. The
                # controller cuts it first (an expression: util/template/template.go,
                # sprig's trunc, in bytes); the script cuts it again to REASON_MAX.
                value = (
                    "{{=sprig.trunc("
                    + str(REASON_MAX)
                    + ", steps['"
                    + step
                    + "'].outputs.parameters.reason)}}"
                )
            summary_passed.append({"name": param, "value": value})
            summary_args.append("{{inputs.parameters." + param + "}}")
    shell = str(apps[0].images.shell)
    templates.append(
        {
            "name": "summary",
            "inputs": {"parameters": summary_inputs},
            "container": {
                "name": "main",
                "image": shell,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/sh", "-c", load("fleet_summary.sh"), "fleet-summary"],
                "args": summary_args,
                "env": [{"name": "OUT", "value": "/tmp/summary.tsv"}],  # noqa: S108 - emptyDir
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
                "securityContext": {**restricted, "readOnlyRootFilesystem": True},
                "resources": {
                    "requests": {"cpu": "10m", "memory": "16Mi"},
                    "limits": {"memory": "64Mi"},
                },
            },
            "volumes": [{"name": "tmp", "emptyDir": {}}],
            "automountServiceAccountToken": False,
            # Only here: the per-app steps are resource pods, which have no wait container
            # for a workflow-wide patch to name (Argo restricts their own containers).
            "podSpecPatch": executor_patch(),
            "outputs": {
                "parameters": [
                    {
                        "name": "summary",
                        "valueFrom": {"path": "/tmp/summary.tsv"},  # noqa: S108
                        "globalName": "summary",
                    }
                ]
            },
        }
    )
    main = {
        "name": "main",
        "parallelism": parallelism,
        "steps": [
            group,
            [
                {
                    "name": "summary",
                    "template": "summary",
                    "arguments": {"parameters": summary_passed},
                }
            ],
        ],
    }
    return {
        "apiVersion": _API,
        "kind": "WorkflowTemplate",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {**_MANAGED, "argo-buildpacks.io/fleet": name},
        },
        "spec": {
            "entrypoint": "main",
            "parallelism": parallelism,
            "serviceAccountName": name,
            "automountServiceAccountToken": False,
            "executor": {"serviceAccountName": name},
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": _UID,
                "runAsGroup": _UID,
                "fsGroup": _UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "activeDeadlineSeconds": 6 * 3600,
            "podGC": {"strategy": "OnPodSuccess"},
            "ttlStrategy": {"secondsAfterSuccess": 7 * 86400, "secondsAfterFailure": 7 * 86400},
            "templates": [main, *templates],
        },
    }


def fleet_cron_workflow(name: str, namespace: str, schedule: str) -> dict[str, Any]:
    """The CronWorkflow that runs the fleet ``name`` on ``schedule`` (never two at once).

    Raises:
        ConfigError: ``schedule`` is not a cron expression.
    """

    try:
        cron_expression(schedule, what="fleet schedule")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return {
        "apiVersion": _API,
        "kind": "CronWorkflow",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**_MANAGED, "argo-buildpacks.io/fleet": name},
        },
        "spec": {
            "schedules": [schedule],
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "workflowSpec": {"workflowTemplateRef": {"name": name}},
        },
    }


def _fleet_rbac(name: str, namespace: str, apps: Sequence[BuildConfig]) -> list[dict[str, Any]]:

    meta = {
        "name": name,
        "namespace": namespace,
        "labels": {**_MANAGED, "argo-buildpacks.io/fleet": name},
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        # The fleet's account is its workflow's executor account too: its token Secret.
        token_secret(name, namespace, {**_MANAGED, "argo-buildpacks.io/fleet": name}),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflows"],
                    "verbs": ["create", "get", "list", "watch"],
                },
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtemplates"],
                    "resourceNames": [rebase_template_name(c) for c in apps],
                    "verbs": ["get"],
                },
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
    ]


def fleet_manifests(
    configs: Iterable[BuildConfig],
    *,
    name: str = "fleet",
    namespace: str | None = None,
    parallelism: int = 4,
    schedule: str | None = None,
) -> list[dict[str, Any]]:
    """Everything a fleet needs, in ``kubectl apply`` order: each app's objects (its build
    and rebase templates, RBAC, triggers), the fleet's RBAC, template and (with
    ``schedule``, default the apps' common ``rebase.schedule``) CronWorkflow.

    Raises:
        ConfigError: as `fleet`, or the apps' schedules differ and none was given.
    """

    apps, ns = _checked(configs, namespace)
    template = fleet(apps, name=name, namespace=ns, parallelism=parallelism)
    docs: list[dict[str, Any]] = []
    for app in apps:
        try:
            with_rebase = app if app.rebase else app.model_copy(update={"rebase": RebaseConfig()})
        except ConfigError as exc:  # the default rebase.tag 'latest' is one it never pushes
            raise ConfigError(
                f"fleet: app {app.name!r} has no rebase section, so the fleet would rebase its "
                f"'latest'; add a rebase section naming a tag its builds push ({exc})"
            ) from None
        # The app's own CronWorkflow would run it twice: the fleet's schedules it.
        docs += [
            d
            for d in release_manifests(with_rebase)
            if not (d["kind"] == "CronWorkflow" and d["metadata"]["name"].endswith("-rebase"))
        ]
    docs += [*_fleet_rbac(name, ns, apps), template]
    cron = schedule or _schedule_of(apps)
    if cron:
        docs.append(fleet_cron_workflow(name, ns, cron))
    return docs


def parse_summary(text: str) -> list[FleetRow]:
    """The rows of a fleet run's ``summary`` output (tab-separated lines of six fields);
    lines of another shape are skipped."""
    rows = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 6:
            rows.append(FleetRow(*fields))
    return rows
