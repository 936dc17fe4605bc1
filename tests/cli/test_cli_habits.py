"""Habits of the argo and kubectl command lines (issue 21 item 7): ``-o name`` prints
objects as kubectl does (``serviceaccount/x``, ``workflowtemplate.argoproj.io/x``: k8s.io
cli-runtime pkg/printers/name.go, printObj) and RUN arguments take that form back;
``render -n``; ``wrote FILE: N objects (...)``; how long a run has been Pending; and
``fleet status`` saying what it could not read, and why."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from argo_buildpacks.cli._common import resource_name, run_argument
from argo_buildpacks.cli._progress import PlainProgress, format_status, status_json
from argo_buildpacks.model.runs import RunStatus
from tests.cli.test_cli import (
    EXAMPLE,
    LIBRARY_FLAGS,
    _kube_api,  # noqa: F401  (autouse: apply installs RBAC too)
    invoke,
    server_env,
)
from tests.support.argo_fake import FakeArgo
from tests.templates.test_fleet import NEW, OLD, fleet_dir

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "examples" / "my-python-app-release.yaml"


# --------------------------------------------------------------------------- -o name


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("v1", "ServiceAccount", "serviceaccount/x"),
        ("v1", "Secret", "secret/x"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebinding.rbac.authorization.k8s.io/x"),
        ("argoproj.io/v1alpha1", "WorkflowTemplate", "workflowtemplate.argoproj.io/x"),
    ],
)
def test_names_are_spelled_as_kubectl_spells_them(
    api_version: str, kind: str, expected: str
) -> None:
    assert resource_name(api_version, kind, "x") == expected


def test_render_o_name_lists_every_object_as_kubectl_does() -> None:
    done = invoke("render", "-f", str(EXAMPLE), "-o", "name")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "serviceaccount/my-python-app-executor",
        "secret/my-python-app-executor.service-account-token",
        "role.rbac.authorization.k8s.io/my-python-app-executor",
        "rolebinding.rbac.authorization.k8s.io/my-python-app-executor",
        "workflowtemplate.argoproj.io/my-python-app",
    ]


def test_a_run_round_trips_through_o_name(argo_fake: FakeArgo) -> None:
    env = server_env(argo_fake)
    assert invoke("apply", str(EXAMPLE), env=env).exit_code == 0
    submitted = invoke("submit", "my-python-app", "--tag", "1.4.2", "-o", "name", env=env)
    assert submitted.exit_code == 0, submitted.output
    printed = submitted.stdout.strip()
    ((_, name),) = argo_fake.workflows
    assert printed == f"workflow.argoproj.io/{name}"
    # What -o name printed is a RUN for status and logs, as it is for kubectl.
    again = invoke("status", printed, "-o", "name", env=env)
    assert (again.exit_code, again.stdout) == (0, f"{printed}\n")
    as_json = invoke("status", f"workflow/{name}", "-o", "json", env=env)
    assert json.loads(as_json.stdout)["name"] == name
    assert invoke("logs", printed, env=env).exit_code == 0


def test_a_run_argument_of_another_kind_is_refused_before_any_request(
    argo_fake: FakeArgo,
) -> None:
    before = argo_fake.count()
    done = invoke("status", "serviceaccount/x", env=server_env(argo_fake))
    assert done.exit_code == 2
    assert "'serviceaccount/x' is not a workflow: give NAME or workflow.argoproj.io/NAME" in (
        done.stderr
    )
    assert argo_fake.count() == before
    with pytest.raises(Exception, match="not a workflow"):
        run_argument("pods/x")
    assert run_argument("workflows/x") == run_argument("x") == "x"


# --------------------------------------------------------------------------- render -n


def _namespaces(stream: str) -> dict[str, str]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["metadata"].get("namespace")
        for d in yaml.safe_load_all(stream)
    }


def test_render_n_sets_the_namespace_of_every_object() -> None:
    done = invoke("render", "-f", str(EXAMPLE), "-n", "ci")
    assert done.exit_code == 0, done.output
    found = _namespaces(done.stdout)
    assert len(found) == 5 and set(found.values()) == {"ci"}, found
    # The executor's RoleBinding names its ServiceAccount in the same namespace.
    binding = next(d for d in yaml.safe_load_all(done.stdout) if d["kind"] == "RoleBinding")
    assert {s["namespace"] for s in binding["subjects"]} == {"ci"}


def test_render_n_keeps_a_deploys_objects_in_the_namespace_it_deploys_to() -> None:
    done = invoke("render", "-f", str(RELEASE), "-n", "ci")
    assert done.exit_code == 0, done.output
    target = yaml.safe_load(RELEASE.read_text())["deploy"]["kubernetes"]["namespace"]
    placed = [
        (d["kind"], d["metadata"]["namespace"] == target)
        for d in yaml.safe_load_all(done.stdout)
        if d["metadata"].get("namespace") != "ci"
    ]
    assert placed == [("Role", True), ("RoleBinding", True)]


def test_render_n_refuses_a_bad_namespace_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    done = invoke("render", "-f", str(EXAMPLE), "-n", "Bad_NS", "--output-file", str(out))
    assert done.exit_code == 2
    assert "'Bad_NS' is not a DNS-1123 label" in done.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- wrote FILE


def test_render_says_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "app.yaml"
    done = invoke("render", "-f", str(EXAMPLE), "--output-file", str(out))
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        f"wrote {out}: 5 objects (ServiceAccount/my-python-app-executor, "
        "Secret/my-python-app-executor.service-account-token, Role/my-python-app-executor, "
        "RoleBinding/my-python-app-executor, WorkflowTemplate/my-python-app)\n"
    )
    assert len(list(yaml.safe_load_all(out.read_text()))) == 5


def test_library_and_fleet_render_say_what_they_wrote(tmp_path: Path) -> None:
    lib = tmp_path / "lib.yaml"
    done = invoke("library", *LIBRARY_FLAGS, "--output-file", str(lib))
    assert done.stderr == f"wrote {lib}: 1 object (ClusterWorkflowTemplate/argo-buildpacks)\n"
    d = fleet_dir(tmp_path, "api", "web")
    out = tmp_path / "fleet.yaml"
    fleet = invoke("fleet", "render", str(d), "--output-file", str(out))
    assert fleet.exit_code == 0, fleet.output
    written = [f"{m['kind']}/{m['metadata']['name']}" for m in yaml.safe_load_all(out.read_text())]
    assert fleet.stderr == f"wrote {out}: {len(written)} objects ({', '.join(written)})\n"
    assert "CronWorkflow/fleet" in written


# --------------------------------------------------------------------------- Pending


SUBMITTED = datetime(2026, 12, 7, 10, 0, 0, tzinfo=timezone.utc)


def _pending(**changes: Any) -> RunStatus:
    return RunStatus("app-x", "argo", "Pending", created_at=SUBMITTED, **changes)


def test_status_shows_how_long_a_run_has_been_pending() -> None:
    text = format_status(_pending())
    (phase,) = [line for line in text.splitlines() if line.startswith("Phase:")]
    assert phase.startswith("Phase:      Pending for ")
    assert "Pending for" not in format_status(
        RunStatus("app-x", "argo", "Running", created_at=SUBMITTED)
    )
    assert status_json(_pending())["created_at"] == "2026-12-07T10:00:00+00:00"


def test_waiting_prints_how_long_it_has_been_pending_at_intervals() -> None:
    now = [SUBMITTED + timedelta(seconds=3)]
    lines: list[str] = []
    progress = PlainProgress(lines.append, pending_every=30, now=lambda: now[0])
    for seconds in (3, 10, 31, 40, 65, 95):
        now[0] = SUBMITTED + timedelta(seconds=seconds)
        progress(_pending())
    assert lines == [
        "app-x  Pending for 3s",
        "app-x  still Pending after 31s",
        "app-x  still Pending after 1m05s",
        "app-x  still Pending after 1m35s",
    ]
    now[0] = SUBMITTED + timedelta(seconds=100)
    progress(RunStatus("app-x", "argo", "Running", created_at=SUBMITTED, progress="0/1"))
    assert lines[-1] == "app-x  Running  0/1"


def test_a_run_the_controller_has_not_seen_keeps_its_submission_time() -> None:
    from hera.workflows.models import ObjectMeta, Time, Workflow, WorkflowSpec

    meta = ObjectMeta(name="app-x", namespace="argo", creation_timestamp=Time(SUBMITTED))
    wf = Workflow(metadata=meta, spec=WorkflowSpec())
    status = RunStatus.from_workflow(wf)
    assert (status.phase, status.created_at) == ("Pending", SUBMITTED)


# --------------------------------------------------------------------------- fleet status


def _fleet_run(
    tmp_path: Path, argo_fake: FakeArgo, outputs: dict[str, str], final: str = "Succeeded"
) -> tuple[Path, dict[str, str]]:
    d = fleet_dir(tmp_path, "api", "web", "db")
    rendered = invoke("fleet", "render", str(d), "-o", "json")
    items = json.loads(rendered.stdout)["items"]
    argo_fake.templates[("argo", "fleet")] = next(
        i for i in items if i["kind"] == "WorkflowTemplate" and i["metadata"]["name"] == "fleet"
    )
    argo_fake.outputs_for = lambda params: outputs
    argo_fake.final_phase = final
    env = {**server_env(argo_fake), "ARGO_NAMESPACE": "argo"}
    assert invoke("fleet", "submit", str(d), env=env).exit_code == 0
    return d, env


def _status_until_done(d: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    seen = []
    for _ in range(50):  # each read of the fake run moves it one step on
        done = invoke("fleet", "status", str(d), "-o", "json", env=env)
        assert done.exit_code == 0, done.output
        seen.append(json.loads(done.stdout))
        if seen[-1]["phase"] in ("Succeeded", "Failed", "Error"):
            return seen
    raise AssertionError("the fake run never finished")


def test_fleet_status_names_each_app_it_could_not_read_and_why(
    tmp_path: Path, argo_fake: FakeArgo
) -> None:
    summary = f"api\tSucceeded\trebased\t{OLD}\t{NEW}\trun image changed\ngarbage line\n"
    d, env = _fleet_run(tmp_path, argo_fake, {"summary": summary})
    seen = _status_until_done(d, env)
    running = next(s for s in seen if s["phase"] == "Running")
    assert (
        "db: not reported: the run is Running: its summary comes when every app is done"
        in running["problems"]
    )
    last = seen[-1]
    assert [a["app"] for a in last["apps"]] == ["api"]
    assert sorted(last["not_reported"]) == ["db", "web"]
    assert last["problems"] == [
        "summary line 2 unreadable (not six tab-separated fields): 'garbage line'",
        *[
            f"{app}: not reported: not in this run's summary: added to DIR after the run started?"
            for app in last["not_reported"]
        ],
    ]
    table = invoke("fleet", "status", str(d), env=env)
    assert "summary line 2 unreadable" in table.stdout
    assert "web: not reported" in table.stdout


def test_fleet_status_says_the_run_failed_before_its_summary(
    tmp_path: Path, argo_fake: FakeArgo
) -> None:
    d, env = _fleet_run(tmp_path, argo_fake, {}, final="Failed")
    last = _status_until_done(d, env)[-1]
    assert last["apps"] == []
    message = _message(argo_fake)
    detail = f": {message}" if message else ""
    assert sorted(last["problems"]) == [
        f"{app}: not reported: the run Failed before its summary step wrote one{detail}"
        for app in ("api", "db", "web")
    ]


def _message(argo_fake: FakeArgo) -> str:
    ((_, name),) = argo_fake.workflows
    done = invoke("status", name, "-o", "json", env=server_env(argo_fake))
    return str(json.loads(done.stdout)["message"])
