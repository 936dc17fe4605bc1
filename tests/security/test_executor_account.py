"""The executor's account is the app's own, never ``default`` (issue 19 item 6d).

Argo's executor (the wait container) holds the only token of a run, and its Role may create
and patch WorkflowTaskResults: a forged task result rewrites a step's outputs (the digest a
deploy or sign acts on). Bound to ``default``, that Role went to every pod of the namespace
that automounts ``default``. The attack modelled: whatever the config, no RoleBinding of a
rendered stream names ``default``, and every executor account a template names (workflow
level or template level) is rendered in the same stream, with the token Secret Argo mounts
for it (workflow/controller/workflowpod.go: an executor account's token is
``<account>.service-account-token`` unless the account lists one; util/secrets/
secret_name.go) and the executor Role bound to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.templates.fleets import fleet_manifests
from argo_buildpacks.templates.rbac import release_manifests

BASE: dict[str, Any] = {
    "name": "shop",
    "namespace": "ci",
    "source": {"url": "https://github.com/acme/shop.git"},
    "image": "ghcr.io/acme/shop",
    "registry_secret": "regcred",
}
RELEASE: dict[str, Any] = {
    "tag": {"from_git": True, "latest": True},
    "trigger": {"provider": "github", "webhook_secret": "hook", "branches": ["main"]},
    "schedule": "0 3 * * 1",
    "deploy": {"kubernetes": {"namespace": "apps", "deployment": "shop", "container": "app"}},
    "rebase": {"schedule": "0 4 * * *"},
    "sign": {"cosign_key_secret": "cosign-key"},
}
SHAPES = {
    "plain": {},
    "release": RELEASE,
    "steps": {"layout": "steps"},
    "gitops": {
        "deploy": {"gitops": {"repo": "https://g.example.com/d.git", "path": "kustomization.yaml"}},
        "rebase": {"tag": "1"},
    },
}


def _executors(doc: dict[str, Any]) -> set[str]:
    spec = doc.get("spec", {})
    found = {spec.get("executor", {}).get("serviceAccountName")}
    found |= {t.get("executor", {}).get("serviceAccountName") for t in spec.get("templates", [])}
    return found - {None}


def _check_stream(docs: list[dict[str, Any]]) -> set[str]:
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    subjects = {s["name"] for d in docs if d["kind"] == "RoleBinding" for s in d["subjects"]}
    assert "default" not in subjects
    executors = set().union(*(_executors(d) for d in docs if "WorkflowTemplate" in d["kind"]))
    assert executors and "default" not in executors
    for account in executors:
        assert ("ServiceAccount", account) in by, account
        token = by[("Secret", f"{account}.service-account-token")]
        assert token["type"] == "kubernetes.io/service-account-token"
        assert token["metadata"]["annotations"] == {"kubernetes.io/service-account.name": account}
        bound = [
            d["roleRef"]["name"]
            for d in docs
            if d["kind"] == "RoleBinding" and account in {s["name"] for s in d["subjects"]}
        ]
        rules = [r for name in bound for r in by[("Role", name)]["rules"]]
        assert {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"],
                "verbs": ["create", "patch"]} in rules  # fmt: skip
    return executors


@pytest.mark.parametrize("shape", SHAPES)
def test_no_pod_that_automounts_default_can_write_task_results(shape: str) -> None:
    config = BuildConfig.from_dict({**BASE, **SHAPES[shape]})
    assert _check_stream(release_manifests(config)) == {"shop-executor"}


def test_a_configured_account_is_the_executor_and_gets_its_token() -> None:
    config = BuildConfig.from_dict({**BASE, **RELEASE, "executor_service_account": "runner"})
    assert _check_stream(release_manifests(config)) == {"runner"}


def test_a_fleet_and_its_apps_name_only_accounts_they_render(tmp_path: Path) -> None:
    apps = [
        BuildConfig.from_dict({**BASE, "name": n, "tag": {"latest": True}}) for n in ("api", "web")
    ]
    assert _check_stream(fleet_manifests(apps)) == {"api-executor", "web-executor", "fleet"}
