"""The fleet: every config of a directory rebased or rebuilt by one workflow.

Checks the rendered fleet (capped parallelism, one app's failure stopping no other, the
summary fed from each app's run), lints every object, executes the summary script with
one failed app among others, and drives ``fleet render|submit|status`` against the local
Argo API, bad configs included.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from argo_buildpacks import BuildConfig, ConfigError
from argo_buildpacks.cli._main import cli
from argo_buildpacks.linting._lint import lint
from argo_buildpacks.templates.fleets import (
    REASON_MAX,
    FleetError,
    fleet,
    fleet_manifests,
    load_fleet,
    parse_summary,
)
from tests.support.argo_fake import FakeArgo
from tests.support.runscript import SHELLS, Rendered, Shell, run

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
APP = """name: {name}
source: {{url: https://github.com/acme/{name}.git}}
image: ghcr.io/acme/{name}
registry_secret: regcred
tag: {{latest: true}}
rebase: {{schedule: "0 4 * * *"}}
"""


def fleet_dir(tmp_path: Path, *names: str) -> Path:
    d = tmp_path / "apps"
    d.mkdir()
    for n in names:
        (d / f"{n}.yaml").write_text(APP.format(name=n))
    return d


def test_the_fleet_runs_every_app_capped_and_failure_stops_no_other(tmp_path: Path) -> None:
    configs = load_fleet(fleet_dir(tmp_path, "api", "web", "worker"))
    wt = fleet(configs, parallelism=2)
    spec = wt["spec"]
    assert spec["parallelism"] == 2
    main = {t["name"]: t for t in spec["templates"]}["main"]
    assert main["parallelism"] == 2
    first, last = main["steps"]
    assert [s["name"] for s in first] == ["app-api", "app-web", "app-worker"]
    assert all(s["continueOn"] == {"failed": True} for s in first)
    templates = {t["name"]: t for t in spec["templates"]}
    for step in first:
        resource = templates[step["template"]]["resource"]
        manifest = json.loads(resource["manifest"])
        assert manifest["spec"]["workflowTemplateRef"]["name"] == step["name"][4:] + "-rebase"
        # A failed app run still completes its step: the summary reports it.
        assert resource["successCondition"] == "status.phase in (Succeeded, Failed, Error)"
        assert "failureCondition" not in resource
    (summary,) = last
    passed = {p["name"]: p["value"] for p in summary["arguments"]["parameters"]}
    assert passed["app-web-action"] == "{{steps.app-web.outputs.parameters.action}}"
    assert passed["app-web-phase"] == "{{steps.app-web.outputs.parameters.phase}}"
    assert templates["summary"]["outputs"]["parameters"][0]["globalName"] == "summary"


@pytest.mark.parametrize("options", [{}, {"argo_version": "3.6"}, {"restricted": True}])
def test_every_fleet_object_lints_clean(tmp_path: Path, options: dict[str, Any]) -> None:
    docs = fleet_manifests(load_fleet(fleet_dir(tmp_path, "api", "web")))
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert ("WorkflowTemplate", "api-rebase") in kinds and ("WorkflowTemplate", "fleet") in kinds
    # The fleet's CronWorkflow replaces each app's own.
    assert [k for k in kinds if k[0] == "CronWorkflow"] == [("CronWorkflow", "fleet")]
    assert [f for f in lint(docs, **options) if f.severity == "error"] == []


def test_fleet_arguments_are_checked() -> None:
    cfg = BuildConfig.from_yaml(APP.format(name="api"))
    other = BuildConfig.from_yaml(APP.format(name="web") + "namespace: ci\n")
    with pytest.raises(ConfigError, match="parallelism 0 must be a whole number from 1 to 100"):
        fleet([cfg], parallelism=0)
    with pytest.raises(ConfigError, match="must be in namespace 'argo'"):
        fleet([cfg, other])
    with pytest.raises(ConfigError, match="app names must be unique"):
        fleet([cfg, cfg])
    with pytest.raises(ConfigError, match="fleet schedule 'soon' is not a cron expression"):
        fleet_manifests([cfg], schedule="soon")


def _summary_script(tmp_path: Path) -> tuple[Rendered, list[str]]:
    cfgs = [BuildConfig.from_yaml(APP.format(name=n)) for n in ("api", "web", "worker")]
    t = {x["name"]: x for x in fleet(cfgs)["spec"]["templates"]}["summary"]
    c = t["container"]
    rendered = Rendered(script=c["command"][2], name=c["command"][3], args=(), env={})
    return rendered, c["args"]


@pytest.mark.parametrize("shell", SHELLS)
def test_the_summary_reports_a_failed_app_among_the_others(shell: Shell, tmp_path: Path) -> None:
    rendered, args = _summary_script(tmp_path)
    values = {
        "app-api": ["Succeeded", "rebased", OLD, NEW, "run image changed"],
        # web's run failed: no outputs, as Argo's defaults give them.
        "app-web": ["Failed", "", "", "", ""],
        "app-worker": ["Succeeded", "unchanged", OLD, OLD, "nothing\tto\ndo"],
    }
    params = {
        f"{step}-{out}": value
        for step, vals in values.items()
        for out, value in zip(
            ("phase", "action", "old-digest", "new-digest", "reason"), vals, strict=True
        )
    }
    out = tmp_path / "summary.tsv"
    result = run(shell, rendered, params=params, args=args, env={"OUT": str(out)})
    assert result.returncode == 0, result.stderr
    rows = parse_summary(out.read_text())
    assert [(r.app, r.phase, r.action) for r in rows] == [
        ("api", "Succeeded", "rebased"),
        ("web", "Failed", "-"),
        ("worker", "Succeeded", "unchanged"),
    ]
    assert rows[0].old_digest == OLD and rows[0].new_digest == NEW
    assert rows[1].old_digest == "-"
    # A reason cannot add a column or a row.
    assert rows[2].reason == "nothing?to?do"


# What the controller does with the summary step's arguments (workflow/controller/steps.go
# resolveReferences -> util/template/template.go Replace): a simple tag is replaced by the
# step output's value; an expression tag ("{{=...}}", kindExpression) is evaluated by
# expr-lang with the outputs expanded into nested maps and sprig's functions as "sprig"
# (util/expr/env/env.go GetFuncMap); sprig's trunc(c, s) is Go's s[:c], in bytes.
_SIMPLE = re.compile(r"\{\{steps\.([a-z0-9-]+)\.outputs\.parameters\.([a-z-]+)\}\}\Z")
_TRUNC = re.compile(
    r"\{\{=sprig\.trunc\((\d+), steps\['([a-z0-9-]+)'\]\.outputs\.parameters\.([a-z-]+)\)\}\}\Z"
)


def argo_arguments(
    summary_step: dict[str, Any], outputs: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The summary's input values as the controller resolves its step's arguments from the
    app steps' ``outputs`` (step -> output -> value); any other tag is a test failure."""
    resolved = {}
    for p in summary_step["arguments"]["parameters"]:
        value = p["value"]
        if simple := _SIMPLE.match(value):
            resolved[p["name"]] = outputs[simple[1]][simple[2]]
        elif trunc := _TRUNC.match(value):
            text = outputs[trunc[2]][trunc[3]].encode()
            resolved[p["name"]] = text[: int(trunc[1])].decode(errors="replace")
        else:
            raise AssertionError(f"no model of Argo's substitution for {value!r}")
    return resolved


@pytest.mark.parametrize("shell", SHELLS)
def test_a_huge_reason_is_cut_before_the_summary_and_by_it(shell: Shell, tmp_path: Path) -> None:
    """A 1 MB reason (an older rebase template's) crashed the summary: one argument over
    128 KiB cannot be exec'd (E2BIG). The controller cuts it to REASON_MAX first."""
    cfgs = [BuildConfig.from_yaml(APP.format(name=n)) for n in ("api", "web")]
    spec = fleet(cfgs)["spec"]
    main, summary = ({t["name"]: t for t in spec["templates"]}[n] for n in ("main", "summary"))
    (step,) = main["steps"][1]
    outputs = {
        "app-api": {
            "phase": "Succeeded", "action": "rebuild", "old-digest": OLD, "new-digest": "",
            "reason": "builder lacks " + "x" * 1_000_000,
        },
        "app-web": {
            "phase": "Succeeded", "action": "unchanged", "old-digest": OLD, "new-digest": OLD,
            "reason": "nothing to do",
        },
    }  # fmt: skip
    params = argo_arguments(step, outputs)
    assert len(params["app-api-reason"]) == REASON_MAX
    c = summary["container"]
    rendered = Rendered(script=c["command"][2], name=c["command"][3], args=(), env={})
    out = tmp_path / "summary.tsv"
    result = run(shell, rendered, params=params, args=c["args"], env={"OUT": str(out)})
    assert result.returncode == 0, result.stderr
    api, web = parse_summary(out.read_text())
    assert api.reason.startswith("builder lacks xxx") and len(api.reason) == REASON_MAX
    assert (web.action, web.reason) == ("unchanged", "nothing to do")


@pytest.mark.parametrize("shell", SHELLS)
def test_the_summary_script_cuts_a_reason_to_the_same_length(shell: Shell, tmp_path: Path) -> None:
    # One rule, two places: what the controller passes (REASON_MAX) is what the script keeps,
    # for a reason near the largest argument Linux execs (128 KiB) and for an unresolved tag.
    rendered, _ = _summary_script(tmp_path)
    out = tmp_path / "s.tsv"
    unresolved = "{{=sprig.trunc(500, steps['app-web'].outputs.parameters.reason)}}"
    rows = [
        ["api", "Succeeded", "rebased", OLD, NEW, "y" * 120_000],
        ["web", "Failed", "", "", "", unresolved],
    ]
    result = run(shell, rendered, args=[v for r in rows for v in r], env={"OUT": str(out)})
    assert result.returncode == 0, result.stderr
    api, web = parse_summary(out.read_text())
    assert api.reason == "y" * REASON_MAX
    assert web.reason == ""


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_the_summary_refuses_forged_values(shell: Shell, tmp_path: Path) -> None:
    rendered, _ = _summary_script(tmp_path)
    out = tmp_path / "s.tsv"
    forged = ["api", "Succeeded; rm", "pwned", "sha256:zz", OLD, "x"]
    result = run(shell, rendered, args=forged, env={"OUT": str(out)})
    assert result.returncode == 0
    (row,) = parse_summary(out.read_text())
    assert (row.phase, row.action, row.old_digest) == ("Unknown", "invalid", "invalid")
    bad = run(shell, rendered, args=["../x", "", "", "", "", ""], env={"OUT": str(out)})
    assert bad.returncode == 1 and "is not a name" in bad.stderr


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "field",
    [
        "x" + OLD,  # a valid digest inside a longer value
        f"evil {OLD}",
        OLD + "0",
        OLD[:-1],
        "sha256:" + "A" * 64,
        "sha256:" + "g" * 64,
        "sha512:" + "a" * 128,
        OLD + "\n" + NEW,
    ],
)
def test_a_forged_digest_field_shows_as_invalid(shell: Shell, tmp_path: Path, field: str) -> None:
    # Only exactly sha256:<64 lower-case hex> shows as a digest, in either digest column.
    rendered, _ = _summary_script(tmp_path)
    out = tmp_path / "s.tsv"
    result = run(
        shell,
        rendered,
        args=["api", "Succeeded", "rebased", field, field, ""],
        env={"OUT": str(out)},
    )
    assert result.returncode == 0, result.stderr
    (row,) = parse_summary(out.read_text())
    assert (row.old_digest, row.new_digest) == ("invalid", "invalid")


def test_bad_configs_are_one_line_each_exit_2(tmp_path: Path) -> None:
    d = fleet_dir(tmp_path, "api")
    (d / "bad.yaml").write_text("name: Bad_Name\n")
    (d / "broken.yml").write_text("name: [\n")
    (d / "twin.yaml").write_text(APP.format(name="api"))
    result = CliRunner().invoke(cli, ["fleet", "render", str(d)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines() if hasattr(result, "stderr") else result.output.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"Error: {d / 'bad.yaml'}: name: name 'Bad_Name'")
    assert lines[1].startswith(f"Error: {d / 'broken.yml'}: not valid YAML")
    assert "is also the name in" in lines[2]
    assert "Traceback" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FleetError, match=r"no \*\.yaml or \*\.yml config"):
        load_fleet(empty)


def test_render_submit_and_status_against_the_local_argo_api(
    tmp_path: Path, argo_fake: FakeArgo
) -> None:
    d = fleet_dir(tmp_path, "api", "web")
    rendered = CliRunner().invoke(cli, ["fleet", "render", str(d), "-o", "json"])
    assert rendered.exit_code == 0, rendered.output
    items = json.loads(rendered.output)["items"]
    argo_fake.templates[("argo", "fleet")] = next(
        i for i in items if i["kind"] == "WorkflowTemplate" and i["metadata"]["name"] == "fleet"
    )
    summary = f"api\tSucceeded\trebased\t{OLD}\t{NEW}\trun image changed\nweb\tFailed\t-\t-\t-\t\n"
    argo_fake.outputs_for = lambda params: {"summary": summary}
    env = {
        "ARGO_SERVER": argo_fake.address,
        "ARGO_TOKEN": argo_fake.token or "",
        "ARGO_SECURE": "false",
        "ARGO_NAMESPACE": "argo",
    }
    submitted = CliRunner().invoke(cli, ["fleet", "submit", str(d), "-o", "name"], env=env)
    assert submitted.exit_code == 0, submitted.output
    run_name = submitted.output.strip().removeprefix("workflow.argoproj.io/")
    assert run_name.startswith("fleet-")
    for _ in range(50):  # each read of the fake run moves it one step on
        status = CliRunner().invoke(cli, ["fleet", "status", str(d), "-o", "json"], env=env)
        assert status.exit_code == 0, status.output
        data = json.loads(status.output)
        if data["phase"] == "Succeeded":
            break
    assert data["name"] == run_name
    assert [(a["app"], a["action"], a["new_digest"]) for a in data["apps"]] == [
        ("api", "rebased", NEW),
        ("web", "-", "-"),
    ]
    table = CliRunner().invoke(cli, ["fleet", "status", str(d), "--run", run_name], env=env)
    assert table.exit_code == 0, table.output
    assert "rebased" in table.output and "api" in table.output and "Failed" in table.output
