"""lint agrees with Argo v4.1.2's validator, decodes types as Go does, targets an Argo
release, checks pod security, and never hangs.

Each rule has a case Argo refuses and a neighbouring case it accepts, written here from the
rules of ``workflow/validate/validate.go`` (bench/argo_agreement.py measures agreement
with Argo's own test cases against a checkout of Argo).
"""

from __future__ import annotations

import textwrap
import time
from typing import Any

import pytest
import yaml

from argo_buildpacks.errors import ConfigError
from argo_buildpacks.linting._lint import MAX_TEXT, Finding, lint


def wf(templates: str, spec: str = "", kind: str = "Workflow", meta: str = "") -> str:
    """A manifest whose ``spec.templates`` is ``templates`` (YAML, a list) and whose spec
    also holds ``spec`` (YAML); the entrypoint is ``main``."""
    body = textwrap.indent(textwrap.dedent(templates).strip(), "    ")
    extra = textwrap.indent(textwrap.dedent(spec).strip(), "  ") if spec.strip() else ""
    metadata = textwrap.indent(textwrap.dedent(meta).strip(), "  ") if meta.strip() else ""
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: demo\n{metadata}\n"
        f"spec:\n  entrypoint: main\n{extra}\n  templates:\n{body}\n"
    )


MAIN = "- name: main\n  container: {image: alpine}\n"


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def one_error(text: str, path: str, needle: str, **options: object) -> Finding:
    found = [f for f in errors(lint(text, **options)) if f.path == path]  # type: ignore[arg-type]
    assert len(found) == 1, f"expected one error at {path!r}, got {lint(text, **options)}"  # type: ignore[arg-type]
    assert needle in found[0].message, found[0].message
    return found[0]


def clean(text: str, **options: object) -> None:
    assert errors(lint(text, **options)) == []  # type: ignore[arg-type]


# (bad manifest, path, needle, good neighbour) for each of Argo's template rules.
TEMPLATE_RULES = [
    pytest.param(
        wf(MAIN, "podResources: {limits: {nvidia.com/gpu: 1}}"),
        'spec.podResources.limits["nvidia.com/gpu"]',
        "not a pod-level resource",
        wf(MAIN, "podResources: {limits: {cpu: 1, memory: 1Gi, hugepages-2Mi: 1Gi}}"),
        id="pod-resources-names",
    ),
    pytest.param(
        wf("- name: main\n  podResources: {claims: [{name: g}]}\n  container: {image: a}"),
        "spec.templates[0].podResources.claims",
        "claims are not supported",
        wf("- name: main\n  podResources: {limits: {cpu: 2}}\n  container: {image: a}"),
        id="pod-resources-claims",
    ),
    pytest.param(
        wf("- name: main\n  podResources: {limits: {cpu: 1}}\n  http: {url: 'https://x'}"),
        "spec.templates[0].podResources",
        "shared agent pod",
        wf("- name: main\n  http: {url: 'https://x'}"),
        id="pod-resources-on-http",
    ),
    pytest.param(
        wf(
            """
            - name: main
              resourceClaims: [{name: gpu, resourceClaimTemplateName: g}]
              steps: [[{name: a, template: leaf}]]
            - {name: leaf, container: {image: a}}
            """
        ),
        "spec.templates[0].resourceClaims",
        "create no pod",
        wf(
            "- name: main\n  resourceClaims: [{name: gpu, resourceClaimTemplateName: g}]\n"
            "  container: {image: a}"
        ),
        id="resource-claims-need-a-pod",
    ),
    pytest.param(
        wf("- {name: main, timeout: 1m, steps: [[{name: a, template: l}]]}\n- " + MAIN[2:]),
        "spec.templates[0].timeout",
        "only on leaf templates",
        wf("- {name: main, timeout: 1m, container: {image: a}}"),
        id="timeout-on-steps",
    ),
    pytest.param(
        wf("- {name: main, timeout: '30', container: {image: a}}"),
        "spec.templates[0].timeout",
        "bare number",
        wf("- {name: main, timeout: 30s, container: {image: a}}"),
        id="timeout-duration",
    ),
    pytest.param(
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, optional: true}]}, "
            "steps: [[{name: s, template: l}]]}\n- {name: l, container: {image: a}}"
        ),
        "spec.templates[0].inputs.artifacts[0].path",
        "only valid in templates that run a container",
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, optional: true}]}, "
            "container: {image: a}}"
        ),
        id="input-artifact-path-on-steps",
    ),
    pytest.param(
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, from: x, path: /a, optional: true}]}, "
            "container: {}}"
        ),
        "spec.templates[0].inputs.artifacts[0].from",
        "not valid in inputs",
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, optional: true}]}, "
            "container: {image: a}}"
        ),
        id="input-artifact-from",
    ),
    pytest.param(
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, git: {repo: ''}}]}, "
            "container: {image: a}}"
        ),
        "spec.templates[0].inputs.artifacts[0].git.repo",
        "git.repo is required",
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, git: {repo: 'https://g'}}]}"
            ", container: {image: a}}"
        ),
        id="git-artifact-repo",
    ),
    pytest.param(
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, hdfs: {addresses: [h:8020]"
            ", path: rel, hdfsUser: u}}]}, container: {image: a}}"
        ),
        "spec.templates[0].inputs.artifacts[0].hdfs.path",
        "absolute path",
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, hdfs: {addresses: [h:8020]"
            ", path: /data, hdfsUser: u}}]}, container: {image: a}}"
        ),
        id="hdfs-artifact",
    ),
    pytest.param(
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, hdfs: {addresses: [h:8020]"
            ", path: /d, krbCCacheSecret: {name: s, key: k}}}]}, container: {image: a}}"
        ),
        "spec.templates[0].inputs.artifacts[0].hdfs",
        "also needs krbServicePrincipalName, krbConfigConfigMap",
        wf(
            "- {name: main, inputs: {artifacts: [{name: a, path: /a, hdfs: {addresses: [h:8020]"
            ", path: /d, krbCCacheSecret: {name: s, key: k}, krbServicePrincipalName: p, "
            "krbConfigConfigMap: {name: c, key: k}}}]}, container: {image: a}}"
        ),
        id="hdfs-kerberos",
    ),
    pytest.param(
        wf("- {name: main, initContainers: [{name: '', image: a}], container: {image: a}}"),
        "spec.templates[0].initContainers[0].name",
        "needs a name",
        wf("- {name: main, initContainers: [{name: i, image: a}], container: {image: a}}"),
        id="init-container-name",
    ),
    pytest.param(
        wf("- {name: main, sidecars: [{name: wait, image: a}], container: {image: a}}"),
        "spec.templates[0].sidecars[0].name",
        "reserved",
        wf("- {name: main, sidecars: [{name: waiter, image: a}], container: {image: a}}"),
        id="sidecar-reserved-name",
    ),
    pytest.param(
        wf(
            "- {name: main, activeDeadlineSeconds: 10, steps: [[{name: s, template: l}]]}\n"
            "- {name: l, container: {image: a}}"
        ),
        "spec.templates[0].activeDeadlineSeconds",
        "only valid on leaf templates",
        wf("- {name: main, activeDeadlineSeconds: 10, container: {image: a}}"),
        id="deadline-on-steps",
    ),
    pytest.param(
        wf("- {name: main, activeDeadlineSeconds: -1, container: {image: a}}"),
        "spec.templates[0].activeDeadlineSeconds",
        "negative",
        wf(
            "- {name: main, inputs: {parameters: [{name: d, value: '5'}]}, "
            "activeDeadlineSeconds: '{{inputs.parameters.d}}', container: {image: a}}"
        ),
        id="deadline-negative",
    ),
    pytest.param(
        wf("- {name: main, activeDeadlineSeconds: soon, container: {image: a}}"),
        "spec.templates[0].activeDeadlineSeconds",
        '"soon" is invalid',
        wf("- {name: main, activeDeadlineSeconds: '30', container: {image: a}}"),
        id="deadline-text",
    ),
    pytest.param(
        wf("- {name: main, activeDeadlineSeconds: 0, container: {image: a}}"),
        "spec.templates[0].activeDeadlineSeconds",
        "refused by Kubernetes",
        wf("- {name: main, activeDeadlineSeconds: 1, container: {image: a}}"),
        id="deadline-zero",
    ),
    pytest.param(
        wf("- {name: main, sidecars: [{name: Dind, image: a}], container: {image: a}}"),
        "spec.templates[0].sidecars[0].name",
        "DNS-1123",
        wf("- {name: main, sidecars: [{name: dind, image: a}], container: {image: a}}"),
        id="sidecar-dns-1123",
    ),
    pytest.param(
        wf("- {name: main, parallelism: 2, suspend: {}}"),
        "spec.templates[0].parallelism",
        "only valid on steps and dag",
        wf("- {name: main, suspend: {duration: '10'}}"),
        id="parallelism-on-suspend",
    ),
    pytest.param(
        wf("- {name: main, volumes: [{name: Cache, emptyDir: {}}], container: {image: a}}"),
        "spec.templates[0].volumes[0].name",
        "DNS-1123",
        wf("- {name: main, volumes: [{name: cache, emptyDir: {}}], container: {image: a}}"),
        id="volume-dns-1123",
    ),
    pytest.param(
        wf(MAIN, "volumeClaimTemplates: [{metadata: {name: work_dir}}]"),
        "spec.volumeClaimTemplates[0].metadata.name",
        "claim name",
        wf(MAIN, "volumeClaimTemplates: [{metadata: {name: work-dir}}]"),
        id="claim-dns-1123",
    ),
    pytest.param(
        wf("- {name: main, parallelism: 2, container: {image: a}}"),
        "spec.templates[0].parallelism",
        "only valid on steps and dag",
        wf(
            "- {name: main, parallelism: 2, steps: [[{name: s, template: l}]]}\n- " + "{name: l, "
            "container: {image: a}}"
        ),
        id="parallelism-on-leaf",
    ),
    pytest.param(
        wf(
            "- name: main\n  container:\n    image: a\n    volumeMounts:\n"
            "    - {name: v, mountPath: /m}\n    - {name: w, mountPath: /m}\n"
            "  volumes: [{name: v, emptyDir: {}}, {name: w, emptyDir: {}}]"
        ),
        "spec.templates[0].container.volumeMounts[1].mountPath",
        'already mounted by volume mount "v"',
        wf(
            "- name: main\n  container:\n    image: a\n    volumeMounts:\n"
            "    - {name: v, mountPath: /m}\n    - {name: w, mountPath: /n}\n"
            "  volumes: [{name: v, emptyDir: {}}, {name: w, emptyDir: {}}]"
        ),
        id="mount-path-collision",
    ),
    pytest.param(
        wf(
            "- name: main\n  inputs: {artifacts: [{name: a, path: /m, optional: true}]}\n"
            "  container:\n"
            "    image: a\n    volumeMounts: [{name: v, mountPath: /m}]\n"
            "  volumes: [{name: v, emptyDir: {}}]"
        ),
        "spec.templates[0].inputs.artifacts[0].path",
        "already mounted",
        wf(
            "- name: main\n  inputs: {artifacts: [{name: a, path: /m/a, optional: true}]}\n"
            "  container:\n"
            "    image: a\n    volumeMounts: [{name: v, mountPath: /m}]\n"
            "  volumes: [{name: v, emptyDir: {}}]"
        ),
        id="artifact-path-collision",
    ),
    pytest.param(
        wf("- {name: main, container: {command: [echo]}}"),
        "spec.templates[0].container.image",
        "may not be empty",
        wf(
            "- {name: main, container: {command: [echo]}}",
            "templateDefaults: {container: {image: alpine}}",
        ),
        id="empty-image",
    ),
    pytest.param(
        wf("- {name: main, script: {image: '', source: echo}}"),
        "spec.templates[0].script.image",
        "may not be empty",
        wf("- {name: main, script: {image: python, source: echo}}"),
        id="empty-script-image",
    ),
    pytest.param(
        wf("- {name: main, resource: {action: create}}"),
        "spec.templates[0].resource",
        "needs resource.manifest or resource.manifestFrom",
        wf("- {name: main, resource: {action: get}}"),
        id="resource-manifest-required",
    ),
    pytest.param(
        wf(
            "- {name: main, resource: {action: apply, manifest: 'a: b', manifestFrom: "
            "{artifact: {name: m}}}, inputs: {artifacts: [{name: m, optional: true}]}}"
        ),
        "spec.templates[0].resource",
        "not both",
        wf(
            "- {name: main, resource: {action: apply, manifestFrom: {artifact: {name: m}}}, "
            "inputs: {artifacts: [{name: m, optional: true}]}}"
        ),
        id="resource-manifest-both",
    ),
    pytest.param(
        wf("- {name: main, resource: {action: apply, manifestFrom: {artifact: {name: m}}}}"),
        "spec.templates[0].resource.manifestFrom.artifact.name",
        "not an input artifact",
        wf(
            "- {name: main, resource: {action: apply, manifestFrom: {artifact: {name: m}}}, "
            "inputs: {artifacts: [{name: m, optional: true}]}}"
        ),
        id="resource-manifest-from-artifact",
    ),
    pytest.param(
        wf("- {name: main, resource: {action: create, manifest: 'kind: [ConfigMap'}}"),
        "spec.templates[0].resource.manifest",
        "not valid YAML",
        wf(
            "- name: main\n  resource:\n    action: create\n    manifest: |\n"
            "      kind: ConfigMap\n      data: {a: {{=sprig.upper(workflow.name)}}}"
        ),
        id="resource-manifest-yaml",
    ),
    pytest.param(
        wf(
            "- {name: main, steps: [[{name: s, template: l, withSequence: {count: '3', end: "
            "'5'}}]]}\n- {name: l, container: {image: a}}"
        ),
        "spec.templates[0].steps[0][0].withSequence",
        "both count and end",
        wf(
            "- {name: main, steps: [[{name: s, template: l, withSequence: {start: '1', end: "
            "'5'}}]]}\n- {name: l, container: {image: a}}"
        ),
        id="with-sequence",
    ),
]


@pytest.mark.parametrize(("bad", "path", "needle", "good"), TEMPLATE_RULES)
def test_template_rules(bad: str, path: str, needle: str, good: str) -> None:
    one_error(bad, path, needle)
    clean(good)


# --------------------------------------------------------------------------- containerSet

CSET = """
- name: main
  {extra}
  containerSet:
    {set_extra}
    containers: {containers}
"""


def cset(containers: str, extra: str = "", set_extra: str = "", spec: str = "") -> str:
    return wf(
        CSET.format(containers=containers, extra=extra or "metadata: {}", set_extra=set_extra),
        spec,
    )


CONTAINER_SET_RULES = [
    pytest.param(
        cset("[]"),
        "spec.templates[0].containerSet.containers",
        "at least one",
        cset("[{name: a, image: x}]"),
        id="empty",
    ),
    pytest.param(
        cset("[{name: a, image: x}, {name: a, image: x}]"),
        "spec.templates[0].containerSet.containers[1].name",
        "not unique",
        cset("[{name: a, image: x}, {name: b, image: x}]"),
        id="duplicate-name",
    ),
    pytest.param(
        cset("[{name: supervisor, image: x}]"),
        "spec.templates[0].containerSet.containers[0].name",
        "reserved",
        cset("[{name: supervise, image: x}]"),
        id="reserved-name",
    ),
    pytest.param(
        cset("[{name: artifact-plugin-s3, image: x}]"),
        "spec.templates[0].containerSet.containers[0].name",
        "reserved",
        cset("[{name: plugin-s3, image: x}]"),
        id="reserved-prefix",
    ),
    pytest.param(
        cset(
            "[{name: a, image: x}]",
            set_extra="volumeMounts: [{name: v, mountPath: /w}, {name: u, mountPath: /w}]",
            extra="volumes: [{name: v, emptyDir: {}}, {name: u, emptyDir: {}}]",
        ),
        "spec.templates[0].containerSet.volumeMounts[1].mountPath",
        "already mounted",
        cset(
            "[{name: a, image: x}]",
            set_extra="volumeMounts: [{name: v, mountPath: /w}, {name: u, mountPath: /u}]",
            extra="volumes: [{name: v, emptyDir: {}}, {name: u, emptyDir: {}}]",
        ),
        id="duplicate-mount-path",
    ),
    pytest.param(
        cset("[{name: a, image: x, dependencies: [b]}]"),
        "spec.templates[0].containerSet.containers[0].dependencies[0]",
        'dependency "b"',
        cset("[{name: a, image: x}, {name: b, image: x, dependencies: [a]}]"),
        id="unknown-dependency",
    ),
    pytest.param(
        cset("[{name: a, image: x, dependencies: [b]}, {name: b, image: x, dependencies: [a]}]"),
        "spec.templates[0].containerSet.containers[0].dependencies",
        "cycle: a -> b -> a",
        cset("[{name: a, image: x}, {name: b, image: x, dependencies: [a]}]"),
        id="dependency-cycle",
    ),
    pytest.param(
        cset(
            "[{name: a, image: x}]",
            extra="outputs: {parameters: [{name: o, valueFrom: {path: /o}}]}",
        ),
        "spec.templates[0].containerSet.containers",
        'needs a container named "main"',
        cset(
            "[{name: main, image: x}]",
            extra="outputs: {parameters: [{name: o, valueFrom: {path: /o}}]}",
        ),
        id="main-for-outputs",
    ),
    pytest.param(
        cset("[{name: main, image: x}]", extra="outputs: {parameters: [{name: o}]}"),
        "spec.templates[0].outputs.parameters[0]",
        "needs valueFrom",
        cset("[{name: main, image: x}]", extra="outputs: {parameters: [{name: o, value: v}]}"),
        id="output-without-value-from",
    ),
    pytest.param(
        cset(
            "[{name: main, image: x}]",
            extra="outputs: {parameters: [{name: o, valueFrom: {path: /o, jqFilter: .a}}]}",
        ),
        "spec.templates[0].outputs.parameters[0].valueFrom",
        "sets path, jqFilter; set exactly one",
        cset(
            "[{name: main, image: x}]",
            extra="outputs: {parameters: [{name: o, valueFrom: {path: /o}}]}",
        ),
        id="several-value-from-kinds",
    ),
    pytest.param(
        cset("[{name: Main_1, image: x}]"),
        "spec.templates[0].containerSet.containers[0].name",
        "invalid",
        cset("[{name: main-1, image: x}]"),
        id="invalid-name",
    ),
    pytest.param(
        cset("[{name: Main, image: x}]"),
        "spec.templates[0].containerSet.containers[0].name",
        "DNS-1123",
        cset("[{name: main, image: x}]"),
        id="dns-1123-name",
    ),
]


@pytest.mark.parametrize(("bad", "path", "needle", "good"), CONTAINER_SET_RULES)
def test_container_set_rules(bad: str, path: str, needle: str, good: str) -> None:
    one_error(bad, path, needle)
    clean(good)


def test_a_workflow_volume_reaches_a_container_set_pod_only_through_its_volume_mounts() -> None:
    # Argo's pod builder adds a workflow volume or claim to the pod only for the mounts
    # GetVolumeMounts lists, which for a containerSet is containerSet.volumeMounts.
    claim = "volumeClaimTemplates: [{metadata: {name: ws}, spec: {accessModes: [RWO]}}]"
    bad = cset("[{name: main, image: x, volumeMounts: [{name: ws, mountPath: /w}]}]", spec=claim)
    one_error(
        bad,
        "spec.templates[0].containerSet.containers[0].volumeMounts[0].name",
        "containerSet.volumeMounts",
    )
    clean(
        cset(
            "[{name: main, image: x, volumeMounts: [{name: ws, mountPath: /w}]}]",
            set_extra="volumeMounts: [{name: ws, mountPath: /workspace}]",
            spec=claim,
        )
    )
    # A template's own volumes always reach its pod.
    clean(
        cset(
            "[{name: main, image: x, volumeMounts: [{name: ws, mountPath: /w}]}]",
            extra="volumes: [{name: ws, emptyDir: {}}]",
        )
    )


# --------------------------------------------------------------------------- outputs, metrics

OUTPUT_RULES = [
    pytest.param(
        wf(
            "- {name: main, container: {image: a}, outputs: {parameters: [{name: o, value: v, "
            "valueFrom: {path: /o}}]}}"
        ),
        "spec.templates[0].outputs.parameters[0]",
        "both value and valueFrom",
        id="value-and-value-from",
    ),
    pytest.param(
        wf(
            "- {name: main, container: {image: a}, outputs: {parameters: [{name: o, valueFrom: "
            "{default: x}}]}}"
        ),
        "spec.templates[0].outputs.parameters[0].valueFrom",
        "names no source",
        id="no-source",
    ),
    pytest.param(
        wf(
            "- {name: main, container: {image: a}, outputs: {parameters: [{name: o, valueFrom: "
            "{parameter: x}}]}}"
        ),
        "spec.templates[0].outputs.parameters[0].valueFrom.parameter",
        "use path",
        id="container-needs-path",
    ),
    pytest.param(
        wf(
            "- {name: main, steps: [[{name: s, template: l}]], outputs: {parameters: [{name: o, "
            "valueFrom: {path: /o}}]}}\n- {name: l, container: {image: a}}"
        ),
        "spec.templates[0].outputs.parameters[0].valueFrom.path",
        "use parameter or expression",
        id="steps-need-parameter",
    ),
    pytest.param(
        wf(
            "- {name: main, resource: {action: get}, outputs: {parameters: [{name: o, valueFrom: "
            "{path: /o}}]}}"
        ),
        "spec.templates[0].outputs.parameters[0].valueFrom.path",
        "use jqFilter or jsonPath",
        id="resource-needs-jq",
    ),
    pytest.param(
        wf(
            "- {name: main, dag: {tasks: [{name: t, template: l}]}, outputs: {artifacts: [{name: "
            "o, path: /o}]}}\n- {name: l, container: {image: a}}"
        ),
        "spec.templates[0].outputs.artifacts[0].path",
        "only valid in templates that run a container",
        id="artifact-path-on-dag",
    ),
    pytest.param(
        wf(
            "- {name: main, container: {image: a}, outputs: {parameters: [{name: o, globalName: "
            "'a b', valueFrom: {path: /o}}]}}"
        ),
        "spec.templates[0].outputs.parameters[0].globalName",
        "invalid",
        id="global-name",
    ),
]


@pytest.mark.parametrize(("bad", "path", "needle"), OUTPUT_RULES)
def test_output_rules(bad: str, path: str, needle: str) -> None:
    one_error(bad, path, needle)


def test_outputs_argo_accepts() -> None:
    clean(
        wf(
            """
            - name: main
              steps: [[{name: s, template: l}]]
              outputs:
                parameters:
                - {name: a, valueFrom: {parameter: '{{steps.s.outputs.parameters.o}}'}}
                - {name: b, valueFrom: {expression: "steps.s.outputs.parameters.o"}}
                - {name: c, globalName: '{{workflow.name}}', value: x}
            - name: l
              container: {image: a}
              outputs: {parameters: [{name: o, valueFrom: {path: /o}}]}
            - name: r
              resource: {action: get}
              outputs: {parameters: [{name: o, valueFrom: {jsonPath: '{.a}'}}]}
            - name: w
              suspend: {}
              outputs: {parameters: [{name: o, valueFrom: {supplied: {}}}]}
            """
        )
    )


METRIC = "- {{name: main, container: {{image: a}}, metrics: {{prometheus: [{metric}]}}}}"
METRIC_RULES = [
    pytest.param("{name: 'a-b', help: h, counter: {value: '1'}}", ".name", "invalid", id="name"),
    pytest.param(
        "{name: a, help: h, labels: [{key: 'a-b', value: v}], counter: {value: '1'}}",
        ".labels[0].key",
        "invalid",
        id="label",
    ),
    pytest.param("{name: a, help: '', counter: {value: '1'}}", ".help", "help string", id="help"),
    pytest.param(
        "{name: a, help: h, gauge: {realtime: false, value: ''}}",
        ".gauge.value",
        "required",
        id="gauge-value",
    ),
    pytest.param(
        "{name: a, help: h, counter: {value: ''}}", ".counter.value", "required", id="counter-value"
    ),
    pytest.param(
        "{name: a, help: h, gauge: {realtime: true, value: '{{resourcesDuration.cpu}}'}}",
        ".gauge.value",
        "realtime",
        id="realtime-resources-duration",
    ),
]


@pytest.mark.parametrize(("metric", "suffix", "needle"), METRIC_RULES)
def test_metric_rules(metric: str, suffix: str, needle: str) -> None:
    text = wf(METRIC.format(metric=metric))
    one_error(text, "spec.templates[0].metrics.prometheus[0]" + suffix, needle)


def test_a_gauge_needs_no_realtime() -> None:
    clean(wf(METRIC.format(metric="{name: a, help: h, gauge: {value: '{{workflow.duration}}'}}")))


# --------------------------------------------------------------------------- arguments

ARGUMENT_RULES = [
    pytest.param(
        "arguments: {parameters: [{name: p, valueFrom: {path: /p}}]}",
        "spec.arguments.parameters[0].valueFrom",
        "only allows default, configMapKeyRef",
        id="value-from-path",
    ),
    pytest.param(
        "arguments: {parameters: [{name: p, value: a, enum: []}]}",
        "spec.arguments.parameters[0].enum",
        "at least one value",
        id="empty-enum",
    ),
    pytest.param(
        "arguments: {parameters: [{name: p, value: c, enum: [a, b]}]}",
        "spec.arguments.parameters[0].value",
        '"c" of "p" is not in its enum',
        id="value-outside-enum",
    ),
    pytest.param(
        "arguments: {artifacts: [{name: a}]}",
        "spec.arguments.artifacts[0]",
        "needs from or an artifact location",
        id="artifact-without-source",
    ),
    pytest.param(
        "arguments: {artifacts: [{name: a, from: '{{workflow.name}}', fromExpression: 'x'}]}",
        "spec.arguments.artifacts[0]",
        "both from and fromExpression",
        id="artifact-from-twice",
    ),
]


@pytest.mark.parametrize(("spec", "path", "needle"), ARGUMENT_RULES)
def test_argument_rules(spec: str, path: str, needle: str) -> None:
    one_error(wf(MAIN, spec), path, needle)


def test_an_artifact_has_at_most_one_location() -> None:
    two = "arguments: {artifacts: [{name: a, raw: {data: x}, http: {url: 'https://x'}}]}"
    one_error(wf(MAIN, two), "spec.arguments.artifacts[0]", "2 locations (http, raw)")
    (warning,) = lint(wf(MAIN, two), argo_version="3.7")
    assert warning.severity == "warning"
    clean(wf(MAIN, "arguments: {artifacts: [{name: a, raw: {data: x}}]}"))


def test_arguments_argo_accepts() -> None:
    clean(
        wf(
            MAIN,
            """
            arguments:
              parameters:
              - {name: p, valueFrom: {configMapKeyRef: {name: c, key: k}}}
              - {name: q, value: b, enum: [a, b]}
              - {name: n, value: 3, enum: [1, 3]}
              artifacts:
              - {name: a, raw: {data: hi}}
            """,
        )
    )


def test_submit_mode_needs_every_argument_and_every_template() -> None:
    unsupplied = wf(MAIN, "arguments: {parameters: [{name: p}, {name: e, enum: [a]}]}")
    clean(unsupplied)  # argo lint: values may come at submission
    one_error(unsupplied, "spec.arguments.parameters[0]", "needs a value", submit=True)
    one_error(unsupplied, "spec.arguments.parameters[1].value", "needs a value", submit=True)
    ref = wf("- {name: main, steps: [[{name: s, templateRef: {name: lib, template: t}}]]}")
    assert lint(ref)[0].severity == "warning"
    one_error(ref, "spec.templates[0].steps[0][0].templateRef.name", "not among", submit=True)


def test_executor_plugins() -> None:
    plugin = """
    executorPlugins:
    - metadata: {name: hello}
      spec:
        sidecar:
          container:
            name: hello
            image: a
            ports: [{containerPort: 4355}]
            resources: {requests: {cpu: 10m}, limits: {memory: 32Mi}}
            securityContext: {runAsNonRoot: true}
    """
    clean(wf(MAIN, plugin))
    where = "spec.executorPlugins[0].spec.sidecar.container"
    one_error(
        wf(MAIN, plugin.replace("ports: [{containerPort: 4355}]", "ports: []")),
        where,
        "at least one port",
    )
    one_error(
        wf(MAIN, plugin.replace("metadata: {name: hello}", "metadata: {}")),
        "spec.executorPlugins[0].metadata.name",
        "needs metadata.name",
    )


def test_pod_gc_label_selector() -> None:
    selector = "podGC: {strategy: OnPodSuccess, labelSelector: {matchExpressions: [%s]}}"
    where = "spec.podGC.labelSelector.matchExpressions[0]"
    one_error(wf(MAIN, selector % "{key: a, operator: Is}"), where + ".operator", '"Is"')
    one_error(wf(MAIN, selector % "{key: a, operator: In}"), where + ".values", "at least one")
    one_error(
        wf(MAIN, selector % "{key: a, operator: Exists, values: [b]}"),
        where + ".values",
        "takes no values",
    )
    one_error(wf(MAIN, selector % "{key: 'a b', operator: Exists}"), where + ".key", "invalid")
    clean(wf(MAIN, selector % "{key: example.com/a, operator: In, values: [b, c-d]}"))


# --------------------------------------------------------------------------- variables


def test_workflow_failures_only_in_the_exit_handler() -> None:
    exit_handler = "- {name: bye, container: {image: a, args: ['{{workflow.failures}}']}}"
    main = "- {name: main, container: {image: a, args: ['{{workflow.failures}}']}}"
    one_error(wf(main), "spec.templates[0].container.args[0]", "onExit")
    one_error(
        wf(main + "\n" + exit_handler, "onExit: bye"),
        "spec.templates[0].container.args[0]",
        "onExit",
    )
    clean(wf(MAIN + exit_handler, "onExit: bye"))


def test_an_exit_hook_may_use_its_own_steps_outputs() -> None:
    text = wf(
        """
        - name: main
          steps:
          - - name: work
              template: work
              hooks:
                exit:
                  template: report
                  arguments:
                    parameters: [{name: r, value: '{{steps.work.outputs.parameters.r}}'}]
        - name: work
          container: {image: a}
          outputs: {parameters: [{name: r, valueFrom: {path: /r}}]}
        - name: report
          inputs: {parameters: [{name: r}]}
          container: {image: a}
        """
    )
    clean(text)
    # Without the exit hook, a step cannot use its own outputs.
    own = wf(
        """
        - name: main
          steps:
          - - {name: work, template: work, arguments: {parameters: [{name: r, value: '{{steps.work.outputs.parameters.r}}'}]}}
        - name: work
          inputs: {parameters: [{name: r}]}
          container: {image: a}
          outputs: {parameters: [{name: r, valueFrom: {path: /r}}]}
        """  # noqa: E501
    )
    one_error(own, "spec.templates[0].steps[0][0].arguments.parameters[0].value", "does not run")


def test_a_leaf_template_may_name_its_step_or_task() -> None:
    clean(wf("- {name: main, script: {image: a, source: 'echo {{steps.name}} {{tasks.name}}'}}"))


def test_dag_target_variables_resolve() -> None:
    text = wf(
        "- {name: main, dag: {target: '{{inputs.parameters.t}}', tasks: [{name: A, "
        "template: l}]}}\n- {name: l, container: {image: a}}"
    )
    one_error(text, "spec.templates[0].dag.target", 'input parameter "t"')
    clean(text.replace("{name: main,", "{name: main, inputs: {parameters: [{name: t, value: A}]},"))


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("template", "path", "needle"),
    [
        ("{name: main, container: {image: 3}}", ".container.image", "expected a string, got 3"),
        ("{name: main, container: {image: a, args: [true]}}", ".container.args[0]", "got true"),
        (
            "{name: main, container: {image: a, resources: {limits: {cpu: '\u0661'}}}}",
            ".container.resources.limits.cpu",
            "quantity",
        ),
        (
            "{name: main, container: {image: a, resources: {limits: {memory: 1 Gi}}}}",
            ".container.resources.limits.memory",
            "quantity",
        ),
        (
            "{name: main, retryStrategy: {limit: true}, container: {image: a}}",
            ".retryStrategy.limit",
            "an integer or a string",
        ),
        (
            "{name: main, activeDeadlineSeconds: 1.5, container: {image: a}}",
            ".activeDeadlineSeconds",
            "an integer or a string",
        ),
    ],
)
def test_types_as_go_decodes_them(template: str, path: str, needle: str) -> None:
    one_error(wf("- " + template), "spec.templates[0]" + path, needle)


def test_types_go_accepts() -> None:
    clean(wf(MAIN, "serviceAccountName: builder"))
    one_error(wf(MAIN, "serviceAccountName: 5"), "spec.serviceAccountName", "expected a string")
    clean(
        wf(
            """
            - name: main
              retryStrategy: {limit: '2'}
              inputs: {parameters: [{name: n, value: 3, default: true, enum: [3, 4]}]}
              container:
                image: a
                resources: {limits: {cpu: 1, memory: 1.5Gi}, requests: {cpu: 500m, memory: 1e3}}
            """
        )
    )


# --------------------------------------------------------------------------- target release


def test_fields_a_target_release_does_not_know() -> None:
    new = wf("- {name: main, pendingTimeout: 5m, container: {image: a}}")
    clean(new)
    one_error(new, "spec.templates[0].pendingTimeout", "new in Argo 4.1", argo_version="4.0")
    annotated = wf("- {name: main, annotations: {a: b}, container: {image: a}}")
    one_error(annotated, "spec.templates[0].annotations", "new in Argo 3.7", argo_version="3.6")
    clean(annotated, argo_version="3.7")
    single = wf(MAIN, "synchronization: {mutex: {name: m}}")
    one_error(single, "spec.synchronization.mutex", "removed in Argo 4.0", argo_version="4.0")
    (warning,) = lint(single, argo_version="3.7")
    assert warning.severity == "warning"
    assert "deprecated" in warning.message
    clean(wf(MAIN, "synchronization: {mutexes: [{name: m}], semaphores: []}"), argo_version="3.6")


def test_an_unknown_target_release_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r'"3\.5".*3\.6, 3\.7, 4\.0, 4\.1'):
        lint(wf(MAIN), argo_version="3.5")


# --------------------------------------------------------------------------- pod security

SECURE = """
- name: main
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  container:
    image: a
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""


def test_restricted_pod_security_standard() -> None:
    clean(SECURE and wf(SECURE), restricted=True)
    text = wf(SECURE.replace("drop: [ALL]", "drop: [NET_RAW]"))
    clean(text)
    one_error(
        text,
        "spec.templates[0].container.securityContext.capabilities.drop",
        "ALL",
        restricted=True,
    )
    host = wf(SECURE + "  volumes: [{name: h, hostPath: {path: /var}}]")
    (warning,) = lint(host)
    assert warning.severity == "warning"
    assert "hostPath" in warning.message
    one_error(host, "spec.templates[0].volumes[0].hostPath", "hostPath", restricted=True)
    assert len(errors(lint(host, restricted=True))) == 1  # said once, not once per profile rule


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        ("seLinuxOptions: {type: spc_t}", ".securityContext.seLinuxOptions.type", "spc_t"),
        (
            "appArmorProfile: {type: Unconfined}",
            ".securityContext.appArmorProfile.type",
            "Unconfined",
        ),
        (
            "sysctls: [{name: kernel.msgmax, value: '1'}]",
            ".securityContext.sysctls[0].name",
            "kernel.msgmax",
        ),
    ],
)
def test_restricted_refuses_what_baseline_refuses(change: str, path: str, needle: str) -> None:
    text = wf(
        SECURE.replace(
            "seccompProfile: {type: RuntimeDefault}",
            "seccompProfile: {type: RuntimeDefault}, " + change,
        )
    )
    one_error(text, "spec.templates[0]" + path, needle, restricted=True)
    clean(text)


def test_privileged_containers_are_always_reported() -> None:
    text = wf("- {name: main, container: {image: a, securityContext: {privileged: true}}}")
    (finding,) = lint(text)
    assert finding.path == "spec.templates[0].container.securityContext.privileged"
    assert finding.severity == "warning"
    assert errors(lint(text, restricted=True))


# --------------------------------------------------------------------------- libraries


def test_a_library_declares_what_its_callers_provide() -> None:
    template = """
    - name: build
      inputs: {parameters: [{name: tag}]}
      container:
        image: a
        args: ['{{workflow.parameters.tag}}']
        volumeMounts: [{name: workspace, mountPath: /w}]
    """
    library = wf(template, kind="ClusterWorkflowTemplate").replace("  entrypoint: main\n", "")
    assert {f.severity for f in lint(library)} == {"warning"}
    declared = library.replace(
        "name: demo\n",
        "name: demo\n  annotations:\n    lint.argo-buildpacks.io/caller-provides: workspace, tag\n",
    )
    assert lint(declared) == []


# --------------------------------------------------------------------------- robustness


def test_non_argo_kinds_are_skipped_with_a_note() -> None:
    text = wf(MAIN) + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    text += "---\napiVersion: argoproj.io/v1alpha1\nkind: WorkflowEventBinding\nmetadata: {}\n"
    notes = lint(text)
    assert [f.severity for f in notes] == ["info", "info"]
    assert notes[0].document == "ConfigMap/c"
    assert "skipped" in notes[0].message
    one_error(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workfow\nmetadata: {name: x}\n", "kind", "Workfow"
    )


def test_an_alias_bomb_is_refused_quickly() -> None:
    levels = "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 9)}]\n" for i in range(9))
    bomb = "l0: &l0 [a, a, a, a, a, a, a, a, a]\n" + levels
    assert len(bomb) < 700
    start = time.perf_counter()
    (finding,) = lint(bomb)
    assert time.perf_counter() - start < 1
    assert "alias" in finding.message
    assert finding.severity == "error"


def test_limits_give_findings_not_hangs_or_crashes() -> None:
    (too_big,) = lint("a: b\n" * (MAX_TEXT // 5 + 1))
    assert "bytes" in too_big.message
    (deep,) = lint("a: " + "[" * 150 + "]" * 150)
    assert "nested more than" in deep.message
    (loop,) = lint("a: &a [*a]")
    assert "contains itself" in loop.message


def test_each_documents_findings_survive_a_broken_neighbour() -> None:
    broken = wf("- {name: main, container: {image: 3}}")
    text = "kind: [unclosed\n---\n" + broken + "---\n" + wf(MAIN)
    findings = lint(text)
    assert findings[0].message.startswith("not valid YAML")
    assert any(f.path == "spec.templates[0].container.image" for f in findings)


def test_a_crash_in_one_document_leaves_the_others_linted(monkeypatch: pytest.MonkeyPatch) -> None:
    from argo_buildpacks.linting._rules import check_workflow as real

    def flaky(doc: Any, *args: Any) -> Any:
        if doc["metadata"]["name"] == "boom":
            raise ValueError("inside")
        return real(doc, *args)

    monkeypatch.setattr("argo_buildpacks.linting._lint.check_workflow", flaky)
    text = wf(MAIN).replace("name: demo", "name: boom") + "---\n" + wf("- {name: main}")
    findings = lint(text)
    assert findings[0].document == "Workflow/boom"
    assert "could not be linted: ValueError: inside" in findings[0].message
    assert any(f.document == "Workflow/demo" and f.path == "spec.templates[0]" for f in findings)


def test_volume_keys_of_any_type_do_not_crash_restricted() -> None:
    text = wf(SECURE + "  volumes: [{name: v, 1: {}}]")
    one_error(text, "spec.templates[0].volumes[0]", "refuses", restricted=True)


def test_duplicate_keys_are_a_warning() -> None:
    (finding,) = lint(wf(MAIN) + "kind: Workflow\n")
    assert finding.severity == "warning"
    assert 'key "kind"' in finding.message


def test_yaml_dump_of_a_clean_manifest_round_trips() -> None:
    clean(yaml.safe_dump(yaml.safe_load(wf(SECURE))), restricted=True)


# --------------------------------------------------------------------------- CronWorkflow


def cron(schedule: str, timezone: str = "") -> str:
    zone = f"  timezone: {timezone}\n" if timezone else ""
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: nightly}\n"
        f"spec:\n  schedules: ['{schedule}']\n{zone}  workflowSpec:\n    entrypoint: main\n"
        "    templates: [{name: main, container: {image: a}}]\n"
    )


@pytest.mark.parametrize(
    ("schedule", "needle"),
    [
        ("61 * * * *", "minute field '61': out of range: allowed 0-59"),
        ("0 24 * * *", "hour field"),
        ("0 0 0 * *", "day of month field '0'"),
        ("0 0 * 13 *", "month field"),
        ("0 0 * * 7", "day of week field '7'"),
        ("0 0 * * 5-1", "runs backwards"),
        ("*/0 * * * *", "a step of 0"),
        ("0 0 * * * *", "6 fields"),
        ("@fortnightly", "not a descriptor"),
        ("@every 1 hour", "not a descriptor"),
        ("CRON_TZ=Mars/Olympus 0 0 * * *", 'invalid timezone "Mars/Olympus"'),
    ],
)
def test_cron_schedules_as_robfig_parses_them(schedule: str, needle: str) -> None:
    one_error(cron(schedule), "spec.schedules[0]", needle)


@pytest.mark.parametrize(
    "schedule",
    ["*/15 0-6,22 1 JAN-mar ?", "0 9 * * MON-fri", "@every 1h30m", "5/10 * * * *"],
)
def test_cron_schedules_robfig_accepts(schedule: str) -> None:
    clean(cron(schedule))


def test_cron_timezone_is_an_iana_name() -> None:
    one_error(cron("0 0 * * *", "Not/A_Zone"), "spec.timezone", 'invalid timezone "Not/A_Zone"')
    clean(cron("0 0 * * *", "Europe/Paris"))
    clean(cron("0 0 * * *", "UTC"))


def test_a_step_name_may_hold_a_variable_and_be_referenced_through_it() -> None:
    text = wf(
        """
        - name: main
          inputs: {parameters: [{name: day, value: mon}]}
          steps:
          - - {name: 'run-{{inputs.parameters.day}}', template: work}
          - - name: after
              template: work
              when: "'{{steps.run-{{inputs.parameters.day}}.outputs.result}}' != ''"
        - {name: work, container: {image: a}}
        """
    )
    clean(text)
    # Only the literal skeleton around the variable is checked, and it must be valid.
    one_error(
        text.replace("name: 'run-{{", "name: 'run_{{"),
        "spec.templates[0].steps[0][0].name",
        "invalid",
    )
