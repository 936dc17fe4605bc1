"""Argo's per-template rules (``validateTemplate``, ``validateLeaf``, ``validateOutputs``,
``validateArguments`` of ``workflow/validate/validate.go`` v4.1.2, and
``ContainerSetTemplate.Validate``), plus what the controller or Kubernetes would refuse at
run time for the same template: a volume a containerSet pod never gets, DNS-1123 container
names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from argo_buildpacks._kits import yaml_io
from argo_buildpacks._kits.names import (
    is_dns_label,
    is_dns_subdomain,
    is_label_name,
    is_label_value,
)
from argo_buildpacks.linting._base import (
    PARAM_NAME,
    POD_TYPES,
    Issue,
    describe,
    entries,
    field_name_problem,
    key_path,
    listing,
    mapping,
    names_of,
    template_type,
    text,
)
from argo_buildpacks.linting._dag import find_cycles

#: Template types that run as a leaf (Argo's Template.IsLeaf).
LEAF_TYPES = frozenset({*POD_TYPES, "http", "plugin"})
_RESERVED_CONTAINERS = ("wait", "supervisor")
_RESERVED_PREFIX = "artifact-plugin-"
_POD_RESOURCES = ("cpu", "memory")
_ARTIFACT_LOCATIONS = (
    "s3", "git", "http", "artifactory", "hdfs", "raw", "oss", "gcs", "azure", "plugin",
)  # fmt: skip
_OUTPUT_SOURCES = ("path", "jqFilter", "jsonPath", "parameter", "expression", "supplied")
# prometheus/common/model LegacyValidation, without ':' (Argo's IsValidMetricName).
_METRIC_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_PARAMETER = re.compile(r"\{\{[-a-zA-Z0-9]+(\.[-a-zA-Z0-9_]+)*\}\}")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def is_parameter(value: str) -> bool:
    """Argo's isParameter: the value contains a simple ``{{a.b.c}}`` tag."""
    return bool(_PARAMETER.search(value))


def check_template_rules(
    tmpl: Mapping[str, Any],
    path: str,
    defaults: Mapping[str, Any],
    claim_names: frozenset[str],
) -> Iterator[Issue]:
    """Argo's rules for one template.

    Args:
        tmpl: the template.
        path: where it is.
        defaults: the manifest's ``spec.templateDefaults``.
        claim_names: the workflow-level volumes and volumeClaimTemplates by name (for the
            containerSet pod check).
    """
    ttype = template_type(tmpl)
    leaf = ttype in LEAF_TYPES
    yield from _check_pod_resources(tmpl, path, ttype)
    if tmpl.get("resourceClaims") and ttype and ttype not in POD_TYPES:
        yield Issue(
            key_path(path, "resourceClaims"),
            f"resourceClaims are not supported on {ttype} templates, which create no pod; "
            f"allowed on {', '.join(sorted(POD_TYPES))} templates",
        )
    for field in ("timeout", "pendingTimeout"):
        value = tmpl.get(field)
        if value in (None, "") or not ttype:
            continue
        if not leaf:
            yield Issue(
                key_path(path, field),
                f"{field} is not supported on {ttype} templates, only on leaf templates "
                f"({', '.join(sorted(LEAF_TYPES))})",
            )
        elif field == "timeout" and isinstance(value, str) and _INT.match(value.strip()):
            yield Issue(
                key_path(path, field),
                f'timeout "{value}" is a bare number; write a duration such as "{value}s"',
            )
    yield from _check_input_artifacts(tmpl, path, leaf, ttype)
    for i, container in enumerate(entries(tmpl.get("initContainers"))):
        if mapping(container).get("name") == "":  # missing: a missing required field
            yield Issue(f"{path}.initContainers[{i}].name", "an init container needs a name")
    for i, sidecar in enumerate(entries(tmpl.get("sidecars"))):
        sidecar_name = text(mapping(sidecar).get("name"))
        if _is_reserved(sidecar_name):
            yield Issue(f"{path}.sidecars[{i}].name", _reserved(sidecar_name))
    for key in ("sidecars", "initContainers"):
        for i, container in enumerate(entries(tmpl.get(key))):
            container_name = text(mapping(container).get("name"))
            if container_name and not is_dns_label(container_name):
                yield Issue(f"{path}.{key}[{i}].name", _not_dns_label(container_name))
    if ttype in ("steps", "dag"):
        if tmpl.get("activeDeadlineSeconds") is not None:
            yield Issue(
                key_path(path, "activeDeadlineSeconds"),
                f"activeDeadlineSeconds is only valid on leaf templates, not on a {ttype} "
                "template: set it on the templates it calls, or spec.activeDeadlineSeconds",
            )
    elif ttype:
        # validate.go runs validateLeaf for every other type, suspend included.
        yield from _check_leaf(tmpl, path, ttype, defaults, claim_names)
    yield from check_volume_names(tmpl.get("volumes"), key_path(path, "volumes"))
    yield from check_outputs(tmpl, path, ttype)
    archive = tmpl.get("archiveLocation")
    if isinstance(archive, Mapping):
        yield from check_artifact_location(archive, key_path(path, "archiveLocation"))
    yield from _check_metrics(tmpl, path)


def check_volume_names(volumes: Any, where: str) -> Iterator[Issue]:
    """Kubernetes wants each volume name a DNS-1123 label, unique in the pod."""
    seen: set[str] = set()
    for i, name in enumerate(names_of(volumes)):
        if name and not is_dns_label(name):
            yield Issue(
                f"{where}[{i}].name",
                f'volume name "{name}" is not a DNS-1123 label (at most 63 lower-case '
                "alphanumerics and '-', starting and ending with an alphanumeric): Kubernetes "
                "refuses the pod",
            )
        elif name in seen:
            yield Issue(f"{where}[{i}].name", f'volume name "{name}" is not unique')
        seen.add(name)


def _not_dns_label(name: str) -> str:
    return (
        f'container name "{name}" is not a DNS-1123 label (at most 63 lower-case '
        "alphanumerics and '-', starting and ending with an alphanumeric): Kubernetes refuses "
        "the pod"
    )


def _is_reserved(name: str) -> bool:
    return name in _RESERVED_CONTAINERS or name.startswith(_RESERVED_PREFIX)


def _reserved(name: str) -> str:
    return (
        f'container name "{name}" is reserved for Argo\'s own containers (wait, supervisor, '
        f"{_RESERVED_PREFIX}*): rename it"
    )


def _check_pod_resources(holder: Mapping[str, Any], path: str, ttype: str) -> Iterator[Issue]:
    resources = holder.get("podResources")
    if not isinstance(resources, Mapping):
        return
    where = key_path(path, "podResources")
    if ttype in ("http", "plugin"):
        yield Issue(
            where,
            f"podResources is not supported on {ttype} templates: they run on the shared agent pod",
        )
    if resources.get("claims"):
        yield Issue(
            key_path(where, "claims"),
            "claims are not supported in pod-level resources (allowed: limits, requests)",
        )
    for kind in ("limits", "requests"):
        for resource in mapping(resources.get(kind)):
            if resource not in _POD_RESOURCES and not str(resource).startswith("hugepages-"):
                yield Issue(
                    key_path(key_path(where, kind), resource),
                    f'"{resource}" is not a pod-level resource; allowed: cpu, memory, hugepages-*',
                )


def check_spec_pod_resources(spec: Mapping[str, Any], path: str) -> Iterator[Issue]:
    """``spec.podResources``: only cpu, memory and hugepages-*, no claims."""
    yield from _check_pod_resources(spec, path, "")


def check_executor_plugins(spec: Mapping[str, Any], path: str) -> Iterator[Issue]:
    """AsExecutorPluginSpec: each plugin is named, and its sidecar container has a port,
    resource requests and limits, and a security context."""
    where = key_path(path, "executorPlugins")
    for i, plugin in enumerate(map(mapping, entries(spec.get("executorPlugins")))):
        here = f"{where}[{i}]"
        if not text(mapping(plugin.get("metadata")).get("name")):
            yield Issue(f"{here}.metadata.name", "an executor plugin needs metadata.name")
        container_path = f"{here}.spec.sidecar.container"
        container = mapping(mapping(mapping(plugin.get("spec")).get("sidecar")).get("container"))
        resources = mapping(container.get("resources"))
        for missing, needs in (
            (not entries(container.get("ports")), "ports: at least one port"),
            (resources.get("requests") is None, "resources.requests"),
            (resources.get("limits") is None, "resources.limits"),
            (container.get("securityContext") is None, "a securityContext"),
        ):
            if missing:
                yield Issue(
                    container_path, f"the executor plugin's sidecar container needs {needs}"
                )


def artifact_locations(holder: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """Every artifact location of a template, step, task or spec: its input, output and
    argument artifacts, and its archiveLocation."""
    for section in ("inputs", "outputs", "arguments"):
        artifacts = entries(mapping(holder.get(section)).get("artifacts"))
        for i, art in enumerate(artifacts):
            yield f"{key_path(key_path(path, section), 'artifacts')}[{i}]", art
    if holder.get("archiveLocation") is not None:
        yield key_path(path, "archiveLocation"), holder.get("archiveLocation")


def check_one_location(location: Any, where: str, severity: str) -> Iterator[Issue]:
    """The CRD rule of Argo 4 (CEL): at most one artifact location."""
    found = [k for k in _ARTIFACT_LOCATIONS if mapping(location).get(k) is not None]
    if len(found) > 1:
        yield Issue(
            where,
            f"artifact sets {len(found)} locations ({', '.join(found)}); set at most one "
            "(Argo 4's CRD validation refuses more, and older releases use only one of them)",
            severity,
        )


def check_artifact_location(location: Mapping[str, Any], path: str) -> Iterator[Issue]:
    """validateArtifactLocation: a git location needs its repo."""
    git = location.get("git")
    # A missing repo is a missing required field (schema); an empty one is caught here.
    if isinstance(git, Mapping) and git.get("repo") == "":
        yield Issue(key_path(key_path(path, "git"), "repo"), "git.repo is required")
    hdfs = location.get("hdfs")
    if isinstance(hdfs, Mapping):
        yield from _check_hdfs(hdfs, key_path(path, "hdfs"))


def _check_hdfs(hdfs: Mapping[str, Any], where: str) -> Iterator[Issue]:
    """hdfs.ValidateArtifact: addresses, an absolute path, a user or Kerberos settings."""
    if not entries(hdfs.get("addresses")):
        yield Issue(key_path(where, "addresses"), "hdfs.addresses needs at least one address")
    hdfs_path = hdfs.get("path")
    if not isinstance(hdfs_path, str) or not hdfs_path.startswith("/"):
        yield Issue(
            key_path(where, "path"),
            f"hdfs.path {describe(hdfs_path)} must be an absolute path (starting with /)",
        )
    keytab, ccache = hdfs.get("krbKeytabSecret"), hdfs.get("krbCCacheSecret")
    if not text(hdfs.get("hdfsUser")) and keytab is None and ccache is None:
        yield Issue(where, "hdfs needs hdfsUser, krbCCacheSecret or krbKeytabSecret")
    needed = ["krbServicePrincipalName", "krbConfigConfigMap"]
    if keytab is not None:
        needed += ["krbUsername", "krbRealm"]
    if keytab is not None or ccache is not None:
        missing = [k for k in needed if not hdfs.get(k)]
        if missing:
            using = "krbKeytabSecret" if keytab is not None else "krbCCacheSecret"
            yield Issue(where, f"hdfs with {using} also needs {', '.join(missing)}")


def _check_input_artifacts(
    tmpl: Mapping[str, Any], path: str, leaf: bool, ttype: str
) -> Iterator[Issue]:
    where = key_path(key_path(path, "inputs"), "artifacts")
    for i, art in enumerate(map(mapping, entries(mapping(tmpl.get("inputs")).get("artifacts")))):
        art_path = f"{where}[{i}]"
        if not leaf and ttype and text(art.get("path")):
            yield Issue(
                key_path(art_path, "path"),
                f"an input artifact's path is only valid in templates that run a container, "
                f"not in a {ttype} template",
            )
        if text(art.get("from")):
            yield Issue(
                key_path(art_path, "from"),
                "from is not valid in inputs: pass the artifact in the caller's arguments",
            )
        yield from check_artifact_location(art, art_path)


# --------------------------------------------------------------------------- leaf


def _check_leaf(
    tmpl: Mapping[str, Any],
    path: str,
    ttype: str,
    defaults: Mapping[str, Any],
    claim_names: frozenset[str],
) -> Iterator[Issue]:
    inputs_artifacts = entries(mapping(tmpl.get("inputs")).get("artifacts"))
    if ttype in ("container", "script"):
        body = mapping(tmpl.get(ttype))
        if ttype == "container":
            mounts = entries(body.get("volumeMounts"))
            where = key_path(path, "container")
            yield from _mount_collisions(mounts, inputs_artifacts, where, path)
        if not body.get("image") and not mapping(defaults.get(ttype)).get("image"):
            yield Issue(
                key_path(key_path(path, ttype), "image"),
                f"{ttype}.image may not be empty (spec.templateDefaults.{ttype}.image sets "
                "none either)",
            )
    if ttype == "containerSet":
        yield from _check_container_set(tmpl, path, claim_names)
    if ttype == "resource":
        yield from _check_resource(tmpl, path)
    deadline = tmpl.get("activeDeadlineSeconds")
    if deadline is not None:
        yield from _check_deadline(deadline, key_path(path, "activeDeadlineSeconds"))
    if tmpl.get("parallelism") is not None:
        yield Issue(
            key_path(path, "parallelism"),
            f"parallelism is only valid on steps and dag templates, not on a {ttype} template",
        )


def _mount_collisions(
    mounts: list[Any], artifacts: list[Any], where: str, tmpl_path: str
) -> Iterator[Issue]:
    seen: dict[str, str] = {}
    for i, mount in enumerate(map(mapping, mounts)):
        mount_path = mount.get("mountPath")
        if not isinstance(mount_path, str):
            continue
        here = f"{where}.volumeMounts[{i}].mountPath"
        if mount_path in seen:
            yield Issue(here, f'mountPath "{mount_path}" is already mounted by {seen[mount_path]}')
        else:
            seen[mount_path] = f'volume mount "{text(mount.get("name"))}"'
    for i, art in enumerate(map(mapping, artifacts)):
        art_path = art.get("path")
        if not isinstance(art_path, str):
            continue
        here = f"{tmpl_path}.inputs.artifacts[{i}].path"
        if art_path in seen:
            yield Issue(
                here, f'input artifact path "{art_path}" is already mounted by {seen[art_path]}'
            )
        else:
            seen[art_path] = f'input artifact "{text(art.get("name"))}"'


def _check_deadline(value: Any, where: str) -> Iterator[Issue]:
    allowed = "allowed: a positive integer or an Argo variable such as {{inputs.parameters.x}}"
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        number: int | None = value
    elif isinstance(value, str):
        stripped = value.strip()
        if _INT.match(stripped):
            number = int(stripped)
        elif stripped.startswith("{{") and stripped.endswith("}}"):
            return
        else:
            yield Issue(where, f"activeDeadlineSeconds {describe(value)} is invalid; {allowed}")
            return
    else:
        return
    if number is not None and number < 0:
        yield Issue(where, f"activeDeadlineSeconds {number} is negative; {allowed}")
    elif number == 0:
        # Argo lets 0 through; Kubernetes refuses a pod whose deadline is not at least 1.
        yield Issue(where, f"activeDeadlineSeconds 0 is refused by Kubernetes; {allowed}")


def _check_resource(tmpl: Mapping[str, Any], path: str) -> Iterator[Issue]:
    resource = mapping(tmpl.get("resource"))
    where = key_path(path, "resource")
    action = resource.get("action")
    if action in ("delete", "get"):
        return
    manifest = resource.get("manifest")
    manifest_from = resource.get("manifestFrom")
    if not manifest and manifest_from is None:
        yield Issue(
            where,
            f'resource action "{action}" needs resource.manifest or resource.manifestFrom',
        )
    if manifest and manifest_from is not None:
        yield Issue(where, "set resource.manifest or resource.manifestFrom, not both")
    artifact = mapping(mapping(manifest_from).get("artifact"))
    if artifact:
        wanted = text(artifact.get("name"))
        declared = names_of(mapping(tmpl.get("inputs")).get("artifacts"))
        if wanted not in declared:
            yield Issue(
                key_path(key_path(key_path(where, "manifestFrom"), "artifact"), "name"),
                f'manifestFrom artifact "{wanted}" is not an input artifact of this template '
                f"(inputs: {listing(declared)})",
            )
    if isinstance(manifest, str) and manifest:
        stripped = manifest.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
            return  # the whole manifest is a parameter
        replaced = _TAG.sub("placeholder", manifest)
        problem = next((d.problem for d in yaml_io.read_documents(replaced) if d.problem), "")
        if problem:
            yield Issue(
                key_path(where, "manifest"),
                f"resource.manifest cannot be read: {problem[:200]}",
            )


# --------------------------------------------------------------------------- containerSet


def _check_container_set(
    tmpl: Mapping[str, Any], path: str, claim_names: frozenset[str]
) -> Iterator[Issue]:
    where = key_path(path, "containerSet")
    container_set = mapping(tmpl.get("containerSet"))
    containers = [mapping(c) for c in entries(container_set.get("containers"))]
    if not containers:
        yield Issue(key_path(where, "containers"), "a containerSet needs at least one container")
        return
    seen: set[str] = set()
    for i, container in enumerate(containers):
        name = text(container.get("name"))
        here = f"{where}.containers[{i}].name"
        if not name:
            yield Issue(here, "container name is required")
        elif problem := field_name_problem(name):
            yield Issue(here, f'container name "{name}" is invalid: {problem}')
        elif name in seen:
            yield Issue(here, f'container name "{name}" is not unique in this containerSet')
        elif _is_reserved(name):
            yield Issue(here, _reserved(name))
        elif not is_dns_label(name):
            yield Issue(here, _not_dns_label(name))
        seen.add(name)
    yield from _mount_collisions(entries(container_set.get("volumeMounts")), [], where, path)
    graph: dict[str, list[str]] = {}
    for i, container in enumerate(containers):
        name = text(container.get("name"))
        deps = [text(d) for d in entries(container.get("dependencies"))]
        for j, dep in enumerate(deps):
            if dep not in seen:
                yield Issue(
                    f"{where}.containers[{i}].dependencies[{j}]",
                    f'dependency "{dep}" of container "{name}" is not a container of this '
                    f"containerSet (containers: {listing(seen)})",
                )
        graph.setdefault(name, [d for d in deps if d in seen])
    for cycle in find_cycles(graph):
        index = next(i for i, c in enumerate(containers) if text(c.get("name")) == cycle[0])
        yield Issue(
            f"{where}.containers[{index}].dependencies",
            f"container dependency cycle: {' -> '.join(cycle)}",
        )
    inputs, outputs = mapping(tmpl.get("inputs")), mapping(tmpl.get("outputs"))
    needs_main = [
        what
        for what, value in (
            ("inputs.artifacts", inputs.get("artifacts")),
            ("outputs.parameters", outputs.get("parameters")),
            ("outputs.artifacts", outputs.get("artifacts")),
        )
        if entries(value)
    ]
    if needs_main and "main" not in seen:
        yield Issue(
            key_path(where, "containers"),
            f'a containerSet with {" and ".join(needs_main)} needs a container named "main" '
            f"(containers: {listing(seen)})",
        )
    yield from _container_set_volumes(containers, container_set, where, claim_names, tmpl)


def _container_set_volumes(
    containers: list[Mapping[str, Any]],
    container_set: Mapping[str, Any],
    where: str,
    claim_names: frozenset[str],
    tmpl: Mapping[str, Any],
) -> Iterator[Issue]:
    """Argo adds a workflow-level volume or claim to a containerSet pod only when
    ``containerSet.volumeMounts`` names it (workflowpod.go, GetVolumeMounts): a container's
    own mount of one the set does not list fails at pod creation."""
    set_mounts = {text(mapping(m).get("name")) for m in entries(container_set.get("volumeMounts"))}
    own = set(names_of(tmpl.get("volumes")))
    for i, container in enumerate(containers):
        for j, mount in enumerate(map(mapping, entries(container.get("volumeMounts")))):
            name = text(mount.get("name"))
            if name in claim_names and name not in set_mounts and name not in own:
                yield Issue(
                    f"{where}.containers[{i}].volumeMounts[{j}].name",
                    f'volume "{name}" is declared for the workflow, but a containerSet pod only '
                    "gets the workflow volumes and claims that containerSet.volumeMounts lists; "
                    f'add a mount of "{name}" to containerSet.volumeMounts',
                )


# --------------------------------------------------------------------------- outputs


def check_outputs(tmpl: Mapping[str, Any], path: str, ttype: str) -> Iterator[Issue]:
    """validateOutputs: artifact paths, globalNames and where each output parameter's value
    comes from."""
    outputs = mapping(tmpl.get("outputs"))
    out_path = key_path(path, "outputs")
    leaf = ttype in LEAF_TYPES
    for i, art in enumerate(map(mapping, entries(outputs.get("artifacts")))):
        here = f"{out_path}.artifacts[{i}]"
        if ttype and not leaf and text(art.get("path")):
            yield Issue(
                key_path(here, "path"),
                f"an output artifact's path is only valid in templates that run a container, "
                f"not in a {ttype} template",
            )
        yield from _check_global_name(art, here)
    for i, param in enumerate(map(mapping, entries(outputs.get("parameters")))):
        here = f"{out_path}.parameters[{i}]"
        yield from _check_output_parameter(param, here, ttype)
        yield from _check_global_name(param, here)


def _check_global_name(entry: Mapping[str, Any], here: str) -> Iterator[Issue]:
    global_name = entry.get("globalName")
    if (
        isinstance(global_name, str)
        and global_name
        and not is_parameter(global_name)
        and not PARAM_NAME.match(global_name)
    ):
        yield Issue(
            key_path(here, "globalName"),
            f'globalName "{global_name}" is invalid: use alpha-numeric characters, "_" or "-"',
        )


def _check_output_parameter(param: Mapping[str, Any], here: str, ttype: str) -> Iterator[Issue]:
    name = text(param.get("name"))
    value_from = param.get("valueFrom")
    has_value = param.get("value") is not None
    if value_from is not None and has_value:
        yield Issue(here, f'output parameter "{name}" sets both value and valueFrom: choose one')
        return
    if has_value:
        return
    if not isinstance(value_from, Mapping):
        yield Issue(
            here,
            f'output parameter "{name}" needs valueFrom (one of {", ".join(_OUTPUT_SOURCES)}) '
            "or a value",
        )
        return
    sources = [k for k in _OUTPUT_SOURCES if value_from.get(k) not in (None, "")]
    vf_path = key_path(here, "valueFrom")
    if not sources:
        yield Issue(
            vf_path,
            f'valueFrom of output parameter "{name}" names no source; set one of '
            f"{', '.join(_OUTPUT_SOURCES)}",
        )
        return
    if len(sources) > 1:
        yield Issue(
            vf_path,
            f'valueFrom of output parameter "{name}" sets {", ".join(sources)}; set exactly one',
        )
        return
    wanted = {
        "container": ("path",),
        "containerSet": ("path",),
        "script": ("path",),
        "resource": ("jqFilter", "jsonPath"),
        "steps": ("parameter", "expression"),
        "dag": ("parameter", "expression"),
    }.get(ttype)
    if wanted and sources[0] not in wanted:
        yield Issue(
            key_path(vf_path, sources[0]),
            f'valueFrom.{sources[0]} of output parameter "{name}" is not valid in a {ttype} '
            f"template; use {' or '.join(wanted)}",
        )


# --------------------------------------------------------------------------- metrics


def _check_metrics(tmpl: Mapping[str, Any], path: str) -> Iterator[Issue]:
    prometheus = entries(mapping(tmpl.get("metrics")).get("prometheus"))
    yield from check_prometheus(prometheus, key_path(key_path(path, "metrics"), "prometheus"))


def check_prometheus(metrics: list[Any], where: str) -> Iterator[Issue]:
    """Metric names, label keys, help and the value of each metric kind."""
    for i, metric in enumerate(map(mapping, metrics)):
        here = f"{where}[{i}]"
        name = text(metric.get("name"))
        if not _METRIC_NAME.match(name):
            yield Issue(
                key_path(here, "name"),
                f'metric name "{name}" is invalid: use alphanumeric characters or "_", not '
                "starting with a digit",
            )
        for j, label in enumerate(map(mapping, entries(metric.get("labels")))):
            key = text(label.get("key"))
            if not _METRIC_NAME.match(key):
                yield Issue(
                    f"{here}.labels[{j}].key",
                    f'metric label "{key}" is invalid: use alphanumeric characters or "_"',
                )
        if metric.get("help") == "":  # missing: a missing required field
            yield Issue(key_path(here, "help"), f'metric "{name}" needs a help string')
        for kind in ("gauge", "counter", "histogram"):
            body = metric.get(kind)
            if not isinstance(body, Mapping):
                continue
            value = body.get("value")
            if value == "":  # missing: a missing required field
                yield Issue(
                    key_path(key_path(here, kind), "value"), f"{kind}.value of {name} is required"
                )
            elif (
                kind == "gauge"
                and body.get("realtime") is True
                and "resourcesDuration." in str(value)
            ):
                yield Issue(
                    key_path(key_path(here, kind), "value"),
                    "resourcesDuration.* cannot be used in a realtime gauge: it is only known "
                    "when the node finishes",
                )


# --------------------------------------------------------------------------- arguments


def check_arguments(holder: Mapping[str, Any], path: str, *, allow_empty: bool) -> Iterator[Issue]:
    """validateArgumentsValues: valueFrom sources, enums and where artifacts come from.

    Args:
        holder: what holds ``arguments`` (the spec, a step or a task).
        path: where ``holder`` is.
        allow_empty: whether a parameter may lack a value (lint mode, templates).
    """
    args = mapping(holder.get("arguments"))
    args_path = key_path(path, "arguments")
    for i, param in enumerate(map(mapping, entries(args.get("parameters")))):
        here = f"{args_path}.parameters[{i}]"
        name = text(param.get("name"))
        value_from = param.get("valueFrom")
        if not allow_empty and param.get("value") is None and value_from is None:
            yield Issue(here, f'parameter "{name}" needs a value or valueFrom (none is supplied)')
        if isinstance(value_from, Mapping):
            allowed = ("configMapKeyRef", "event", "supplied")
            bad = [k for k in ("path", "jsonPath", "parameter", "expression") if value_from.get(k)]
            if bad or not any(value_from.get(k) not in (None, "") for k in allowed):
                shown = f"it sets {', '.join(bad)}" if bad else "it sets none of them"
                yield Issue(
                    key_path(here, "valueFrom"),
                    f'valueFrom of argument "{name}" only allows default, configMapKeyRef, '
                    f"event and supplied; {shown}",
                )
        enum = param.get("enum")
        if isinstance(enum, list):
            value = param.get("value")
            if not enum:
                yield Issue(key_path(here, "enum"), f'enum of "{name}" needs at least one value')
            elif value is None:
                if not allow_empty:
                    yield Issue(
                        key_path(here, "value"),
                        f'parameter "{name}" has an enum, so it needs a value (one of '
                        f"{', '.join(describe(e) for e in enum)})",
                    )
            elif str(value) not in [str(e) for e in enum]:
                yield Issue(
                    key_path(here, "value"),
                    f'value {describe(value)} of "{name}" is not in its enum '
                    f"({', '.join(describe(e) for e in enum)})",
                )
    for i, art in enumerate(map(mapping, entries(args.get("artifacts")))):
        here = f"{args_path}.artifacts[{i}]"
        name = text(art.get("name"))
        has_from = bool(text(art.get("from")))
        located = any(art.get(k) is not None for k in _ARTIFACT_LOCATIONS)
        if not has_from and not located:
            yield Issue(
                here,
                f'argument artifact "{name}" needs from or an artifact location '
                f"({', '.join(_ARTIFACT_LOCATIONS)})",
            )
        if has_from and text(art.get("fromExpression")):
            yield Issue(here, f'argument artifact "{name}" sets both from and fromExpression')


# --------------------------------------------------------------------------- selectors

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _label_key_problem(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if prefix and not is_dns_subdomain(prefix):
        return f'label key "{key}" has an invalid prefix (a DNS-1123 subdomain is expected)'
    if not is_label_name(name):
        return (
            f'label key "{key}" is invalid: at most 63 alphanumerics, "-", "_" or ".", '
            "starting and ending with an alphanumeric, with an optional DNS prefix and '/'"
        )
    return ""


def _label_value_problem(value: object) -> str:
    if isinstance(value, str) and is_label_value(value):
        return ""
    return (
        f"label value {describe(value)} is invalid: at most 63 alphanumerics, "
        '"-", "_" or ".", starting and ending with an alphanumeric'
    )


def check_label_selector(selector: Mapping[str, Any], where: str) -> Iterator[Issue]:
    """What metav1.LabelSelectorAsSelector refuses: bad keys, values and operators."""
    for key, value in mapping(selector.get("matchLabels")).items():
        here = key_path(key_path(where, "matchLabels"), key)
        problem = _label_key_problem(str(key)) or _label_value_problem(value)
        if problem:
            yield Issue(here, problem)
    for i, expression in enumerate(map(mapping, entries(selector.get("matchExpressions")))):
        here = f"{where}.matchExpressions[{i}]"
        key, operator = text(expression.get("key")), expression.get("operator")
        values = entries(expression.get("values"))
        if problem := _label_key_problem(key):
            yield Issue(key_path(here, "key"), problem)
        if operator not in _OPERATORS:
            yield Issue(
                key_path(here, "operator"),
                f"operator {describe(operator)} is not one of {', '.join(_OPERATORS)}",
            )
        elif operator in ("In", "NotIn") and not values:
            yield Issue(key_path(here, "values"), f"operator {operator} needs at least one value")
        elif operator in ("Exists", "DoesNotExist") and values:
            yield Issue(key_path(here, "values"), f"operator {operator} takes no values")
        for j, value in enumerate(values):
            if problem := _label_value_problem(value):
                yield Issue(f"{key_path(here, 'values')}[{j}]", problem)
