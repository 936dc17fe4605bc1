"""Compare a template manifest with what the Argo server stored, as the server stores it.

The server decodes a template into Go structs and encodes it back, so what comes back is
not what was sent, although it means the same:

- a field without ``omitempty`` that was left out comes back as its zero value: a
  container template's ``name: ""`` (Kubernetes' ``Container.Name``), ``source: ""`` of a
  script, a struct such as ``inputs: {}`` or a nil pointer as ``null``;
- a non-pointer field with ``omitempty`` that was sent as its zero value is left out: an
  env var's ``value: ""``, a volume mount's ``readOnly: false``.

For a non-pointer field the zero value and "absent" are therefore the same thing, and both
sides are compared with it removed. For a pointer field (``runAsNonRoot: false``, a
parameter's ``value: ""``, ``allowPrivilegeEscalation: false``) the zero value means
something and is kept. Fields this module does not know are compared as they are (only
``null``, ``{}`` and ``[]`` are dropped), so an unknown field can make an unchanged template
look changed (one extra update), never the other way round.

The field lists come from Argo v4.1.2's ``pkg/apis/workflow/v1alpha1`` and Kubernetes'
``core/v1`` types: ``S`` marks a non-pointer string, number or bool; ``P`` a pointer scalar
(kept as it is); a type name a nested struct; ``[T]`` a list of ``T``; ``MAP`` a map of
user keys (compared as it is: a label value ``""`` is a value); ``KEEP`` a pointer to a
struct whose empty form means something (``emptyDir: {}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["normalise", "same_template"]

S, P, MAP, KEEP = "S", "P", "MAP", "KEEP"
_SERVER_KEY_PREFIXES = ("workflows.argoproj.io/", "kubectl.kubernetes.io/")

_CONTAINER: dict[str, str] = {
    "name": S, "image": S, "command": "[S]", "args": "[S]", "workingDir": S,
    "ports": "[ContainerPort]", "env": "[EnvVar]", "envFrom": "[EnvFromSource]",
    "resources": "ResourceRequirements", "volumeMounts": "[VolumeMount]",
    "securityContext": "SecurityContext", "imagePullPolicy": S,
    "terminationMessagePath": S, "terminationMessagePolicy": S, "stdin": S, "stdinOnce": S,
    "tty": S, "restartPolicy": P,
    # Argo's ScriptTemplate, ContainerNode and UserContainer around the Container.
    "source": S, "dependencies": "[S]", "mirrorVolumeMounts": P,
}  # fmt: skip

TYPES: dict[str, dict[str, str]] = {
    "Manifest": {"metadata": "ObjectMeta", "spec": "WorkflowSpec"},
    "ObjectMeta": {
        "name": S, "namespace": S, "generateName": S, "labels": MAP, "annotations": MAP,
        "creationTimestamp": P,
    },
    "WorkflowSpec": {
        "templates": "[Template]", "entrypoint": S, "arguments": "Arguments",
        "serviceAccountName": S, "automountServiceAccountToken": P, "executor": "Executor",
        "volumes": "[Volume]", "volumeClaimTemplates": "[PVC]", "parallelism": P,
        "nodeSelector": MAP, "tolerations": "[Toleration]", "securityContext": "PodSecurity",
        "podGC": "PodGC", "ttlStrategy": "TTLStrategy", "activeDeadlineSeconds": P,
        "podSpecPatch": S, "onExit": S, "synchronization": "Synchronization",
        "podMetadata": "Metadata", "workflowMetadata": "WorkflowMetadata",
        "retryStrategy": "RetryStrategy", "priority": P, "schedulerName": S,
        "podPriorityClassName": S, "hostNetwork": P, "dnsPolicy": P, "archiveLogs": P,
        "imagePullSecrets": "[LocalObjectReference]", "shutdown": S, "suspend": P,
    },
    "Template": {
        "name": S, "inputs": "Inputs", "outputs": "Outputs", "nodeSelector": MAP,
        "metadata": "Metadata", "daemon": P, "steps": "[[WorkflowStep]]", "dag": "DAG",
        "container": "Container", "containerSet": "ContainerSet", "script": "Container",
        "volumes": "[Volume]", "initContainers": "[Container]", "sidecars": "[Container]",
        "activeDeadlineSeconds": P, "retryStrategy": "RetryStrategy", "parallelism": P,
        "failFast": P, "tolerations": "[Toleration]", "schedulerName": S,
        "priorityClassName": S, "serviceAccountName": S, "automountServiceAccountToken": P,
        "executor": "Executor", "securityContext": "PodSecurity", "podSpecPatch": S,
        "synchronization": "Synchronization", "timeout": S, "archiveLocation": P,
        "hostAliases": P, "memoize": P, "plugin": P, "http": P, "resource": P, "suspend": P,
        "data": P, "priority": P, "affinity": P,
    },
    "Container": _CONTAINER,
    "ContainerSet": {
        "containers": "[Container]", "volumeMounts": "[VolumeMount]",
        "retryStrategy": "ContainerSetRetry",
    },
    "ContainerSetRetry": {"duration": S, "retries": P},
    "ContainerPort": {"name": S, "hostPort": S, "containerPort": S, "protocol": S, "hostIP": S},
    "EnvVar": {"name": S, "value": S, "valueFrom": "EnvVarSource"},
    "EnvVarSource": {
        "fieldRef": "FieldRef", "resourceFieldRef": P, "configMapKeyRef": "KeyRef",
        "secretKeyRef": "KeyRef",
    },
    "FieldRef": {"apiVersion": S, "fieldPath": S},
    "KeyRef": {"name": S, "key": S, "optional": P},
    "EnvFromSource": {"prefix": S, "configMapRef": "OptionalRef", "secretRef": "OptionalRef"},
    "OptionalRef": {"name": S, "optional": P},
    "LocalObjectReference": {"name": S},
    "ResourceRequirements": {"limits": MAP, "requests": MAP, "claims": P},
    "VolumeMount": {
        "name": S, "readOnly": S, "recursiveReadOnly": P, "mountPath": S, "subPath": S,
        "mountPropagation": P, "subPathExpr": S,
    },
    "SecurityContext": {
        "capabilities": "Capabilities", "privileged": P, "seLinuxOptions": "SELinux",
        "windowsOptions": P, "runAsUser": P, "runAsGroup": P, "runAsNonRoot": P,
        "readOnlyRootFilesystem": P, "allowPrivilegeEscalation": P, "procMount": P,
        "seccompProfile": "Seccomp", "appArmorProfile": "Seccomp",
    },
    "PodSecurity": {
        "seLinuxOptions": "SELinux", "windowsOptions": P, "runAsUser": P, "runAsGroup": P,
        "runAsNonRoot": P, "supplementalGroups": "[S]", "supplementalGroupsPolicy": P,
        "fsGroup": P, "sysctls": "[Sysctl]", "fsGroupChangePolicy": P,
        "seccompProfile": "Seccomp", "appArmorProfile": "Seccomp", "seLinuxChangePolicy": P,
    },
    "Capabilities": {"add": "[S]", "drop": "[S]"},
    "SELinux": {"user": S, "role": S, "type": S, "level": S},
    "Seccomp": {"type": S, "localhostProfile": P},
    "Sysctl": {"name": S, "value": S},
    "Volume": {
        "name": S, "emptyDir": KEEP, "secret": "SecretVolume", "configMap": "ConfigMapVolume",
        "hostPath": "HostPath", "persistentVolumeClaim": "PVCSource", "projected": P,
        "downwardAPI": P, "ephemeral": P, "csi": P, "image": P,
    },
    "SecretVolume": {
        "secretName": S, "items": "[KeyToPath]", "defaultMode": P, "optional": P,
    },
    "ConfigMapVolume": {"name": S, "items": "[KeyToPath]", "defaultMode": P, "optional": P},
    "KeyToPath": {"key": S, "path": S, "mode": P},
    "HostPath": {"path": S, "type": P},
    "PVCSource": {"claimName": S, "readOnly": S},
    "PVC": {"metadata": "ObjectMeta", "spec": "PVCSpec", "status": P},
    "PVCSpec": {
        "accessModes": "[S]", "selector": P, "resources": "ResourceRequirements",
        "volumeName": S, "storageClassName": P, "volumeMode": P, "dataSource": P,
        "dataSourceRef": P, "volumeAttributesClassName": P,
    },
    "Toleration": {
        "key": S, "operator": S, "value": S, "effect": S, "tolerationSeconds": P,
    },
    "Arguments": {"parameters": "[Parameter]", "artifacts": "[Artifact]"},
    "Inputs": {"parameters": "[Parameter]", "artifacts": "[Artifact]"},
    "Outputs": {
        "parameters": "[Parameter]", "artifacts": "[Artifact]", "result": P, "exitCode": P,
    },
    "Parameter": {
        "name": S, "default": P, "value": P, "valueFrom": "ValueFrom", "globalName": S,
        "enum": "[S]", "description": P,
    },
    "ValueFrom": {
        "path": S, "jsonPath": S, "jqFilter": S, "event": S, "parameter": S,
        "supplied": P, "configMapKeyRef": "KeyRef", "default": P, "expression": S,
    },
    "Artifact": {"name": S, "path": S, "mode": P, "from": S, "optional": S, "globalName": S},
    "Metadata": {"annotations": MAP, "labels": MAP},
    "WorkflowMetadata": {"annotations": MAP, "labels": MAP, "labelsFrom": P},
    "Executor": {"serviceAccountName": S},
    "PodGC": {"strategy": S, "labelSelector": P, "deleteDelayDuration": S},
    "TTLStrategy": {
        "secondsAfterCompletion": P, "secondsAfterSuccess": P, "secondsAfterFailure": P,
    },
    "Synchronization": {
        "semaphores": P, "mutexes": "[Mutex]", "semaphore": P, "mutex": "Mutex",
    },
    "Mutex": {"name": S, "namespace": S, "database": S},
    "RetryStrategy": {
        "limit": P, "retryPolicy": S, "backoff": "Backoff", "affinity": P, "expression": S,
    },
    "Backoff": {"duration": S, "factor": P, "maxDuration": S, "cap": S},
    "WorkflowStep": {
        "name": S, "template": S, "inline": P, "arguments": "Arguments",
        "templateRef": "TemplateRef", "withItems": P, "withParam": S, "withSequence": P,
        "when": S, "continueOn": "ContinueOn", "onExit": S, "hooks": P,
    },
    "DAG": {"target": S, "tasks": "[DAGTask]", "failFast": P},
    "DAGTask": {
        "name": S, "template": S, "inline": P, "arguments": "Arguments",
        "templateRef": "TemplateRef", "dependencies": "[S]", "withItems": P, "withParam": S,
        "withSequence": P, "when": S, "continueOn": "ContinueOn", "onExit": S, "depends": S,
        "hooks": P,
    },
    "TemplateRef": {"name": S, "template": S, "clusterScope": S},
    "ContinueOn": {"error": S, "failed": S},
}  # fmt: skip

_ZERO = ("", 0, False)


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def normalise(value: Any, kind: str | None = "Manifest") -> Any:
    """``value`` with what the server's Go types make equivalent taken out.

    Args:
        value: a manifest or a part of one.
        kind: its type in `TYPES`, ``"[T]"`` for a list of them, ``MAP`` for a map of user
            keys, or ``None`` (unknown: only ``null``, ``{}`` and ``[]`` are dropped).
    """
    if isinstance(value, list):
        inner = kind[1:-1] if kind is not None and kind.startswith("[") else None
        return [normalise(item, inner) for item in value]
    if not isinstance(value, dict):
        return value
    if kind == MAP:
        return {key: item for key, item in value.items() if item is not None}
    fields = TYPES.get(kind or "", {})
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = fields.get(key)
        if field == S:
            # A non-pointer scalar: its zero value and "absent" are one thing to Go.
            if item is not None and not (isinstance(item, (str, int)) and not item):
                out[key] = item
            continue
        if field == KEEP:
            if item is not None:
                out[key] = normalise(item, None)
            continue
        item = normalise(item, None if field == P else field)
        if not _empty(item):
            out[key] = item
    return out


def _user_keys(obj: Mapping[str, Any], field: str) -> dict[str, Any]:
    values = (obj.get("metadata") or {}).get(field) or {}
    return {k: v for k, v in values.items() if not k.startswith(_SERVER_KEY_PREFIXES)}


def same_template(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Whether the server's template already has the desired spec, labels and annotations."""
    return (
        normalise(current.get("spec"), "WorkflowSpec")
        == normalise(desired.get("spec"), "WorkflowSpec")
        and _user_keys(current, "labels") == _user_keys(desired, "labels")
        and _user_keys(current, "annotations") == _user_keys(desired, "annotations")
    )
