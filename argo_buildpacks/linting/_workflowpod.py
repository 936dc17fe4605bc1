"""The pod Argo's controller creates from one template, as plain data, per Argo release.

Built from ``workflow/controller/workflowpod.go`` (``createWorkflowPod``/``build``) of Argo
v3.6.19, v3.7.9, v4.0.10 and v4.1.2 and ``workflowpod_layout.go`` (4.1's opt-in init-less
layout); each rule below names the lines it follows (`SOURCE` has them per release). What
the workflow-controller's ConfigMap decides and no manifest shows (the init-less layout,
``archiveLogs``, the executor image and its ``securityContext``) is a `Controller` setting.

Not modelled: artifact plugins, Windows UNC paths, the image-index lookup of a missing
``command`` (kept as ``[]``), scheduling fields, and the values Argo fills in at run time
(node id, deadline, pod name): they change no container, mount or security context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from argo_buildpacks.linting._base import entries, mapping, text
from argo_buildpacks.linting._podpatch import PatchError, apply_patch, read_patch, tree_copy
from argo_buildpacks.linting._podsource import (
    DEFAULT,
    EXECUTOR_SA_MOUNT,
    MAX_ENV_VALUE,
    POD_KINDS,
    SOURCE,
    Controller,
    cite,
    template_kind,
    token_secret_name,
)
from argo_buildpacks.linting._size import template_json

__all__ = [
    "DEFAULT",
    "EXECUTOR_SA_MOUNT",
    "MAX_ENV_VALUE",
    "POD_KINDS",
    "SOURCE",
    "Controller",
    "Pod",
    "cite",
    "construct_pod",
    "template_kind",
    "token_secret_name",
]


@dataclass
class Pod:
    """The pod of one template.

    Attributes:
        template: the template's name.
        kind: its type (`POD_KINDS`).
        layout: ``"init+wait"`` or ``"supervisor"`` (4.1 init-less).
        spec: the pod spec the API server receives, the patches applied.
        patches: where each applied ``podSpecPatch`` came from, in order.
        added: containers a patch appended because the pod had none of that name
            (``containers/wait``): they have no image and the API server refuses the pod.
        patch_error: why a patch could not be applied (Argo fails the node).
        template_env: the bytes of ``ARGO_TEMPLATE`` (at least: the controller may add an
            archive location); over `MAX_ENV_VALUE` it is offloaded to a ConfigMap.
        executor_names: the names of Argo's own containers in this pod.
        notes: each rule applied, with the source lines it follows.
        errors: what makes Argo refuse to create the pod.
        account_error: the controller's refusal when no executor account is set and tokens
            are off; a template called by ``templateRef`` runs under its caller's settings.
    """

    template: str
    kind: str
    layout: str
    spec: dict[str, Any]
    patches: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    patch_error: str = ""
    template_env: int = 0
    executor_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    account_error: str = ""

    def containers(self) -> list[tuple[str, Mapping[str, Any]]]:
        """Every container, init containers first: ``(list name, container)``."""
        return [
            (key, c)
            for key in ("initContainers", "containers")
            for c in map(mapping, entries(self.spec.get(key)))
        ]

    def container(self, name: str) -> Mapping[str, Any] | None:
        """The container (or init container) called ``name``."""
        return next((c for _, c in self.containers() if c.get("name") == name), None)


def construct_pod(
    tmpl: Mapping[str, Any],
    spec: Mapping[str, Any],
    *,
    argo_version: tuple[int, int] = (4, 1),
    controller: Controller = DEFAULT,
) -> Pod:
    """The pod the controller creates for ``tmpl`` (a template of the WorkflowSpec ``spec``)
    under Argo ``argo_version`` and ``controller``.

    Raises:
        ValueError: ``tmpl`` is not a pod template (`POD_KINDS`), or the init-less layout
            is asked of a release before 4.1.
    """
    kind = template_kind(tmpl)
    if not kind:
        raise ValueError(f"template {text(tmpl.get('name'))!r} creates no pod")
    initless = controller.initless
    if initless and argo_version < (4, 1):
        raise ValueError("the init-less pod layout exists from Argo 4.1 on")
    v = argo_version
    pod = Pod(text(tmpl.get("name")), kind, "supervisor" if initless else "init+wait", {})
    note = pod.notes.append
    executor_sa = text(mapping(tmpl.get("executor")).get("serviceAccountName")) or text(
        mapping(spec.get("executor")).get("serviceAccountName")
    )
    exec_ctr = _executor_factory(kind, executor_sa, controller)

    volumes: list[dict[str, Any]] = [
        {"name": "var-run-argo", "emptyDir": {}},
        {"name": "tmp-dir-argo", "emptyDir": {}},
        *map(_plain, entries(tmpl.get("volumes"))),
    ]
    note(f"volumes var-run-argo, tmp-dir-argo, then the template's: {cite('volumes', v)}")
    if initless:
        volumes.append({"name": "argoexec-bin", "image": {"reference": controller.executor_image}})
        note(f"init-less: no init, a supervisor, argoexec-bin image volume: {cite('initless', v)}")
    pod_spec: dict[str, Any] = {"restartPolicy": "Never"}
    account = text(tmpl.get("serviceAccountName")) or text(spec.get("serviceAccountName"))
    if account:
        pod_spec["serviceAccountName"] = account
    automount = tmpl.get("automountServiceAccountToken", spec.get("automountServiceAccountToken"))
    if automount is False:
        pod_spec["automountServiceAccountToken"] = False
    if executor_sa:
        secret = token_secret_name(executor_sa)
        volumes.append({"name": "exec-sa-token", "secret": {"secretName": secret}})
        note(
            f"executor account {executor_sa}: its token Secret ({secret} unless the account "
            "names another: util/secrets/secret_name.go) as volume exec-sa-token, mounted in "
            f"Argo's containers only: {cite('sa-token', v)}, {cite('exec', v)}"
        )
    elif automount is False:
        pod.account_error = (
            "automountServiceAccountToken is false and no executor.serviceAccountName is set: "
            f"the controller refuses the pod ({cite('sa-token', v)})"
        )
    security = (
        tmpl.get("securityContext") if "securityContext" in tmpl else spec.get("securityContext")
    )
    if security is not None:
        pod_spec["securityContext"] = _plain(security)

    mains = _main_containers(tmpl, kind, exec_ctr)
    note(f"main containers named as Argo names them: {cite('main-name', v)}")
    needs_aux = kind not in ("resource", "data") or (
        kind == "resource" and v >= (3, 7) and controller.archive_logs
    )
    if initless and kind == "resource" and mapping(tmpl.get("resource")).get("manifestFrom"):
        needs_aux = True
    containers: list[dict[str, Any]] = []
    if needs_aux:
        aux = exec_ctr("supervisor" if initless else "wait")
        aux["command"] = ["argoexec", "supervisor" if initless else "wait"]
        if initless:
            aux["env"].append({"name": "ARGO_INITLESS_POD", "value": "true"})
        containers.append(aux)
    note(
        f"{'a ' + ('supervisor' if initless else 'wait') if needs_aux else 'no wait/supervisor'}"
        f" container for a {kind} template: {cite('aux', v)}"
    )
    containers.extend(mains)
    init: list[dict[str, Any]] = []
    if not initless:
        first = exec_ctr("init")
        first["command"] = ["argoexec", "init"]
        init.append(first)
        note(f"an init container for every pod template: {cite('init', v)}")
    pod_spec.update(containers=containers, initContainers=init)
    pod.executor_names = [str(c["name"]) for c in [*init, *containers[: int(needs_aux)]]]
    if kind in ("resource", "data"):
        pod.executor_names.append("main")  # argoexec itself runs the resource/data action

    _add_volume_references(pod_spec, volumes, tmpl, spec)
    _add_input_artifacts(pod_spec, volumes, tmpl, initless)
    if mapping(tmpl.get("inputs")).get("artifacts"):
        note(f"input artifacts on an emptyDir: {cite('artifacts', v)}")
    if kind == "script":
        volumes.append({"name": "argo-staging", "emptyDir": {}})
        staging = {"name": "argo-staging", "mountPath": "/argo/staging"}
        for c in [*init[:1], *[c for c in containers if c.get("name") in ("supervisor", "main")]]:
            c["volumeMounts"].append(dict(staging))
        note(f"script source staged on argo-staging: {cite('script', v)}")
    main = next((c for c in containers if c.get("name") == "main"), None)
    init.extend(_user(c, main) for c in entries(tmpl.get("initContainers")))
    containers.extend(_user(c, main) for c in entries(tmpl.get("sidecars")))
    if kind not in ("resource", "data"):
        _mirror_main_mounts(containers)
        note(f"main's mounts mirrored under /mainctrfs in Argo's sidecars: {cite('mirror', v)}")
    for c in init:
        c["volumeMounts"] = [*entries(c.get("volumeMounts")), dict(_VAR_RUN_ARGO)]
    pod.template_env = _template_env_size(tmpl)
    _add_env(init, containers, initless, needs_aux, pod.template_env)
    note(f"env of every container: {cite('env', v)}")
    pod_spec["volumes"] = volumes

    pod_spec = _patched(pod, pod_spec, tmpl, spec, v)
    _wrap(pod, pod_spec, controller, initless, needs_aux)
    note(
        f"user containers run through argoexec emissary, every container mounts "
        f"/var/run/argo read-write: {cite('emissary', v)}, {cite('var-run-argo', v)}"
    )
    if pod.template_env > MAX_ENV_VALUE:
        note(f"ARGO_TEMPLATE over {MAX_ENV_VALUE} bytes: offloaded to a ConfigMap: "
             f"{cite('offload', v)}")  # fmt: skip
    pod.spec = pod_spec
    return pod


_VAR_RUN_ARGO = {"name": "var-run-argo", "mountPath": "/var/run/argo"}
_EXECUTORS = ("init", "wait", "supervisor")
_TMP = "/tmp"  # noqa: S108 - the executor's own emptyDir (tmp-dir-argo), as Argo mounts it


def _field(path: str) -> dict[str, Any]:
    return {"fieldRef": {"fieldPath": path}}


def _plain(value: Any) -> dict[str, Any]:
    copied: dict[str, Any] = tree_copy(dict(mapping(value)))
    return copied


def _user(value: Any, main: Mapping[str, Any] | None) -> dict[str, Any]:
    """An Argo ``UserContainer`` as the Kubernetes container it becomes: with
    ``mirrorVolumeMounts``, main's mounts added to its own (workflowpod.go 1912-1937,
    ``mirrorVolumeMounts`` 2273-2281, v4.1.2)."""
    user = _plain(value)
    mirror = user.pop("mirrorVolumeMounts", None)
    if mirror is True and main is not None:
        user["volumeMounts"] = [
            *entries(user.get("volumeMounts")),
            *map(_plain, main["volumeMounts"]),
        ]
    return user


def _executor_factory(kind: str, executor_sa: str, controller: Controller) -> Any:
    def make(name: str) -> dict[str, Any]:
        sc = controller.executor_security_context
        ctr: dict[str, Any] = {
            "name": name,
            "image": controller.executor_image,
            "env": [
                {"name": "ARGO_POD_NAME", "valueFrom": _field("metadata.name")},
                {"name": "ARGO_POD_UID", "valueFrom": _field("metadata.uid")},
                {"name": "ARGO_WORKFLOW_NAME", "value": "<workflow>"},
                {"name": "ARGO_WORKFLOW_UID", "value": "<uid>"},
            ],
            "volumeMounts": [],
        }  # fmt: skip
        if sc is not None:
            ctr["securityContext"] = _plain(sc)
        elif kind == "resource":
            # Argo's own lock-down of resource pods (common.MinimalCtrSC).
            ctr["securityContext"] = {
                "capabilities": {"drop": ["ALL"]},
                "privileged": False,
                "runAsNonRoot": True,
                "runAsUser": 8737,
                "allowPrivilegeEscalation": False,
                "seccompProfile": {"type": "RuntimeDefault"},
                **({} if name in _EXECUTORS else {"readOnlyRootFilesystem": True}),
            }  # fmt: skip
        if executor_sa:
            ctr["volumeMounts"].append(
                {"name": "exec-sa-token", "mountPath": EXECUTOR_SA_MOUNT, "readOnly": True}
            )
        return ctr

    return make


def _main_containers(tmpl: Mapping[str, Any], kind: str, exec_ctr: Any) -> list[dict[str, Any]]:
    if kind == "containerSet":
        cset = mapping(tmpl.get("containerSet"))
        shared = [_plain(m) for m in entries(cset.get("volumeMounts"))]
        mains = []
        for c in map(_plain, entries(cset.get("containers"))):
            c.pop("dependencies", None)
            c["name"] = text(c.get("name")) or "main"
            c["volumeMounts"] = [*entries(c.get("volumeMounts")), *tree_copy(shared)]
            mains.append(c)
        return mains
    if kind in ("container", "script"):
        c = _plain(tmpl.get(kind))
        if kind == "script":
            c.pop("source", None)
            if text(mapping(tmpl.get("script")).get("source")):
                c["args"] = [*entries(c.get("args")), "/argo/staging/script"]
        c["name"] = "main"
        c["volumeMounts"] = list(entries(c.get("volumeMounts")))
        return [c]
    main: dict[str, Any] = exec_ctr("main")
    action = text(mapping(tmpl.get("resource")).get("action"))
    main["command"] = ["argoexec", kind, action] if kind == "resource" else ["argoexec", "data"]
    return [main]


def _add_volume_references(
    pod_spec: dict[str, Any],
    volumes: list[dict[str, Any]],
    tmpl: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> None:
    """Workflow volumes and claims a container mounts join the pod (addVolumeReferences)."""
    pool = [
        *entries(tmpl.get("volumes")),
        *entries(spec.get("volumes")),
        *({"name": text(mapping(c.get("metadata")).get("name")), "persistentVolumeClaim": {}}
          for c in map(mapping, entries(spec.get("volumeClaimTemplates")))),
    ]  # fmt: skip
    kind = template_kind(tmpl)
    body = mapping(tmpl.get(kind)) if kind in ("container", "script") else {}
    mounts = list(entries(body.get("volumeMounts")))
    if kind == "containerSet":
        cset = mapping(tmpl.get("containerSet"))
        mounts += entries(cset.get("volumeMounts"))
        for c in map(mapping, entries(cset.get("containers"))):
            mounts += entries(c.get("volumeMounts"))
    for c in map(mapping, [*entries(tmpl.get("initContainers")), *entries(tmpl.get("sidecars"))]):
        mounts += entries(c.get("volumeMounts"))
    have = {v.get("name") for v in volumes}
    for mount in map(mapping, mounts):
        name = text(mount.get("name"))
        if name in have:
            continue
        found = next((v for v in map(mapping, pool) if v.get("name") == name), None)
        if found is not None:
            volumes.append(_plain(found))
            have.add(name)


def _add_input_artifacts(
    pod_spec: dict[str, Any], volumes: list[dict[str, Any]], tmpl: Mapping[str, Any], initless: bool
) -> None:
    arts = [mapping(a) for a in entries(mapping(tmpl.get("inputs")).get("artifacts"))]
    if not arts:
        return
    volumes.append({"name": "input-artifacts", "emptyDir": {}})
    executor_mount = {"name": "input-artifacts", "mountPath": "/argo/inputs/artifacts"}
    for c in [*pod_spec["initContainers"][:1], *pod_spec["containers"]]:
        if c.get("name") == "init" or (initless and c.get("name") == "supervisor"):
            c["volumeMounts"].append(dict(executor_mount))
    for c in pod_spec["containers"]:
        if c.get("name") != "main":
            continue
        if initless:
            c["volumeMounts"].append(dict(executor_mount))
            continue
        for art in arts:
            path = text(art.get("path"))
            if not path:
                continue
            if any(_under(path, text(m.get("mountPath"))) for m in map(mapping, c["volumeMounts"])):
                continue  # the executor loads it into the overlapping volume instead
            c["volumeMounts"].append(
                {"name": "input-artifacts", "mountPath": path, "subPath": text(art.get("name"))}
            )


def _mirror_main_mounts(containers: list[dict[str, Any]]) -> None:
    main = next((c for c in containers if c.get("name") == "main"), None)
    if main is None:
        return
    for c in containers:
        if c.get("name") not in ("wait", "supervisor"):
            continue
        c["volumeMounts"] = list(entries(c.get("volumeMounts")))
        have = {m.get("mountPath") for m in map(mapping, c["volumeMounts"])}
        for m in map(_plain, main["volumeMounts"]):
            m["mountPath"] = "/mainctrfs/" + text(m.get("mountPath")).lstrip("/")
            m.pop("readOnly", None)  # Argo sets ReadOnly false on the mirror
            if m["mountPath"] not in have:
                have.add(m["mountPath"])
                c["volumeMounts"].append(m)


def _template_env_size(tmpl: Mapping[str, Any]) -> int:
    """``ARGO_TEMPLATE``: the template as JSON without its input parameters; Go's encoder
    writes ``<``, ``>`` and ``&`` as six-byte escapes. The same text `pod_template_size`
    measures (serialised once per lint: `template_json`)."""
    size, html, _, not_json = template_json(tmpl)
    if not_json:
        raise TypeError("the template holds a value that is not JSON")
    return size + 5 * html


def _add_env(
    init: list[dict[str, Any]],
    containers: list[dict[str, Any]],
    initless: bool,
    has_aux: bool,
    template_size: int,
) -> None:
    template = {"name": "ARGO_TEMPLATE", "value": f"<{template_size} bytes>"}
    common = [
        {"name": "ARGO_NODE_ID", "value": "<node id>"},
        {"name": "ARGO_INCLUDE_SCRIPT_OUTPUT", "value": "false"},
        {"name": "ARGO_DEADLINE", "value": "<deadline>"},
        {"name": "ARGO_WORKFLOW_NAME", "value": "<workflow>"},
    ]
    for c in init:
        c["env"] = [
            *entries(c.get("env")),
            {"name": "ARGO_CONTAINER_NAME", "value": c.get("name")},
            dict(template),
            *tree_copy(common),
        ]
    for c in containers:
        c["env"] = [
            *entries(c.get("env")),
            {"name": "ARGO_CONTAINER_NAME", "value": c.get("name")},
            *tree_copy(common),
        ]
        if c.get("name") == "supervisor" or (initless and not has_aux and c.get("name") == "main"):
            c["env"].append(dict(template))


def _patched(
    pod: Pod,
    pod_spec: dict[str, Any],
    tmpl: Mapping[str, Any],
    spec: Mapping[str, Any],
    v: tuple[int, int],
) -> dict[str, Any]:
    for where, patch in (("spec.podSpecPatch", spec), ("template podSpecPatch", tmpl)):
        raw = patch.get("podSpecPatch")
        if raw is None or raw == "":
            continue
        pod.patches.append(where)
        try:
            pod_spec, added = apply_patch(pod_spec, read_patch(text(raw)))
        except PatchError as exc:
            # Lint reports an unreadable patch once (_privileged); a templated one is read
            # only after Argo substitutes its {{...}}.
            pod.patch_error = f"{where}: {exc}"
            pod.notes.append(f"{where} not applied here ({exc}): {cite('patch', v)}")
            continue
        pod.added += [a for a in added if a not in pod.added]
    if pod.patches:
        pod.notes.append(f"podSpecPatch merged (workflow's, then template's): {cite('patch', v)}")
    return pod_spec


def _wrap(
    pod: Pod, pod_spec: dict[str, Any], controller: Controller, initless: bool, has_aux: bool
) -> None:
    binary = "/argo-bin/bin/argoexec" if initless else "/var/run/argo/argoexec"
    for i, c in enumerate(map(dict, entries(pod_spec.get("containers")))):
        c["volumeMounts"] = list(entries(c.get("volumeMounts")))
        c["env"] = list(entries(c.get("env")))
        if c.get("name") not in ("wait", "supervisor"):
            c["command"] = [binary, "emissary", "--", *entries(c.get("command"))]
            if initless:
                if has_aux:
                    c["env"].append({"name": "ARGO_WAIT_FOR_READY", "value": "true"})
                c["volumeMounts"].append(
                    {"name": "argoexec-bin", "mountPath": "/argo-bin", "readOnly": True}
                )
        if c.get("image") == controller.executor_image:
            c["volumeMounts"].append({"name": "tmp-dir-argo", "mountPath": _TMP, "subPath": str(i)})
        c["volumeMounts"].append(dict(_VAR_RUN_ARGO))
        pod_spec["containers"][i] = c


def _under(path: str, mount: str) -> bool:
    mount = mount.rstrip("/") or "/"
    return mount == "/" or path == mount or path.startswith(mount + "/")
