"""Issue 20, item 5: retries apply to what may pass, never to a refused input.

Each container of the generated single-pod template runs under Argo's retry rules as
`tests.support.argo_retry` models them (argoexec's emissary retries every non-zero exit of a
containerSet container, 30 s apart), its script run for real by a POSIX shell. A refusal (an
invalid tag, an unknown revision, a tag the export refuses) must end after one attempt with
no wait and the protected action (the push, the fetch) never run; what may pass (the
registry, the network) is retried in the script, a bounded number of times.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import to_manifest, workflow_template
from argo_buildpacks.model.config import BuildConfig
from tests.support.argo_retry import emissary_attempts, template_retries
from tests.support.gitrepos import make_repo
from tests.support.lifecycle import config, make_work
from tests.support.runscript import SHELLS, Rendered, Shell, run, write_executable

SHELL: Shell = SHELLS[0].values[0]
REAL_GIT = "/usr/bin/git" if os.path.exists("/usr/bin/git") else "git"


def templates(cfg: BuildConfig) -> dict[str, Mapping[str, Any]]:
    manifest = to_manifest(workflow_template(cfg))
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def node(template: Mapping[str, Any], name: str) -> Rendered:
    """A containerSet container as its shell gets it (command ``/bin/sh -c SCRIPT NAME ...``)."""
    found = next(c for c in template["containerSet"]["containers"] if c["name"] == name)
    command = found["command"]
    assert command[:2] == ["/bin/sh", "-c"]
    return Rendered(
        script=command[2],
        name=command[3],
        args=(*command[4:], *(found.get("args") or [])),
        env={e["name"]: e["value"] for e in found.get("env") or []},
    )


def attempt(shell: Shell, rendered: Rendered, log: list[str], **kw: Any) -> int:
    done = run(shell, rendered, **kw)
    log.append(done.stderr)
    return done.returncode


@pytest.fixture
def single_pod(tmp_path: Path) -> tuple[BuildConfig, Mapping[str, Any]]:
    repo = make_repo(tmp_path / "origin")
    repo.commit("first", {"app.py": "print(1)\n"})
    cfg = config(source={"url": repo.url}, layout="single-pod", mode="daemonless")
    assert cfg.retries.push and cfg.retries.clone  # the defaults: retries are configured
    return cfg, templates(cfg)["build"]


def test_a_refused_tag_fails_after_one_attempt_at_once(
    tmp_path: Path, single_pod: tuple[BuildConfig, Mapping[str, Any]]
) -> None:
    _, build = single_pod
    out = tmp_path / "out"
    log: list[str] = []
    done = emissary_attempts(
        build,
        lambda: attempt(
            SHELL,
            node(build, "tag-check"),
            log,
            params={"tag": "1.0"},
            env={"OUT_DIR": str(out)},
            cwd=tmp_path,
        ),
    )
    assert (done.codes, done.waited) == ([1], 0.0)
    assert "'1.0' is not a SemVer 2.0.0 version" in log[0]
    assert not (out / "tags").exists()  # nothing for the build to push


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("no-such-branch", "no such branch or tag"),
        ("refs/pull/1/head", "is a pull/merge-request ref"),
        ("main..other", "is not a valid branch, tag or commit SHA"),
    ],
)
def test_a_refused_revision_fetches_once_at_most(
    tmp_path: Path,
    single_pod: tuple[BuildConfig, Mapping[str, Any]],
    revision: str,
    message: str,
) -> None:
    _, build = single_pod
    calls = tmp_path / "calls"
    bin_dir = write_executable(
        tmp_path / "bin" / "git",
        f'case "$1" in fetch | ls-remote) echo "$1" >>"{calls}" ;; esac\nexec "{REAL_GIT}" "$@"\n',
    ).parent
    ws = tmp_path / "ws"
    (tmp_path / "tmp").mkdir()
    log: list[str] = []
    done = emissary_attempts(
        build,
        lambda: attempt(
            SHELL,
            node(build, "git-clone"),
            log,
            params={"revision": revision, "expected-commit": ""},
            env={
                "WORKSPACE": str(ws),
                "OUT_DIR": str(ws / "out"),
                "RETRY_DELAY": "0",
                "TMPDIR": str(tmp_path / "tmp"),
            },
            path_prefix=(bin_dir,),
            cwd=tmp_path,
        ),
    )
    assert (done.codes, done.waited) == ([1], 0.0)
    assert message in log[0]
    remote = calls.read_text().split() if calls.exists() else []
    assert len(remote) <= 1, remote  # one look-up of the name at most, never a retry
    assert not (ws / "out" / "commit").exists()


def test_a_failing_network_is_retried_only_by_the_clone(
    tmp_path: Path, single_pod: tuple[BuildConfig, Mapping[str, Any]]
) -> None:
    cfg, build = single_pod
    calls = tmp_path / "calls"
    bin_dir = write_executable(
        tmp_path / "bin" / "git",
        f'case "$1" in fetch | ls-remote) echo "$1" >>"{calls}"\n'
        '  echo "fatal: unable to access: Connection reset by peer" >&2; exit 128 ;; esac\n'
        f'exec "{REAL_GIT}" "$@"\n',
    ).parent
    ws = tmp_path / "ws"
    (tmp_path / "tmp").mkdir()
    log: list[str] = []
    done = emissary_attempts(
        build,
        lambda: attempt(
            SHELL,
            node(build, "git-clone"),
            log,
            params={"revision": "refs/heads/main", "expected-commit": ""},
            env={
                "WORKSPACE": str(ws),
                "OUT_DIR": str(ws / "out"),
                "RETRY_DELAY": "0",
                "TMPDIR": str(tmp_path / "tmp"),
            },
            path_prefix=(bin_dir,),
            cwd=tmp_path,
        ),
    )
    assert done.codes == [1]
    assert "failed 4 times" in log[0]
    # retries.clone extra attempts in the script, and no more: not again per pod attempt.
    assert len(calls.read_text().split()) == cfg.retries.clone + 1


EXPORTER = """d=$FAKE_DIR
echo run >>"$d/exporter.runs"
[ "$(wc -l <"$d/exporter.runs")" -gt "${FAIL_RUNS:-0}" ] || exit "${FAIL_CODE:-62}"
while [ $# -gt 0 ]; do
  if [ "$1" = -report ]; then report=$2; fi
  shift
done
printf '[image]\\n  digest = "%s"\\n' "$FAKE_DIGEST" >"$report"
"""


def run_export(
    tmp_path: Path, build: Mapping[str, Any], tags: str, **env: str
) -> tuple[list[int], float, list[str], int]:
    """The export container under the emissary: its attempts, wait, logs and how many times
    the (recording) exporter ran."""
    work = make_work(tmp_path)
    write_executable(tmp_path / "lifecycle" / "exporter", EXPORTER)
    (work.out / "tags").write_text(tags)
    (work.out / "commit").write_text("a" * 40)
    log: list[str] = []
    done = emissary_attempts(
        build,
        lambda: attempt(
            SHELL,
            node(build, "main"),
            log,
            params={"image": "ghcr.io/acme/app"},
            env={**work.env(), "RETRY_DELAY": "0", **env},
            cwd=work.root / "cwd",
        ),
    )
    runs = work.fake / "exporter.runs"
    count = len(runs.read_text().split()) if runs.exists() else 0
    return done.codes, done.waited, log, count


def test_a_tag_the_export_refuses_is_never_pushed_nor_retried(
    tmp_path: Path, single_pod: tuple[BuildConfig, Mapping[str, Any]]
) -> None:
    _, build = single_pod
    codes, waited, log, runs = run_export(tmp_path, build, "1.0.0,no*tag")
    assert (codes, waited, runs) == ([1], 0.0, 0)
    assert "tag 'no*tag' is not a valid OCI tag" in log[0]


def test_a_failed_push_is_retried_in_the_script(
    tmp_path: Path, single_pod: tuple[BuildConfig, Mapping[str, Any]]
) -> None:
    cfg, build = single_pod
    codes, waited, log, runs = run_export(tmp_path, build, "1.0.0", FAIL_RUNS="1", FAIL_CODE="62")
    assert (codes, waited, runs) == ([0], 0.0, 2)
    assert "exporter failed (exit 62); attempt 2 of 3" in log[0]
    # Never more than retries.push extra attempts.
    codes, _, log, runs = run_export(
        tmp_path / "again", build, "1.0.0", FAIL_RUNS="9", FAIL_CODE="62"
    )
    assert (codes, runs) == ([62], cfg.retries.push + 1)


@pytest.mark.parametrize("code", ["3", "11", "12"])
def test_the_lifecycle_refusing_its_input_is_not_retried(
    tmp_path: Path, single_pod: tuple[BuildConfig, Mapping[str, Any]], code: str
) -> None:
    _, build = single_pod
    codes, waited, _, runs = run_export(tmp_path, build, "1.0.0", FAIL_RUNS="9", FAIL_CODE=code)
    assert (codes, waited, runs) == ([int(code)], 0.0, 1)


def test_the_steps_export_pod_is_retried_only_when_the_pod_errs() -> None:
    cfg = config(layout="steps", mode="daemonless")
    export = templates(cfg)["export"]
    strategy = export["retryStrategy"]
    assert not template_retries(strategy, "Failed")  # a refused (or finally failed) run
    assert template_retries(strategy, "Error")  # evicted, deleted: a new pod
    env = {e["name"]: e["value"] for e in export["container"]["env"]}
    assert env["RETRIES"] == str(cfg.retries.push)
