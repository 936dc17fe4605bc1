"""Issue 20, item 5, for the pack modes: a refused input fails in seconds there too.

The pack image is ``FROM scratch`` (buildpacks/pack ``Dockerfile``: the binary, CA
certificates and ``/tmp``, no shell), so ``pack build`` cannot be wrapped in a script that
retries its push after the checks, as the daemonless phases are. What is left is Argo's:

- ``single-pod``: no retry. A ``containerSet.retryStrategy`` re-runs every container of the
  pod (tag-check, the clone's fetch loop), and a template ``expression`` cannot keep pack's
  retry alone: after any failed container ``main`` exits 64, the only exit code the
  controller shows it. Both are modelled from Argo's source in ``tests.support.argo_retry``.
- ``steps``: the tag and the revision are checked in pods of their own, which are never
  retried; the pack pod is, as a new pod (``retryStrategy``, ``retries.push`` times).

Every shell container runs its real script under a POSIX shell; ``pack`` and the daemon wait
are recorders, so a test sees whether pack (the push) ever ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import to_manifest, workflow_template
from argo_buildpacks.model.config import BuildConfig
from tests.support.argo_retry import (
    Ran,
    emissary_attempts,
    last_retry_exit_code,
    run_container_set,
    template_retries,
)
from tests.support.gitrepos import make_repo
from tests.support.lifecycle import config
from tests.support.runscript import SHELLS, Rendered, Shell, run, write_executable

SHELL: Shell = SHELLS[0].values[0]
REAL_GIT = "/usr/bin/git" if os.path.exists("/usr/bin/git") else "git"
MODES = pytest.mark.parametrize("mode", ["pack-dind", "pack-socket"])
NETWORK_DOWN = 'echo "fatal: unable to access: Connection reset by peer" >&2; exit 128 ;; esac\n'


def templates(cfg: BuildConfig) -> dict[str, Mapping[str, Any]]:
    manifest = to_manifest(workflow_template(cfg, allow_privileged=True))
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def rendered(container: Mapping[str, Any]) -> Rendered:
    """A container as its shell gets it (command ``/bin/sh -c SCRIPT NAME ...``)."""
    command = container["command"]
    assert command[:2] == ["/bin/sh", "-c"]
    return Rendered(
        script=command[2],
        name=command[3],
        args=(*command[4:], *(container.get("args") or [])),
        env={e["name"]: e["value"] for e in container.get("env") or []},
    )


class Pod:
    """The containers of one pack build pod: the checks run for real in ``tmp``, with a git
    that records its remote calls; pack, the daemon wait and the report are recorders."""

    def __init__(self, tmp: Path, *, tag: str, revision: str, git: str = "", pack: int = 0) -> None:
        self.tmp, self.pack_exit = tmp, pack
        self.log: list[str] = []  # each script attempt's stderr
        self.ran: list[str] = []  # each container attempt, in order
        self.params = {"tag": tag, "revision": revision, "expected-commit": ""}
        self.calls = tmp / "calls"
        self.bin = write_executable(
            tmp / "bin" / "git",
            f'case "$1" in fetch | ls-remote) echo "$1" >>"{self.calls}"\n'
            + (git or ";; esac\n")
            + f'exec "{REAL_GIT}" "$@"\n',
        ).parent
        self.ws = tmp / "ws"
        (tmp / "tmp").mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        return {
            "WORKSPACE": str(self.ws),
            "OUT_DIR": str(self.ws / "out"),
            "RETRY_DELAY": "0",
            "TMPDIR": str(self.tmp / "tmp"),
        }

    def runner(self, template: Mapping[str, Any]) -> Callable[[str], int]:
        by_name = {c["name"]: c for c in template["containerSet"]["containers"]}

        def attempt(name: str) -> int:
            self.ran.append(name)
            if name in ("tag-check", "git-clone", "version"):
                done = run(
                    SHELL,
                    rendered(by_name[name]),
                    params=self.params,
                    env=self.env(),
                    path_prefix=(self.bin,),
                    cwd=self.tmp,
                )
                self.log.append(done.stderr)
                return done.returncode
            return self.pack_exit if name == "pack" else 0

        return attempt

    def fetches(self) -> list[str]:
        return self.calls.read_text().split() if self.calls.exists() else []


def single_pod(tmp_path: Path, mode: str) -> tuple[BuildConfig, Mapping[str, Any]]:
    repo = make_repo(tmp_path / "origin")
    repo.commit("first", {"app.py": "print(1)\n"})
    cfg = config(source={"url": repo.url}, layout="single-pod", mode=mode, creation_time="now")
    assert cfg.retries.push and cfg.retries.clone  # the defaults: retries are configured
    return cfg, templates(cfg)["build"]


def run_pod(template: Mapping[str, Any], pod: Pod) -> dict[str, Ran]:
    return run_container_set(template, pod.runner(template))


@MODES
def test_a_refused_tag_ends_the_pack_pod_after_one_attempt(tmp_path: Path, mode: str) -> None:
    _, build = single_pod(tmp_path, mode)
    pod = Pod(tmp_path, tag="1.0", revision="refs/heads/main")
    done = run_pod(build, pod)
    assert (done["tag-check"].attempts.codes, done["tag-check"].attempts.waited) == ([1], 0.0)
    assert "'1.0' is not a SemVer 2.0.0 version" in pod.log[0]
    assert pod.ran == ["tag-check"]  # no clone, no pack: nothing fetched nor pushed
    assert pod.fetches() == []
    assert not template_retries(build.get("retryStrategy"), "Failed")  # nor a new pod


@MODES
@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("no-such-branch", "no such branch or tag"),
        ("refs/pull/1/head", "is a pull/merge-request ref"),
    ],
)
def test_a_refused_revision_fetches_once_at_most_and_pack_never_runs(
    tmp_path: Path, mode: str, revision: str, message: str
) -> None:
    _, build = single_pod(tmp_path, mode)
    pod = Pod(tmp_path, tag="1.0.0", revision=revision)
    done = run_pod(build, pod)
    assert (done["git-clone"].attempts.codes, done["git-clone"].attempts.waited) == ([1], 0.0)
    assert message in pod.log[-1]
    assert len(pod.fetches()) <= 1, pod.fetches()  # one look-up of the name, never a retry
    assert "pack" not in pod.ran
    assert not (pod.ws / "out" / "commit").exists()


@MODES
def test_the_clone_retries_the_network_in_its_script_only(tmp_path: Path, mode: str) -> None:
    cfg, build = single_pod(tmp_path, mode)
    pod = Pod(tmp_path, tag="1.0.0", revision="refs/heads/main", git=NETWORK_DOWN)
    done = run_pod(build, pod)
    assert done["git-clone"].attempts.codes == [1]
    assert "failed 4 times" in pod.log[-1]
    assert len(pod.fetches()) == cfg.retries.clone + 1  # not again per emissary attempt
    assert "pack" not in pod.ran


@MODES
def test_pack_in_one_pod_runs_once_as_nothing_can_tell_its_failure_from_a_refusal(
    tmp_path: Path, mode: str
) -> None:
    _, build = single_pod(tmp_path, mode)
    failed_push = run_pod(
        build, Pod(tmp_path / "push", tag="1.0.0", revision="refs/heads/main", pack=1)
    )
    assert failed_push["git-clone"].exit_code == 0  # the checks and the clone passed
    assert (failed_push["pack"].attempts.codes, failed_push["pack"].attempts.waited) == ([1], 0.0)
    refused = run_pod(build, Pod(tmp_path / "refused", tag="1.0", revision="refs/heads/main"))
    assert refused["tag-check"].exit_code == 1
    # What a template retryStrategy's expression could read of each pod is the same: no
    # expression retries the one and not the other.
    assert last_retry_exit_code(failed_push) == last_retry_exit_code(refused) == "64"


@MODES
def test_steps_check_once_and_retry_pack_in_a_new_pod(tmp_path: Path, mode: str) -> None:
    cfg = config(layout="steps", mode=mode, creation_time="now")
    by_name = templates(cfg)
    check = by_name["tag-check"]
    assert "retryStrategy" not in check and "retryStrategy" not in by_name["git-clone"]
    log: list[str] = []

    def attempt() -> int:
        done = run(
            SHELL,
            rendered(check["container"]),
            params={"tag": "1.0"},
            env={"OUT_DIR": str(tmp_path / "out")},
            cwd=tmp_path,
        )
        log.append(done.stderr)
        return done.returncode

    done = emissary_attempts(check, attempt)
    assert (done.codes, done.waited) == ([1], 0.0)
    assert "'1.0' is not a SemVer 2.0.0 version" in log[0]
    assert not template_retries(check.get("retryStrategy"), "Failed")  # the step ends there
    build = by_name["build"]
    # pack failing (a push the registry dropped) fails its pod: a new pod, retries.push times.
    assert template_retries(build["retryStrategy"], "Failed")
    assert int(build["retryStrategy"]["limit"]) == cfg.retries.push
    assert "retryStrategy" not in build["containerSet"]
