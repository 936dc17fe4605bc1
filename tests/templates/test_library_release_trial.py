"""Issue 21 item 2: a platform team's 20-app trial in library mode, with the release features.

Twenty app configs (some with rebase and deploy, triggers, schedules, one that needs more
memory than the library's default) are rendered by the command line against one library
into one stream, linted ``--strict --restricted`` with the library, and installed with one
``apply`` against the local Argo API (`tests.support.argo_fake`, the templates) and the local
Kubernetes API (`tests.support.kube_fake`: RBAC, token Secrets, EventSources, Sensors,
CronWorkflows, by server-side apply). The stream is also checked to be whole: every name a
template, Sensor, CronWorkflow or binding uses is in the stream.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from argo_buildpacks.cli._main import cli
from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

REGISTRY = "registry.example.com/acme"
LIBRARY = ("library", "--registry", REGISTRY, "--git-host", "github.com")
MAXIMA = (
    "--max-resource",
    "build.requests.memory=8Gi",
    "--max-resource",
    "build.limits.memory=16Gi",
)
BIG = "app-07"  # the app that needs more memory


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ARGO")}
    return CliRunner().invoke(cli, list(args), env={**unset, **(env or {})})


def app_config(i: int) -> dict[str, Any]:
    name = f"app-{i:02d}"
    config: dict[str, Any] = {
        "name": name,
        "namespace": "argo",
        "source": {
            "url": f"https://github.com/acme/{name}.git",
            "credentials": {"https_token_secret": "argo-buildpacks-git"},
        },
        "image": f"{REGISTRY}/{name}",
        "builder": "paketobuildpacks/builder-jammy-base:0.4.642",
        "registry_secret": "argo-buildpacks-registry",
    }
    if i % 2 == 0:  # tag -> production: rebase and deploy, half of them triggered too
        config["tag"] = {"from_git": True, "latest": True}
        config["rebase"] = {"schedule": "0 4 * * *"}
        config["deploy"] = {
            "kubernetes": {"namespace": "apps", "deployment": name, "container": "app"}
        }
        if i % 4 == 0:
            config["trigger"] = {
                "provider": "github",
                "webhook_secret": "github-webhook",
                "branches": ["main"],
            }
            config["schedule"] = "0 3 * * 1"
    if i % 5 == 0:  # the README's tags: the rebase keeps the MAJOR tag patched
        config["tag"] = {"from_git": True, "latest": False}
        config["rebase"] = {"schedule": "30 4 * * *", "tag": "1"}
        config["deploy"] = {
            "gitops": {"repo": "https://github.com/acme/deploy.git", "path": "kustomization.yaml"}
        }
    if i % 3 == 0:
        config["layout"] = "steps"
    if name == BIG:
        config["resources"] = {
            "build": {"requests": {"memory": "6Gi"}, "limits": {"memory": "12Gi"}}
        }
    return config


@pytest.fixture
def trial(tmp_path: Path) -> dict[str, Any]:
    apps = tmp_path / "apps"
    apps.mkdir()
    paths = []
    for i in range(1, 21):
        path = apps / f"app-{i:02d}.yaml"
        path.write_text(yaml.safe_dump(app_config(i), sort_keys=False))
        paths.append(str(path))
    library = tmp_path / "library.yaml"
    made = invoke(*LIBRARY, *MAXIMA, "--output-file", str(library))
    assert made.exit_code == 0, made.output
    stream = tmp_path / "stream.yaml"
    files = [a for p in paths for a in ("-f", p)]
    rendered = invoke(
        "render", *files, "--library", "argo-buildpacks", "--library-file", str(library),
        "--output-file", str(stream),
    )  # fmt: skip
    assert rendered.exit_code == 0, rendered.output
    docs = [d for d in yaml.safe_load_all(stream.read_text()) if d]
    return {"library": library, "stream": stream, "docs": docs, "tmp": tmp_path}


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_the_trial_renders_every_release_object_around_thin_templates(
    trial: dict[str, Any],
) -> None:
    docs = trial["docs"]
    templates = by_kind(docs, "WorkflowTemplate")
    apps = [f"app-{i:02d}" for i in range(1, 21)]
    # Every app's build template calls the library; nothing builds outside it.
    for app in apps:
        main = next(t for t in templates[app]["spec"]["templates"] if t["name"] == "main")
        steps = [s for group in main["steps"] for s in group]
        refs = [s["templateRef"] for s in steps if "templateRef" in s]
        assert {r["template"] for r in refs} >= {"provenance"}
        assert all(r == {**r, "name": "argo-buildpacks", "clusterScope": True} for r in refs)
        # The app's own templates: the deploy only (after the library's build).
        own = {t["name"] for t in templates[app]["spec"]["templates"]} - {"main"}
        assert {s["template"] for s in steps if "templateRef" not in s} == own
        assert own <= {"deploy"}, own
    released = [a for i, a in enumerate(apps, start=1) if i % 2 == 0 or i % 5 == 0]
    assert sorted(n.removesuffix("-rebase") for n in templates if n.endswith("-rebase")) == sorted(
        released
    )
    crons = by_kind(docs, "CronWorkflow")
    sensors = by_kind(docs, "Sensor")
    assert len(sensors) == len(by_kind(docs, "EventSource")) == 5
    assert {f"{a}-rebase" for a in released} <= set(crons)
    # What the Sensor, the CronWorkflows and the rebase's rebuild run is in the stream: the
    # thin template (so a triggered build, a scheduled one and a rebuild all use the library).
    for cron in crons.values():
        assert cron["spec"]["workflowSpec"]["workflowTemplateRef"]["name"] in templates
    for sensor in sensors.values():
        assert sensor["metadata"]["name"] in templates
        assert sensor["metadata"]["name"] in json.dumps(sensor["spec"]["triggers"])
    for app in released:
        rebuild = next(
            t for t in templates[f"{app}-rebase"]["spec"]["templates"] if t["name"] == "rebuild"
        )
        assert json.loads(rebuild["resource"]["manifest"])["spec"]["workflowTemplateRef"] == {
            "name": app
        }


def test_every_name_the_stream_uses_is_in_the_stream(trial: dict[str, Any]) -> None:
    docs = trial["docs"]
    accounts = set(by_kind(docs, "ServiceAccount"))
    roles = set(by_kind(docs, "Role"))
    secrets = by_kind(docs, "Secret")
    names = [(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for d in docs]
    assert len(names) == len(set(names)), "an object is rendered twice"
    for binding in by_kind(docs, "RoleBinding").values():
        assert binding["roleRef"]["name"] in roles
        assert {s["name"] for s in binding["subjects"]} <= accounts
    for template in (d for d in docs if d["kind"] == "WorkflowTemplate"):
        spec = template["spec"]
        executor = spec["executor"]["serviceAccountName"]
        assert executor in accounts
        token = secrets[f"{executor}.service-account-token"]
        assert token["type"] == "kubernetes.io/service-account-token"
        assert token["metadata"]["annotations"] == {"kubernetes.io/service-account.name": executor}
        for t in spec["templates"]:
            if t.get("serviceAccountName"):
                assert t["serviceAccountName"] in accounts
    for sensor in by_kind(docs, "Sensor").values():
        assert sensor["spec"]["template"]["serviceAccountName"] in accounts


def test_the_trial_lints_strict_and_restricted_with_the_library(trial: dict[str, Any]) -> None:
    linted = invoke(
        "lint", "--strict", "--restricted", "-f", str(trial["library"]), "-f", str(trial["stream"])
    )
    assert linted.exit_code == 0, linted.output
    assert "no findings" in linted.output


def test_the_app_that_needs_more_memory_gets_it_through_the_library(
    trial: dict[str, Any],
) -> None:
    template = by_kind(trial["docs"], "WorkflowTemplate")[BIG]
    main = next(t for t in template["spec"]["templates"] if t["name"] == "main")
    build = next(s for g in main["steps"] for s in g if s["name"] == "build")
    given = {p["name"]: p["value"] for p in build["arguments"]["parameters"]}
    assert given["resources-build-requests-memory"] == "6Gi"
    assert given["resources-build-limits-memory"] == "12Gi"
    # The others pass none: they run with the library's values.
    other = by_kind(trial["docs"], "WorkflowTemplate")["app-01"]
    assert "resources-" not in json.dumps(other)
    library = yaml.safe_load(trial["library"].read_text())
    lib_build = next(t for t in library["spec"]["templates"] if t["name"] == "build")
    inputs = {p["name"]: p.get("default") for p in lib_build["inputs"]["parameters"]}
    assert inputs["resources-build-requests-memory"] == "2Gi"
    patch = lib_build["podSpecPatch"]
    assert "inputs.parameters['resources-build-requests-memory']" in patch


def test_an_app_above_the_library_maximum_is_refused_and_nothing_is_written(
    trial: dict[str, Any],
) -> None:
    config = app_config(7)
    config["resources"] = {"build": {"limits": {"memory": "32Gi"}}}
    path = trial["tmp"] / "greedy.yaml"
    path.write_text(yaml.safe_dump(config))
    out = trial["tmp"] / "greedy-out.yaml"
    refused = invoke(
        "render", "-f", str(path), "--library", "argo-buildpacks",
        "--library-file", str(trial["library"]), "--output-file", str(out),
    )  # fmt: skip
    assert refused.exit_code == 2
    assert (
        "app 'app-07': resources.build.limits.memory = '32Gi' is above the maximum library "
        "'argo-buildpacks' sets for the build phase, '16Gi'"
    ) in refused.output
    assert not out.exists()


def test_the_trial_installs_with_one_apply(
    trial: dict[str, Any], argo_fake: FakeArgo, kube_fake: FakeKube
) -> None:
    # Everything: the library and every template through the Argo server, the rest through
    # the Kubernetes API, in one apply of the library file and the rendered stream.
    kubeconfig = kube_fake.write_kubeconfig(trial["tmp"] / "kubeconfig")
    env = {
        "ARGO_SERVER": argo_fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": "test-token",
        "KUBECONFIG": str(kubeconfig),
    }
    files = ("-f", str(trial["library"]), "-f", str(trial["stream"]))
    applied = invoke("apply", *files, env=env)
    assert applied.exit_code == 0, applied.output
    argo_kinds = [d for d in trial["docs"] if d["kind"] == "WorkflowTemplate"]
    assert set(argo_fake.cluster_templates) == {"argo-buildpacks"}
    assert {name for _, name in argo_fake.templates} == {d["metadata"]["name"] for d in argo_kinds}
    assert len(argo_fake.templates) == 20 + 12  # every app, and every app's rebase
    plural = {
        "ServiceAccount": "serviceaccounts",
        "Secret": "secrets",
        "Role": "roles",
        "RoleBinding": "rolebindings",
        "CronWorkflow": "cronworkflows",
        "EventSource": "eventsources",
        "Sensor": "sensors",
    }
    kube_docs = [d for d in trial["docs"] if d["kind"] in plural]
    assert {d["kind"] for d in kube_docs} == set(plural)  # the trial has every kind
    for doc in kube_docs:
        meta = doc["metadata"]
        stored = kube_fake.get(plural[doc["kind"]], meta.get("namespace", "argo"), meta["name"])
        assert stored is not None, f"{doc['kind']}/{meta['name']} was not installed"
    assert len(applied.stdout.splitlines()) == 1 + len(trial["docs"])  # + the library
    # Applying the same again changes nothing, on either server.
    versions = {k: o["metadata"]["resourceVersion"] for k, o in kube_fake.objects.items()}
    again = invoke("apply", *files, env=env)
    assert again.exit_code == 0, again.output
    assert "created" not in again.output and "updated" not in again.output
    assert {k: o["metadata"]["resourceVersion"] for k, o in kube_fake.objects.items()} == versions
