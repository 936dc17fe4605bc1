"""200 distinct app configs for the benchmarks, and the tutorial's workflow for comparison."""

from __future__ import annotations

from typing import Any

from argo_buildpacks import BuildConfig

LANGS = [("BP_CPYTHON_VERSION", "3.12"), ("BP_NODE_VERSION", "20"), ("BP_JVM_VERSION", "21")]


def app_dict(i: int) -> dict[str, Any]:
    """The config of app ``i``: public repo, private registry, one build env var."""
    key, value = LANGS[i % len(LANGS)]
    return {
        "name": f"app-{i}",
        "namespace": "builds",
        "source": {"url": f"https://github.com/acme/app-{i}.git", "revision": "main"},
        "image": f"registry.example.com:5000/acme/app-{i}",
        "env": {key: value, "BP_APP_INDEX": str(i)},
        "registry_secret": "regcred",
    }


def apps(n: int = 200) -> list[BuildConfig]:
    """``n`` distinct, validated app configs."""
    return [BuildConfig.from_dict(app_dict(i)) for i in range(n)]


#: The classic tutorial's WorkflowTemplate: clone to a PVC, `pack build` with the host's
#: docker.sock in a privileged pod, then a deploy step (abridged to what is measured).
TUTORIAL: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "WorkflowTemplate",
    "metadata": {"name": "buildpacks-tutorial"},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "repo"}, {"name": "image"}]},
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "work"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ],
        "templates": [
            {
                "name": "main",
                "steps": [
                    [{"name": "clone", "template": "clone"}],
                    [{"name": "build", "template": "build"}],
                    [{"name": "deploy", "template": "deploy"}],
                ],
            },
            {
                "name": "clone",
                "container": {
                    "image": "alpine/git",
                    "command": ["sh", "-c"],
                    "args": [
                        "git clone {{workflow.parameters.repo}} /mnt/vol/app && "
                        "cd /mnt/vol/app && git describe --tags > /mnt/vol/tag"
                    ],
                    "volumeMounts": [{"name": "work", "mountPath": "/mnt/vol"}],
                },
            },
            {
                "name": "build",
                "container": {
                    "image": "buildpacksio/pack",
                    "command": ["sh", "-c"],
                    "args": [
                        "pack build {{workflow.parameters.image}}:$(cat /mnt/vol/tag) "
                        "--path /mnt/vol/app --publish "
                        "--builder paketobuildpacks/builder-jammy-base"
                    ],
                    "securityContext": {"privileged": True},
                    "volumeMounts": [
                        {"name": "work", "mountPath": "/mnt/vol"},
                        {"name": "docker-sock", "mountPath": "/var/run/docker.sock"},
                    ],
                },
                "volumes": [{"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock"}}],
            },
            {
                "name": "deploy",
                "container": {
                    "image": "bitnami/kubectl",
                    "command": ["kubectl"],
                    "args": ["apply", "-f", "/mnt/vol/app/deployment.yaml"],
                    "volumeMounts": [{"name": "work", "mountPath": "/mnt/vol"}],
                },
            },
        ],
    },
}
