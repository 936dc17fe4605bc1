"""``provenance.sh`` under real shells, with a fake ``crane`` reading a directory registry.

The provenance step publishes the run's outputs only when the registry agrees with what the
build claims, and the image names this run: each refusal is asserted by its message, and that
nothing was published (no output file written).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hera.workflows.models import Template

from argo_buildpacks import BuildConfig, to_manifest, workflow_template
from argo_buildpacks.components.provenance import PROVENANCE_OUTPUTS, provenance_template
from argo_buildpacks.linting._lint import lint
from tests.support.registry_dir import Registry, project
from tests.support.runscript import SHELLS, WORKFLOW_UID, Rendered, Shell, run

IMAGE = "ghcr.io/acme/app"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_RUN = "11111111-2222-4333-8444-555555555555"


def cfg(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": IMAGE,
        "registry_secret": "regcred",
    }
    data.update(extra)
    return BuildConfig.from_dict(data)


def rendered(config: BuildConfig) -> Rendered:
    template = provenance_template(config)
    container = template.container
    assert container is not None and container.command is not None
    # The crane debug image's busybox shell runs it; the test's shell stands in for it.
    assert container.command[:2] == ["/busybox/sh", "-c"]
    return Rendered(
        script=container.command[2],
        name=container.command[3],
        args=(),
        env={e.name: str(e.value) for e in container.env or []},
    )


class Step:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.registry = Registry(root / "registry")
        self.out = root / "out"
        (root / "cwd").mkdir()

    def run(
        self, shell: Shell, config: BuildConfig | None = None, /, **claims: str
    ) -> subprocess.CompletedProcess[str]:
        params = {
            "claimed-image": f"{IMAGE}:1.4.2",
            "claimed-tags": "1.4.2,1.4,1",
            "claimed-digest": "",
            "claimed-commit": COMMIT,
            "image": IMAGE,
        }
        params.update({k.replace("_", "-"): v for k, v in claims.items()})
        return run(
            shell,
            rendered(config or cfg()),
            params=params,
            env={
                "OUT_DIR": str(self.out),
                "HOME": str(self.root),
                "DOCKER_CONFIG": str(self.root),
                "FAKE_REGISTRY": str(self.registry.root),
            },
            path_prefix=[self.registry.bin],
            cwd=self.root / "cwd",
        )

    def outputs(self) -> dict[str, str]:
        if not self.out.exists():
            return {}
        return {p.name: p.read_text() for p in self.out.iterdir()}


@pytest.fixture
def step(tmp_path: Path) -> Step:
    return Step(tmp_path)


def this_run(step: Step, tags: tuple[str, ...] = ("1.4.2", "1.4", "1")) -> str:
    return step.registry.push(IMAGE, list(tags), project(COMMIT, WORKFLOW_UID))


@pytest.mark.parametrize("shell", SHELLS)
class TestProvenance:
    def test_publishes_what_the_registry_holds(self, shell: Shell, step: Step) -> None:
        digest = this_run(step)
        done = step.run(shell, claimed_digest=digest)
        assert done.returncode == 0, done.stderr
        assert step.outputs() == {
            "image": f"{IMAGE}:1.4.2",
            "digest": digest,
            "tags": "1.4.2,1.4,1",
            "commit": COMMIT,
        }
        assert step.registry.calls() == [
            f"digest -- {IMAGE}:1.4.2",
            f"config -- {IMAGE}@{digest}",
            f"digest -- {IMAGE}:1.4",
            f"digest -- {IMAGE}:1",
        ]

    def test_an_image_of_another_run_is_refused(self, shell: Shell, step: Step) -> None:
        # A forged claim pointing at an older push (another run's, or a vulnerable version).
        old = step.registry.push(IMAGE, ["1.0.0"], project(COMMIT, OTHER_RUN))
        done = step.run(shell, claimed_image=f"{IMAGE}:1.0.0", claimed_tags="1.0.0")
        assert done.returncode == 1
        assert done.stderr == (
            f"provenance: {IMAGE}:1.0.0 is {old}, which this run did not push (the image "
            f"names run '{OTHER_RUN}', this run is {WORKFLOW_UID}); nothing published\n"
        )
        assert step.outputs() == {}

    def test_an_image_without_a_run_is_refused(self, shell: Shell, step: Step) -> None:
        step.registry.push(IMAGE, ["1.4.2"], None)
        done = step.run(shell, claimed_tags="1.4.2")
        assert done.returncode == 1
        assert "the image names run 'none'" in done.stderr
        assert step.outputs() == {}

    @pytest.mark.parametrize(
        ("claims", "refusal"),
        [
            (
                {"claimed_digest": "sha256:" + "f" * 64},
                "the build claims digest sha256:" + "f" * 64 + ", but ghcr.io/acme/app:1.4.2 is",
            ),
            (
                {"claimed_tags": "1.4.2,latest"},
                "the claimed tag ghcr.io/acme/app:latest is sha256:" + "e" * 64 + ", not",
            ),
            (
                {"claimed_commit": "f" * 40},
                "the build was given commit " + "f" * 40 + ", but ghcr.io/acme/app@",
            ),
            ({"claimed_image": "evil.example.com/app:1.4.2"}, "not a tag of 'ghcr.io/acme/app'"),
            ({"claimed_image": f"{IMAGE}:1.4.2\n--x"}, "claimed image contains a line break"),
            ({"claimed_tags": "1.4,1.4.2"}, "do not start with the claimed image's tag '1.4.2'"),
            ({"claimed_tags": "1.4.2,a b"}, "claimed tag 'a b' is not a valid OCI tag"),
            ({"claimed_digest": "sha256:abc"}, "claimed digest 'sha256:abc' is not sha256"),
            ({"claimed_commit": "main"}, "claimed commit 'main' is not a full hex commit SHA"),
        ],
    )
    def test_a_claim_the_registry_does_not_bear_out_is_refused(
        self, shell: Shell, step: Step, claims: dict[str, str], refusal: str
    ) -> None:
        this_run(step)
        step.registry.tag(f"{IMAGE}:latest", "sha256:" + "e" * 64)
        done = step.run(shell, **claims)
        assert done.returncode == 1
        assert refusal in done.stderr
        assert step.outputs() == {}

    def test_an_unknown_tag_is_refused(self, shell: Shell, step: Step) -> None:
        done = step.run(shell)
        assert (done.returncode, done.stderr.splitlines()[-1]) == (
            1,
            f"provenance: cannot resolve {IMAGE}:1.4.2 in the registry",
        )
        assert step.outputs() == {}

    def test_pack_modes_check_the_registry_without_a_run(self, shell: Shell, step: Step) -> None:
        config = cfg(mode="pack-dind", creation_time="now")
        assert rendered(config).env["RUN_ID"] == ""
        digest = step.registry.push(IMAGE, ["1.4.2"], None)
        done = step.run(shell, config, claimed_tags="1.4.2", claimed_commit="")
        assert done.returncode == 0, done.stderr
        assert step.outputs()["digest"] == digest


def test_the_template_publishes_the_workflow_outputs_and_runs_no_app_code() -> None:
    template = to_manifest(workflow_template(cfg()))["spec"]["templates"]
    (prov,) = [t for t in template if t["name"] == "provenance"]
    outputs = prov["outputs"]["parameters"]
    assert [(p["name"], p["globalName"]) for p in outputs] == [(n, n) for n in PROVENANCE_OUTPUTS]
    assert prov["container"]["image"] == "gcr.io/go-containerregistry/crane/debug:v0.20.6"
    env = {e["name"]: e["value"] for e in prov["container"]["env"]}
    assert env["RUN_ID"] == "{{workflow.uid}}"
    assert env["IMAGE"] == IMAGE  # literal: not an input unless the config lets a run choose
    mounts = {m["mountPath"]: m for m in prov["container"]["volumeMounts"]}
    assert mounts["/var/run/secrets/argo-buildpacks/registry"]["readOnly"] is True
    assert prov["automountServiceAccountToken"] is False
    assert lint(to_manifest(workflow_template(cfg()))) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_the_librarys_step_checks_the_repository_against_its_registries(
    shell: Shell, step: Step
) -> None:
    """Anyone may run the library's templates with any inputs: the repository is an input,
    so it must be under a registry the library serves, before the registry is asked."""
    from argo_buildpacks.templates.library import library_template

    lib = library_template(registries=["ghcr.io/acme"])
    (template,) = [t for t in lib.templates or [] if getattr(t, "name", None) == "provenance"]
    assert isinstance(template, Template)
    container = template.container
    assert container is not None and container.command is not None
    env = {e.name: str(e.value) for e in container.env or []}
    assert env["IMAGE"] == "{{inputs.parameters.image}}"
    assert env["IMAGE_PREFIXES"] == "ghcr.io/acme"
    script = Rendered(container.command[2], container.command[3], (), env)
    evil = "docker.io/evil/app"
    done = run(
        shell,
        script,
        params={
            "image": evil,
            "claimed-image": f"{evil}:1.4.2",
            "claimed-tags": "1.4.2",
            "claimed-digest": "",
            "claimed-commit": "",
        },
        env={"OUT_DIR": str(step.out), "FAKE_REGISTRY": str(step.registry.root)},
        path_prefix=[step.registry.bin],
        cwd=step.root / "cwd",
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"provenance: image '{evil}' is not under a registry this template may push to"
    )
    assert step.registry.calls() == []
    this_run(step)
    done = run(
        shell,
        script,
        params={
            "image": IMAGE,
            "claimed-image": f"{IMAGE}:1.4.2",
            "claimed-tags": "1.4.2,1.4,1",
            "claimed-digest": "",
            "claimed-commit": COMMIT,
        },
        env={"OUT_DIR": str(step.out), "FAKE_REGISTRY": str(step.registry.root)},
        path_prefix=[step.registry.bin],
        cwd=step.root / "cwd",
    )
    assert done.returncode == 0, done.stderr
    assert step.outputs()["commit"] == COMMIT
