"""The Pod Security Standard "restricted" (Kubernetes v1.30 pod security admission), per pod
that a template creates, for ``lint(..., restricted=True)``.

`argo_buildpacks.linting._privileged.privileged_issues` finds what gives root on the
node; this adds what "restricted" asks beyond that: every container drops ALL capabilities
and forbids privilege escalation, runs as non-root under a RuntimeDefault or Localhost
seccomp profile, uses no host port, and the pod uses only the allowed volume types. Argo's
own containers (init, wait) get a restricted securityContext only from a ``podSpecPatch`` or
the controller's ``executor.securityContext``, which lint cannot see: they are checked in the
pod Argo builds (`argo_buildpacks.linting._workflowpod`, the patches merged), and where they
are not restricted a warning says how to configure the controller.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks.linting._base import Issue, describe, entries, key_path, mapping, text
from argo_buildpacks.linting._templates import LEAF_TYPES
from argo_buildpacks.linting._workflowpod import construct_pod, template_kind

_VOLUME_TYPES = (
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
)  # fmt: skip
_SECCOMP = ("RuntimeDefault", "Localhost")
_POD_TEMPLATE_TYPES = ("container", "script", "containerSet")


_SELINUX_TYPES = ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
_SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
)  # fmt: skip


_EXECUTOR_HINT = (
    "Argo's own init and wait containers run without allowPrivilegeEscalation: false and "
    "capabilities drop ALL unless the workflow-controller-configmap sets "
    "executor.securityContext (allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, "
    "runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}) or a podSpecPatch here sets "
    "them for init and wait (argo-buildpacks templates do, with executor_security: patch)"
)


def _unrestricted_executors(spec: Mapping[str, Any]) -> list[str]:
    """Argo's own containers (init, wait, and the argoexec main of a resource or data pod)
    that "restricted" would refuse in the pods the controller builds from ``spec``
    (`argo_buildpacks.linting._workflowpod`: the podSpecPatch merged as Argo merges it)."""
    found = []
    for tmpl in map(mapping, entries(spec.get("templates"))):
        if not template_kind(tmpl):
            continue
        pod = construct_pod(tmpl, spec)
        for name in pod.executor_names:
            # What only a container's own securityContext can set; runAsNonRoot and seccomp
            # come from the pod too, checked with the template's pod securityContext.
            sc = mapping((pod.container(name) or {}).get("securityContext"))
            drop = [str(c) for c in entries(mapping(sc.get("capabilities")).get("drop"))]
            if sc.get("allowPrivilegeEscalation") is not False or "ALL" not in drop:
                found.append(f"{text(tmpl.get('name'))}/{name}")
    return found


def restricted_issues(spec: Mapping[str, Any], spec_path: str) -> Iterator[Issue]:
    """What the "restricted" profile refuses in the pods of a WorkflowSpec."""
    pods = [
        t
        for t in map(mapping, entries(spec.get("templates")))
        if any(t.get(k) is not None for k in _POD_TEMPLATE_TYPES)
    ]
    unrestricted = _unrestricted_executors(spec) if pods else []
    if unrestricted:
        yield Issue(
            key_path(spec_path, "podSpecPatch"),
            f"{_EXECUTOR_HINT} (not restricted in the pods Argo builds: "
            f"{', '.join(unrestricted[:6])}{' and more' if len(unrestricted) > 6 else ''})",
            "warning",
        )
    yield from _volumes(spec.get("volumes"), key_path(spec_path, "volumes"))
    pod_default = mapping(spec.get("securityContext"))
    for i, tmpl in enumerate(map(mapping, entries(spec.get("templates")))):
        path = f"{spec_path}.templates[{i}]"
        ttype = next((t for t in _POD_TEMPLATE_TYPES if tmpl.get(t) is not None), "")
        if not ttype and not any(tmpl.get(t) is not None for t in LEAF_TYPES):
            continue
        yield from _volumes(tmpl.get("volumes"), key_path(path, "volumes"))
        if not ttype:
            continue  # resource, data, http, plugin: only Argo's own containers
        pod = mapping(tmpl.get("securityContext")) if "securityContext" in tmpl else pod_default
        pod_where = (
            key_path(path, "securityContext")
            if "securityContext" in tmpl
            else key_path(spec_path, "securityContext")
        )
        yield from _baseline(pod, pod_where)
        yield from _sysctls(pod, pod_where)
        for where, container in _containers(tmpl, path, ttype):
            yield from _container(container, where, pod, pod_where)
            yield from _baseline(
                mapping(container.get("securityContext")), key_path(where, "securityContext")
            )


def _containers(
    tmpl: Mapping[str, Any], path: str, ttype: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if ttype == "containerSet":
        for j, c in enumerate(entries(mapping(tmpl.get("containerSet")).get("containers"))):
            yield f"{path}.containerSet.containers[{j}]", mapping(c)
    else:
        yield key_path(path, ttype), mapping(tmpl.get(ttype))
    for key in ("initContainers", "sidecars"):
        for j, c in enumerate(entries(tmpl.get(key))):
            yield f"{path}.{key}[{j}]", mapping(c)


def _baseline(security: Mapping[str, Any], where: str) -> Iterator[Issue]:
    """What "baseline" (and so "restricted") refuses in a pod's or container's
    securityContext besides root: SELinux types and users, AppArmor, procMount."""
    selinux = mapping(security.get("seLinuxOptions"))
    if text(selinux.get("type")) not in _SELINUX_TYPES:
        yield Issue(
            f"{where}.seLinuxOptions.type",
            f"seLinuxOptions.type {describe(selinux.get('type'))} is refused; allowed: "
            f"{', '.join(t for t in _SELINUX_TYPES if t)}",
        )
    for field in ("user", "role"):
        if selinux.get(field):
            yield Issue(
                f"{where}.seLinuxOptions.{field}",
                f"seLinuxOptions.{field} {describe(selinux.get(field))} must not be set",
            )
    apparmor = mapping(security.get("appArmorProfile")).get("type")
    if apparmor == "Unconfined":
        yield Issue(
            f"{where}.appArmorProfile.type",
            'appArmorProfile.type "Unconfined" is refused; allowed: RuntimeDefault, Localhost',
        )
    if security.get("procMount") not in (None, "Default"):
        yield Issue(
            f"{where}.procMount",
            f"procMount {describe(security.get('procMount'))} is refused; allowed: Default",
        )


def _sysctls(pod: Mapping[str, Any], where: str) -> Iterator[Issue]:
    for i, sysctl in enumerate(map(mapping, entries(pod.get("sysctls")))):
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            yield Issue(
                f"{where}.sysctls[{i}].name",
                f"sysctl {describe(sysctl.get('name'))} is not one of the safe sysctls the Pod "
                "Security Standards allow",
            )


def _volumes(volumes: Any, where: str) -> Iterator[Issue]:
    for i, volume in enumerate(map(mapping, entries(volumes))):
        kinds = [str(k) for k in volume if k != "name"]
        bad = [k for k in kinds if k not in _VOLUME_TYPES]
        if bad:
            yield Issue(
                f"{where}[{i}]",
                f'volume "{text(volume.get("name"))}" is of type {", ".join(bad)}, which the '
                f'"restricted" Pod Security Standard refuses; allowed: {", ".join(_VOLUME_TYPES)}',
            )


def _container(
    container: Mapping[str, Any], where: str, pod: Mapping[str, Any], pod_where: str
) -> Iterator[Issue]:
    name = text(container.get("name"))
    label = f'container "{name}"' if name else "the container"
    sc_path = key_path(where, "securityContext")
    sc = mapping(container.get("securityContext"))
    if sc.get("allowPrivilegeEscalation") is not False:
        yield Issue(
            key_path(sc_path, "allowPrivilegeEscalation"),
            f"{label}: allowPrivilegeEscalation is {describe(sc.get('allowPrivilegeEscalation'))}"
            '; "restricted" requires false',
        )
    capabilities = mapping(sc.get("capabilities"))
    if "ALL" not in [str(c) for c in entries(capabilities.get("drop"))]:
        yield Issue(
            key_path(key_path(sc_path, "capabilities"), "drop"),
            f'{label} does not drop ALL capabilities; "restricted" requires drop: [ALL]',
        )
    extra = [str(c) for c in entries(capabilities.get("add")) if c != "NET_BIND_SERVICE"]
    if extra:
        yield Issue(
            key_path(key_path(sc_path, "capabilities"), "add"),
            f'{label} adds {", ".join(extra)}; "restricted" allows only NET_BIND_SERVICE',
        )
    non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
    if non_root is not True:
        yield Issue(
            key_path(sc_path, "runAsNonRoot"),
            f"{label}: runAsNonRoot is {describe(non_root)} (container and pod, "
            f'{pod_where}); "restricted" requires true',
        )
    seccomp = mapping(sc.get("seccompProfile")) or mapping(pod.get("seccompProfile"))
    if seccomp.get("type") not in _SECCOMP:
        yield Issue(
            key_path(key_path(sc_path, "seccompProfile"), "type"),
            f"{label}: seccompProfile.type is {describe(seccomp.get('type'))} (container and "
            f'pod); "restricted" requires {" or ".join(_SECCOMP)}',
        )
    for j, port in enumerate(map(mapping, entries(container.get("ports")))):
        if port.get("hostPort") not in (None, 0):
            yield Issue(
                f"{where}.ports[{j}].hostPort",
                f'{label} uses hostPort {describe(port.get("hostPort"))}; "restricted" allows none',
            )
