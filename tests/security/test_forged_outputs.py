"""Hostile app code forges the build's outputs and exit codes: what is deployed and signed is
still what this run pushed.

The whole generated workflow runs step by step (tests/support/emissary.py: each pod as Argo
v4.1.2's emissary runs it, one shared ``/var/run/argo`` per pod, every container's script for
real under the test's shell). The clone is of a real git repository; the lifecycle is fake: its
``builder`` (the app's code) is hostile, its ``exporter`` pushes to a directory registry
(tests/support/registry_dir.py) that the fake ``crane`` of the provenance step reads; ``cosign``
and ``kubectl`` record what they were asked to sign and deploy.

The hostile builder, as app code can in one pod:
- writes the outputs the wait container reads (``/var/run/argo/outputs/parameters/...``): an
  older image of the repository (another run's push), a commit ``ffff...``;
- writes its own exit code, so the export starts beside it (and, when it forges the outputs,
  ``main``'s, so the wait container reports them at once);
- goes on running, rewriting the lifecycle's default project metadata
  (``<layers>/project-metadata.toml``) while the export pushes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from tests.support.emissary import PodRun, Workflow, run_pod
from tests.support.gitrepos import Repo, make_repo
from tests.support.registry_dir import FAKE_EXPORTER, Registry, project
from tests.support.runscript import SHELLS, Shell, write_executable

IMAGE = "registry.example.com/acme/app"
FORGED_COMMIT = "f" * 40
OTHER_RUN = "11111111-2222-4333-8444-555555555555"

HOSTILE_BUILDER = r"""v=$VAR_RUN_ARGO
if [ "${FORGE_OUTPUTS:-}" = yes ]; then
  # The paths are in /var/run/argo/template, which every container can read.
  p="$v/outputs/parameters/workspace/app/out"
  mkdir -p "$p"
  printf '%s' "$FORGED_IMAGE" >"$p/image"
  printf '%s' "$FORGED_DIGEST" >"$p/digest"
  printf '%s' "${FORGED_IMAGE##*:}" >"$p/tags"
  printf '%s' "$FORGED_COMMIT" >"$p/commit"
fi
# Its own exit code: the export starts now, beside it. With forged outputs, main's too: the
# wait container reads them at once, before main's emissary copies the real ones.
for c in build ${FORGE_OUTPUTS:+main}; do
  mkdir -p "$v/ctr/$c"
  printf 0 >"$v/ctr/$c/exitcode"
done
mkdir -p "$LAYERS_DIR"
printf 'builder: exit codes written, still running\n'
i=0
while [ "$i" -lt 30 ]; do
  printf '[source]\n  type = "git"\n  [source.version]\n    commit = "%s"\n' "$FORGED_COMMIT" \
    >"$LAYERS_DIR/project-metadata.toml"
  sleep 0.02
  i=$((i + 1))
done
"""
RECORD = r"""printf '%s\n' "$*" >>"$FAKE_DIR/${0##*/}.calls"
"""


class World:
    """The cluster for one run: a repository, a registry, fake tools, the pods' paths."""

    def __init__(self, root: Path, shell: Shell, repo: Repo) -> None:
        self.root = root
        self.shell = shell
        self.repo = repo
        self.registry = Registry(root / "registry")
        self.fake = root / "fake"
        self.fake.mkdir()
        self.bin = root / "bin"
        for tool in ("cosign", "kubectl"):
            write_executable(self.bin / tool, RECORD)
        lifecycle = root / "lifecycle"
        for phase in ("analyzer", "detector", "restorer"):
            write_executable(lifecycle / phase, RECORD)
        write_executable(lifecycle / "builder", RECORD + HOSTILE_BUILDER)
        write_executable(lifecycle / "exporter", RECORD + FAKE_EXPORTER)
        secrets = root / "secrets"
        (secrets / "cosign").mkdir(parents=True)
        (secrets / "cosign" / "cosign.key").write_text("key")
        (secrets / "cosign" / "cosign.password").write_text("")
        (secrets / "registry").mkdir()
        self.ws = root / "ws"
        self.layers = root / "layers"
        self.layers.mkdir()
        self.knobs: dict[str, str] = {}
        self.steps = 0

    def pod(self, step: str, template: dict[str, Any], env_of: Any) -> PodRun:
        self.steps += 1
        pod_root = self.root / f"pod-{self.steps}-{step}"
        (pod_root / "tmp").mkdir(parents=True)
        paths = {
            "/workspace": self.ws,
            "/layers": self.layers,
            "/tmp": pod_root / "tmp",
            "/var/run/secrets/argo-buildpacks": self.root / "secrets",
        }
        if step == "export":  # its own emptyDir over the build's out directory
            paths["/workspace/app/out"] = pod_root / "out"
        return run_pod(
            template,
            env_of,
            root=pod_root,
            shell=self.shell,
            paths=paths,
            path_prefix=[self.bin, self.registry.bin],
            extra_env={
                "LIFECYCLE": str(self.root / "lifecycle"),
                "FAKE_DIR": str(self.fake),
                "FAKE_REGISTRY": str(self.registry.root),
                "FAKE_EXPORT_DELAY": "0.3",
                "RETRY_DELAY": "0",
                "TMPDIR": str(pod_root / "tmp"),
                **self.knobs,
            },
        )

    def calls(self, tool: str) -> list[str]:
        path = self.fake / f"{tool}.calls"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    r = make_repo(tmp_path_factory.mktemp("repo") / "app")
    r.commit("app", {"app.py": "print('hello')\n"})
    return r


def run_workflow(world: World, layout: str, *, forge: bool) -> tuple[Workflow, dict[str, str]]:
    config = BuildConfig.from_dict(
        {
            "name": "app",
            "source": {"url": world.repo.url},
            "image": IMAGE,
            "registry_secret": "regcred",
            "layout": layout,
            "sign": {"cosign_key_secret": "cosign-key"},
            "deploy": {
                "kubernetes": {"namespace": "apps", "deployment": "app", "container": "app"}
            },
        }
    )
    # An older push of the repository, by another run: what a forged claim points at.
    old = world.registry.push(IMAGE, ["1.0.0"], project(world.repo.head(), OTHER_RUN))
    if forge:
        world.knobs.update(
            FORGE_OUTPUTS="yes",
            FORGED_IMAGE=f"{IMAGE}:1.0.0",
            FORGED_DIGEST=old,
            FORGED_COMMIT=FORGED_COMMIT,
        )
    else:
        world.knobs.update(FORGED_COMMIT=FORGED_COMMIT)
    manifest = to_manifest(workflow_template(config))
    workflow = Workflow(manifest, {"tag": "1.4.2", "revision": "main"})
    workflow.run(world.pod)
    return workflow, {"old": old}


def reached(workflow: Workflow, step: str) -> str:
    """Every value the step's containers were handed (env and what they logged)."""
    runs = [r for r in workflow.ran if r.name == step]
    return "\n".join(str(r.env) + str(r.pod.logs) for r in runs)


@pytest.mark.parametrize("shell", SHELLS)
def test_forged_outputs_in_one_pod_are_refused_and_reach_neither_sign_nor_deploy(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    world = World(tmp_path, shell, repo)
    workflow, seen = run_workflow(world, "single-pod", forge=True)
    # The attack works on the pod: the wait container reported what the app's code wrote.
    assert workflow.step_outputs["build"] == {
        "image": f"{IMAGE}:1.0.0",
        "digest": seen["old"],
        "tags": "1.0.0",
        "commit": FORGED_COMMIT,
    }
    # The provenance step refused it: the image the claim names is not this run's push.
    assert workflow.failed.startswith("provenance: ")
    (prov,) = [r for r in workflow.ran if r.name == "provenance"]
    assert (
        f"{IMAGE}:1.0.0 is {seen['old']}, which this run did not push (the image names run "
        f"'{OTHER_RUN}'" in prov.pod.logs["main"]
    )
    assert workflow.outputs == {}
    assert [r.name for r in workflow.ran] == ["build", "provenance"]
    assert world.calls("cosign") == [] and world.calls("kubectl") == []
    assert seen["old"] not in reached(workflow, "sign") + reached(workflow, "deploy")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("layout", ["single-pod", "steps"])
def test_a_build_running_beside_the_export_changes_nothing_that_is_deployed(
    shell: Shell, tmp_path: Path, repo: Repo, layout: str
) -> None:
    world = World(tmp_path, shell, repo)
    workflow, seen = run_workflow(world, layout, forge=False)
    assert workflow.failed == ""
    true_digest = world.registry.resolve(f"{IMAGE}:1.4.2")
    commit = repo.head()
    # The exporter was handed the commit from the trusted out volume, not the layers' copy
    # the build kept rewriting while it pushed.
    assert (world.fake / "exported.commit").read_text() == commit
    (swapped,) = [*world.layers.glob("project-metadata.toml"), *world.ws.glob("*/layers/p*")]
    assert FORGED_COMMIT in swapped.read_text()  # the build did rewrite the default copy
    assert workflow.outputs == {
        "image": f"{IMAGE}:1.4.2",
        "digest": true_digest,
        "tags": "1.4.2,1.4,1",
        "commit": commit,
    }
    assert world.calls("cosign") == [
        f"sign --key {world.root}/secrets/cosign/cosign.key --tlog-upload=false --yes "
        f"{IMAGE}@{true_digest}"
    ]
    assert f"--namespace=apps set image deployment/app app={IMAGE}@{true_digest}" in world.calls(
        "kubectl"
    )
    assert FORGED_COMMIT not in str(workflow.outputs)
    assert seen["old"] not in reached(workflow, "sign") + reached(workflow, "deploy")


@pytest.mark.parametrize("shell", SHELLS)
def test_in_the_steps_layout_forged_files_in_the_build_pod_are_never_read(
    shell: Shell, tmp_path: Path, repo: Repo
) -> None:
    # The build pod has no outputs: what its app code writes to its /var/run/argo is read by
    # nobody; the export is a pod of its own after the build pod ended.
    world = World(tmp_path, shell, repo)
    workflow, seen = run_workflow(world, "steps", forge=True)
    assert workflow.failed == ""
    assert workflow.outputs["digest"] == world.registry.resolve(f"{IMAGE}:1.4.2")
    assert workflow.outputs["commit"] == repo.head()
    assert seen["old"] not in reached(workflow, "sign") + reached(workflow, "deploy")
