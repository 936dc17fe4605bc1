"""``lint --restricted``: a container that adds capabilities, and a container that says
``runAsNonRoot: false`` under a pod that says ``true``.

Both are also "root on the node" findings (`argo_buildpacks.linting._privileged`), which
``lint`` reports in place of the profile's own finding at the same path. So the user-visible
result is pinned through ``lint`` and the command line, and the profile's own rules
(`argo_buildpacks.linting._restricted.restricted_issues`, which must hold on their own,
whatever the other check reports) are pinned directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from argo_buildpacks.cli._main import cli
from argo_buildpacks.linting._base import Issue
from argo_buildpacks.linting._lint import Finding, lint
from argo_buildpacks.linting._restricted import restricted_issues

POD = "spec.templates[0].securityContext"
SC = "spec.templates[0].container.securityContext"
# What the init and wait containers need, so that only the container's findings remain.
PATCH = (
    '{"initContainers": [{"name": "init", "securityContext": {"allowPrivilegeEscalation": '
    'false, "capabilities": {"drop": ["ALL"]}}}], "containers": [{"name": "wait", '
    '"securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}'
)


def workflow(container_security: dict[str, Any], pod_non_root: bool = True) -> dict[str, Any]:
    """A Workflow that "restricted" accepts, but for ``container_security`` merged into its
    one container's securityContext."""
    security = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "demo"},
        "spec": {
            "entrypoint": "main",
            "podSpecPatch": PATCH,
            "templates": [
                {
                    "name": "main",
                    "securityContext": {
                        "runAsNonRoot": pod_non_root,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "container": {
                        "name": "app",
                        "image": "alpine",
                        "securityContext": {**security, **container_security},
                    },
                }
            ],
        },
    }


def profile(manifest: dict[str, Any]) -> list[Issue]:
    return list(restricted_issues(manifest["spec"], "spec"))


def test_the_baseline_workflow_is_clean() -> None:
    # Otherwise the findings below could come from something else.
    assert lint(workflow({}), restricted=True) == []
    assert profile(workflow({})) == []


# capabilities.add -------------------------------------------------------------------------


def test_added_capabilities_are_an_error_under_restricted() -> None:
    manifest = workflow({"capabilities": {"drop": ["ALL"], "add": ["NET_RAW", "SYS_ADMIN"]}})
    assert lint(manifest, restricted=True) == [
        Finding(
            f"{SC}.capabilities.add",
            "container 'app' adds capabilities NET_RAW, SYS_ADMIN",
            "Workflow/demo",
            "error",
        )
    ]
    # Without --restricted it is still said, as a warning.
    (warning,) = lint(manifest)
    assert (warning.path, warning.severity) == (f"{SC}.capabilities.add", "warning")


def test_restricted_profile_allows_only_net_bind_service() -> None:
    manifest = workflow({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "NET_RAW"]}})
    assert profile(manifest) == [
        Issue(
            f"{SC}.capabilities.add",
            'container "app" adds NET_RAW; "restricted" allows only NET_BIND_SERVICE',
        )
    ]
    only_bind = workflow({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})
    assert profile(only_bind) == []
    # ...and the privileged gate (lint, apply) agrees: it is no root on the node.
    assert lint(only_bind, restricted=True) == []
    (finding,) = lint(manifest, restricted=True)
    assert finding.message == "container 'app' adds capabilities NET_RAW"


def test_cli_lint_restricted_reports_added_capabilities(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(workflow({"capabilities": {"drop": ["ALL"], "add": ["X"]}})))
    result = CliRunner().invoke(cli, ["lint", "--restricted", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}: {SC}.capabilities.add: container 'app' adds capabilities X\n" in result.output
    assert CliRunner().invoke(cli, ["lint", str(path)]).exit_code == 0  # a warning only


# runAsNonRoot: false in the container, true in the pod ------------------------------------


def test_container_run_as_non_root_false_beats_the_pods_true() -> None:
    manifest = workflow({"runAsNonRoot": False}, pod_non_root=True)
    assert lint(manifest, restricted=True) == [
        Finding(
            f"{SC}.runAsNonRoot",
            "runAsNonRoot: false allows running as root",
            "Workflow/demo",
            "error",
        )
    ]
    # The profile on its own: the container's value wins over the pod's.
    assert profile(manifest) == [
        Issue(
            f"{SC}.runAsNonRoot",
            f'container "app": runAsNonRoot is false (container and pod, {POD}); '
            '"restricted" requires true',
        )
    ]


def test_container_run_as_non_root_true_beats_the_pods_false() -> None:
    manifest = workflow({"runAsNonRoot": True}, pod_non_root=False)
    # The pod's own false is root-capable; the container itself is not flagged.
    assert [(f.path, f.severity) for f in lint(manifest, restricted=True)] == [
        (f"{POD}.runAsNonRoot", "error")
    ]
    assert profile(manifest) == []


def test_run_as_non_root_unset_everywhere_is_refused() -> None:
    manifest = workflow({})
    del manifest["spec"]["templates"][0]["securityContext"]["runAsNonRoot"]
    expected = (
        f"{SC}.runAsNonRoot",
        f'container "app": runAsNonRoot is null (container and pod, {POD}); '
        '"restricted" requires true',
    )
    assert [(f.path, f.message) for f in lint(manifest, restricted=True)] == [expected]
    assert lint(manifest) == []


# seccompProfile: the container's, else the pod's, must be RuntimeDefault or Localhost -------


def test_no_seccomp_profile_is_refused_under_restricted() -> None:
    manifest = workflow({})
    del manifest["spec"]["templates"][0]["securityContext"]["seccompProfile"]
    assert [(f.path, f.message, f.severity) for f in lint(manifest, restricted=True)] == [
        (
            f"{SC}.seccompProfile.type",
            'container "app": seccompProfile.type is null (container and pod); '
            '"restricted" requires RuntimeDefault or Localhost',
            "error",
        )
    ]
    assert lint(manifest) == []  # not root on the node: said only when asked


def test_unconfined_seccomp_is_refused_and_the_container_profile_counts() -> None:
    unconfined = workflow({"seccompProfile": {"type": "Unconfined"}})
    (finding,) = lint(unconfined, restricted=True)
    assert (finding.path, finding.severity) == (f"{SC}.seccompProfile.type", "error")
    assert finding.message.startswith('container "app": seccompProfile.type is "Unconfined"')
    # A container's own Localhost profile satisfies the profile without the pod's.
    local = workflow({"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})
    del local["spec"]["templates"][0]["securityContext"]["seccompProfile"]
    assert lint(local, restricted=True) == []
