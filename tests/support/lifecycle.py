"""A fake lifecycle and the remapped pod filesystem the build script runs in.

Each fake lifecycle binary (``analyzer``, ``detector``, ``restorer``, ``builder``,
``exporter``) records its argv (NUL-separated) and the credentials and settings in its
environment; the exporter writes a lifecycle-like ``report.toml`` at its ``-report`` path.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argo_buildpacks.components.buildpacks_build import PHASES, Phase, lifecycle_phase
from argo_buildpacks.model.config import BuildConfig
from tests.support.runscript import Shell, render, run, write_executable

DIGEST = "sha256:" + "0123456789abcdef" * 4
EPOCH = "1700000000"
UNSET = "<unset>"
#: phase -> the lifecycle binary it runs.
BINARY = {
    "analyze": "analyzer",
    "detect": "detector",
    "restore": "restorer",
    "build": "builder",
    "export": "exporter",
}
SEEN = ("SOURCE_DATE_EPOCH", "CNB_PLATFORM_API", "DOCKER_CONFIG")

FAKE_LIFECYCLE = r"""d=$FAKE_DIR
me=${0##*/}
: >"$d/$me.argv"
for a in "$@"; do printf '%s\000' "$a" >>"$d/$me.argv"; done
for v in SOURCE_DATE_EPOCH CNB_PLATFORM_API DOCKER_CONFIG; do
  eval "printf '%s' \"\${$v-<unset>}\"" >"$d/$me.$v"
done
env >"$d/$me.env"
[ "$me" = exporter ] || exit "${FAKE_EXIT:-0}"
report=
while [ $# -gt 0 ]; do
  if [ "$1" = -report ]; then report=$2; fi
  shift
done
case "${FAKE_REPORT:-ok}" in
  ok) printf '[image]\n  tags = ["x"]\n  digest = "%s"\n  manifest-size = 1234\n' \
        "$FAKE_DIGEST" >"$report" ;;
  nodigest) printf '[image]\n  tags = ["x"]\n  manifest-size = 1234\n' >"$report" ;;
  none) ;;
  fail) echo "ERROR: failed to export: denied" >&2; exit 62 ;;
esac
"""
# Kept for the modules that run the library's build with the same fake.
FAKE_CREATOR = FAKE_LIFECYCLE


def config(**extra: Any) -> BuildConfig:
    """A config for ``ghcr.io/acme/app`` (image overridable by a run) with ``extra`` keys."""
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": "ghcr.io/acme/app",
        "overridable": ["image"],
    }
    data.update(extra)
    return BuildConfig.model_validate(data)


@dataclass(frozen=True)
class Workspace:
    """The remapped pod filesystem: workspace, layers, fake lifecycle and its records."""

    root: Path

    @property
    def ws(self) -> Path:
        """``/workspace``."""
        return self.root / "ws"

    @property
    def out(self) -> Path:
        """``/workspace/out``."""
        return self.ws / "out"

    @property
    def platform(self) -> Path:
        """``/workspace/platform``."""
        return self.ws / "platform"

    @property
    def layers(self) -> Path:
        """``/layers``."""
        return self.root / "layers"

    @property
    def fake(self) -> Path:
        """Where the fake lifecycle records what it got."""
        return self.root / "fake"

    @property
    def buildpacks(self) -> Path:
        """The builder's ``/cnb/buildpacks``."""
        return self.root / "cnb" / "buildpacks"

    def env(self) -> dict[str, str | None]:
        """The env overrides that point the script at this workspace."""
        return {
            "WORKSPACE": str(self.ws),
            "OUT_DIR": str(self.out),
            "LAYERS_DIR": str(self.layers),
            "PLATFORM_DIR": str(self.platform),
            "LIFECYCLE": str(self.root / "lifecycle"),
            "CNB_BUILDPACKS_DIR": str(self.buildpacks),
            "FAKE_DIR": str(self.fake),
            "FAKE_DIGEST": DIGEST,
            "RETRY_DELAY": "0",  # the registry phases retry at once here
        }

    def ran(self, phase: str) -> bool:
        """Whether the phase's lifecycle binary ran."""
        return (self.fake / f"{BINARY[phase]}.argv").exists()

    def argv(self, phase: str = "export") -> list[str]:
        """A phase's lifecycle arguments."""
        return (self.fake / f"{BINARY[phase]}.argv").read_text().split("\0")[:-1]

    def seen(self, var: str, phase: str = "export") -> str:
        """The value of ``var`` in a phase's environment, or ``<unset>``."""
        return (self.fake / f"{BINARY[phase]}.{var}").read_text()


def make_work(tmp_path: Path) -> Workspace:
    """A workspace after tag-check and git-clone, with a builder holding three buildpacks."""
    w = Workspace(tmp_path)
    (w.ws / "src" / "services" / "api").mkdir(parents=True)
    w.out.mkdir()
    (w.out / "tags").write_text("1.4.2,1.4,1")
    (w.out / "commit-epoch").write_text(EPOCH)
    w.fake.mkdir()
    (tmp_path / "cwd").mkdir()
    for bp in (
        "paketo-buildpacks_go/4.1.0",
        "paketo-buildpacks_procfile/5.6.7",
        "node/1",
        "node/2",
    ):
        (w.buildpacks / bp).mkdir(parents=True)
        (w.buildpacks / bp / "buildpack.toml").write_text("api = '0.10'\n")
    for binary in BINARY.values():
        write_executable(tmp_path / "lifecycle" / binary, FAKE_LIFECYCLE)
    return w


def run_phase(
    shell: Shell,
    work: Workspace,
    cfg: BuildConfig,
    phase: Phase,
    *,
    image: str | None = None,
    env: dict[str, str | None] | None = None,
    args: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one phase's container of ``cfg`` (``image`` input: ``image``)."""
    return run(
        shell,
        render(lifecycle_phase(cfg, phase)),
        params={"image": str(cfg.image) if image is None else image},
        env={**work.env(), **(env or {})},
        args=None if args is None else [phase, *args],
        cwd=work.root / "cwd",
    )


def build(
    shell: Shell,
    work: Workspace,
    cfg: BuildConfig,
    *,
    image: str | None = None,
    env: dict[str, str | None] | None = None,
    args: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run every phase in order, as the pod does, stopping at the first failure; the result
    has the failing (or last) phase's status and every phase's output."""
    out, err = "", ""
    done: subprocess.CompletedProcess[str] | None = None
    for phase in PHASES:
        done = run_phase(
            shell,
            work,
            cfg,
            phase,
            image=image,
            env=env,
            args=args if phase == "analyze" else None,
        )
        out, err = out + done.stdout, err + done.stderr
        if done.returncode != 0:
            break
    assert done is not None
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def base_argv(work: Workspace, phase: str, app: str = "", log_level: str = "info") -> list[str]:
    """The arguments every build gives a phase."""
    layers = ["-layers", str(work.layers)]
    ids = ["-uid", "1001", "-gid", "1000"]
    level = ["-log-level", log_level]
    app_dir = ["-app", str(work.ws / "src") + app]
    platform = ["-platform", str(work.platform)]
    return {
        "analyze": [*layers, *level, *ids],
        "detect": [*app_dir, *layers, *platform, *level],
        "restore": [*layers, *level, *ids],
        "build": [*app_dir, *layers, *platform, *level],
        "export": [
            *app_dir,
            *layers,
            *level,
            *ids,
            "-report",
            str(work.out / "report.toml"),
            "-project-metadata",
            str(work.out / "project-metadata.toml"),
        ],
    }[phase]
