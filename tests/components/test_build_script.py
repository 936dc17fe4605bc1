"""``buildpacks_build.sh`` and ``pack_report.sh`` under real shells, with a fake lifecycle.

Each fake lifecycle binary (``analyzer``, ``detector``, ``restorer``, ``builder``,
``exporter``) records its argv (NUL-separated) and the credentials and settings in its
environment; the exporter writes a lifecycle-like ``report.toml`` at its ``-report`` path. So
the tests check the exact command line each real phase would get, which phase saw which
credential, the platform env files and the outputs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks.components import pack_build
from argo_buildpacks.components.buildpacks_build import PHASES, lifecycle_phase
from argo_buildpacks.components.scripts import load
from argo_buildpacks.errors import ImageRefError
from argo_buildpacks.model.images import ImageRef
from tests.support.lifecycle import (
    DIGEST,
    EPOCH,
    UNSET,
    Workspace,
    base_argv,
    build,
    config,
    make_work,
    run_phase,
)
from tests.support.runscript import SHELLS, WORKFLOW_UID, Rendered, Shell, render, run


@pytest.fixture
def work(tmp_path: Path) -> Workspace:
    """A workspace after tag-check and git-clone, with a builder holding three buildpacks."""
    return make_work(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
class TestPhases:
    def test_everything_set(self, shell: Shell, work: Workspace) -> None:
        cfg = config(
            source={"url": "https://github.com/acme/app.git", "subpath": "services/api"},
            log_level="debug",
            cache_image="ghcr.io/acme/cache:build",
            run_image="paketobuildpacks/run-jammy-base:latest",
            previous_image="ghcr.io/acme/app:latest",
            buildpacks=["paketo-buildpacks/go@4.1.0", "paketo-buildpacks/procfile"],
            registry_secret="regcred",
        )
        done = build(shell, work, cfg)
        assert done.returncode == 0, done.stderr
        order = work.platform / "order.toml"
        app = "/services/api"
        assert work.argv("analyze") == [
            *base_argv(work, "analyze", app, "debug"),
            "-cache-image", "ghcr.io/acme/cache:build",
            "-run-image", "paketobuildpacks/run-jammy-base:latest",
            "-previous-image", "ghcr.io/acme/app:latest",
            "-tag", "ghcr.io/acme/app:1.4",
            "-tag", "ghcr.io/acme/app:1",
            "ghcr.io/acme/app:1.4.2",
        ]  # fmt: skip
        assert work.argv("detect") == [
            *base_argv(work, "detect", app, "debug"), "-order", str(order)
        ]  # fmt: skip
        assert work.argv("restore") == [
            *base_argv(work, "restore", app, "debug"), "-cache-image", "ghcr.io/acme/cache:build"
        ]  # fmt: skip
        assert work.argv("build") == base_argv(work, "build", app, "debug")
        assert work.argv("export") == [
            *base_argv(work, "export", app, "debug"),
            "-cache-image", "ghcr.io/acme/cache:build",
            "ghcr.io/acme/app:1.4.2",
            "ghcr.io/acme/app:1.4",
            "ghcr.io/acme/app:1",
        ]  # fmt: skip
        # The id without a version takes the builder's only one: the lifecycle needs it.
        assert order.read_text() == (
            "[[order]]\n"
            "  [[order.group]]\n"
            '    id = "paketo-buildpacks/go"\n'
            '    version = "4.1.0"\n'
            "  [[order.group]]\n"
            '    id = "paketo-buildpacks/procfile"\n'
            '    version = "5.6.7"\n'
        )
        if sys.version_info >= (3, 11):  # tomllib; Python 3.10 compares the text only
            import tomllib  # type: ignore[import-not-found, unused-ignore]

            assert tomllib.loads(order.read_text()) == {
                "order": [
                    {
                        "group": [
                            {"id": "paketo-buildpacks/go", "version": "4.1.0"},
                            {"id": "paketo-buildpacks/procfile", "version": "5.6.7"},
                        ]
                    }
                ]
            }
        assert work.seen("SOURCE_DATE_EPOCH") == EPOCH
        # The registry credential reaches the three registry phases and no other.
        for phase in PHASES:
            assert work.seen("CNB_PLATFORM_API", phase) == "0.12"
            expected = (
                "/var/run/secrets/argo-buildpacks/registry"
                if phase in ("analyze", "restore", "export")
                else UNSET
            )
            assert work.seen("DOCKER_CONFIG", phase) == expected, phase
        assert (work.out / "image").read_text() == "ghcr.io/acme/app:1.4.2"
        assert (work.out / "digest").read_text() == DIGEST
        assert done.stdout == (
            "buildpacks-build: exporting ghcr.io/acme/app:1.4.2\n"
            f"buildpacks-build: pushed ghcr.io/acme/app:1.4.2@{DIGEST} (tags: 1.4.2,1.4,1)\n"
        )
        assert done.stderr == ""

    def test_minimal(self, shell: Shell, work: Workspace) -> None:
        (work.out / "tags").write_text("2.0.0-rc.1")
        done = build(shell, work, config(), image="registry.example.com:5000/team/app")
        assert done.returncode == 0, done.stderr
        assert work.argv("export") == [
            *base_argv(work, "export"), "registry.example.com:5000/team/app:2.0.0-rc.1"
        ]  # fmt: skip
        assert work.argv("detect") == base_argv(work, "detect")
        assert not (work.platform / "order.toml").exists()
        assert work.seen("DOCKER_CONFIG") == UNSET
        assert (work.out / "image").read_text() == "registry.example.com:5000/team/app:2.0.0-rc.1"

    def test_image_input_overrides_the_config(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), image="ghcr.io/other/app")
        assert done.returncode == 0, done.stderr
        assert work.argv()[-3:] == [
            "ghcr.io/other/app:1.4.2", "ghcr.io/other/app:1.4", "ghcr.io/other/app:1"
        ]  # fmt: skip

    def test_a_fixed_image_is_literal_and_takes_no_input(
        self, shell: Shell, work: Workspace
    ) -> None:
        cfg = config(overridable=[])
        rendered = render(lifecycle_phase(cfg, "export"))
        assert rendered.env["IMAGE"] == "ghcr.io/acme/app"
        done = build(shell, work, cfg, image="ghcr.io/evil/app")
        assert done.returncode == 0, done.stderr
        assert work.argv()[-3] == "ghcr.io/acme/app:1.4.2"

    def test_tags_and_epoch_as_values(self, shell: Shell, work: Workspace) -> None:
        # The steps layout passes them as parameters: files on the claim are not trusted.
        (work.out / "tags").write_text("6.6.6")
        (work.out / "commit-epoch").write_text("1")
        done = build(shell, work, config(), env={"TAGS": "2.0.0,2.0,2", "COMMIT_EPOCH": EPOCH})
        assert done.returncode == 0, done.stderr
        assert work.argv()[-3:] == [
            "ghcr.io/acme/app:2.0.0",
            "ghcr.io/acme/app:2.0",
            "ghcr.io/acme/app:2",
        ]
        assert work.seen("SOURCE_DATE_EPOCH") == EPOCH

    def test_a_stale_report_is_not_taken_for_this_builds(
        self, shell: Shell, work: Workspace
    ) -> None:
        (work.out / "report.toml").write_text(f'[image]\n  digest = "{DIGEST}"\n')
        (work.out / "digest").write_text(DIGEST)
        done = build(shell, work, config(), env={"FAKE_REPORT": "none"})
        assert done.returncode == 1
        assert "the lifecycle report has no image digest" in done.stderr
        assert not (work.out / "digest").exists()

    def test_a_failing_phase_stops_the_build(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), env={"FAKE_EXIT": "20"})
        assert done.returncode == 20
        assert work.ran("analyze")
        assert not work.ran("detect")

    def test_unknown_phase(self, shell: Shell, work: Workspace) -> None:
        rendered = render(lifecycle_phase(config(), "build"))
        done = run(
            shell,
            Rendered(rendered.script, rendered.name, ("creator",), rendered.env),
            env=work.env(),
            cwd=work.root / "cwd",
        )
        assert done.returncode == 1
        assert done.stderr == (
            "buildpacks-build: phase 'creator' must be analyze, detect, restore, build or export\n"
        )

    @pytest.mark.parametrize(
        ("prefixes", "image", "ok"),
        [
            ("ghcr.io/acme", "ghcr.io/acme/app", True),
            ("ghcr.io/acme/", "ghcr.io/acme/app", True),
            ("ghcr.io/acme", "ghcr.io/acme-evil/app", False),
            ("ghcr.io/acme", "ghcr.io/other/app", False),
            ("registry.example.com\nghcr.io/acme", "ghcr.io/acme/app", True),
            ("ghcr.io", "ghcr.io.evil.test/app", False),
        ],
    )
    def test_image_prefixes(
        self, shell: Shell, work: Workspace, prefixes: str, image: str, ok: bool
    ) -> None:
        done = build(shell, work, config(), image=image, env={"IMAGE_PREFIXES": prefixes})
        if ok:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == 1
            assert f"image '{image}' is not under a registry this template may push to" in (
                done.stderr
            )
            assert not work.ran("analyze") and not work.ran("export")

    def test_a_cache_image_with_a_port_and_tag_under_the_prefixes(
        self, shell: Shell, work: Workspace
    ) -> None:
        cfg = config(cache_image="registry.example.com:5000/acme/cache:build")
        done = build(
            shell,
            work,
            cfg,
            image="registry.example.com:5000/acme/app",
            env={"IMAGE_PREFIXES": "registry.example.com:5000/acme"},
        )
        assert done.returncode == 0, done.stderr
        for phase in ("analyze", "restore", "export"):
            argv = work.argv(phase)
            assert argv[argv.index("-cache-image") + 1] == str(cfg.cache_image)

    def test_cache_image_must_be_under_the_prefixes_too(
        self, shell: Shell, work: Workspace
    ) -> None:
        cfg = config(cache_image="docker.io/evil/cache")
        done = build(shell, work, cfg, env={"IMAGE_PREFIXES": "ghcr.io/acme"})
        assert done.returncode == 1
        assert "cache-image 'docker.io/evil/cache' is not under a registry" in done.stderr
        assert not work.ran("analyze")


ENV_VALUES = {
    "PLAIN": "x",
    "MULTI": "line one\nline two\n",
    "QUOTES": "'\"",
    "SUBST": "$(touch SENTINEL) `touch SENTINEL` ${HOME}",
    "SPACES": "  a  b  ",
    "TRAILING": "value\n\n",
    "EMPTY": "",
    "BACKSLASH": "a\\nb\\",
    "GLOB": "*",
    "DASH": "-n",
    "UTF8": "caf\u00e9 \u2713",
}


@pytest.mark.parametrize("shell", SHELLS)
class TestPlatformEnv:
    def test_values_are_written_byte_for_byte(self, shell: Shell, work: Workspace) -> None:
        (work.platform / "env").mkdir(parents=True)
        (work.platform / "env" / "STALE").write_text("from an earlier attempt")
        done = build(shell, work, config(env=ENV_VALUES))
        assert done.returncode == 0, done.stderr
        files = {p.name: p.read_bytes() for p in (work.platform / "env").iterdir()}
        assert files == {k: v.encode() for k, v in ENV_VALUES.items()}
        assert not list(work.root.rglob("SENTINEL"))
        # Values are data for the lifecycle too: they never reach its arguments.
        assert "SENTINEL" not in "".join(work.argv("analyze") + work.argv("export"))

    @pytest.mark.parametrize("name", ["CNB_APP_DIR", "1A", "A-B", "", "../x", "A B"])
    def test_invalid_names_are_refused(self, shell: Shell, work: Workspace, name: str) -> None:
        done = build(shell, work, config(), args=[name, "v"])
        assert done.returncode == 1
        assert f"build env name '{name}' is invalid" in done.stderr
        assert not work.ran("analyze")

    def test_odd_arguments(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), args=["A", "1", "B"])
        assert done.returncode == 1
        assert "NAME VALUE pairs" in done.stderr

    def test_build_env_lines(self, shell: Shell, work: Workspace) -> None:
        lines = "BP_A=1\nBP_B=x=y $(touch SENTINEL) `id`\n\nBP_C=\n"
        done = build(shell, work, config(), env={"BUILD_ENV": lines}, args=["BP_D", "d"])
        assert done.returncode == 0, done.stderr
        files = {p.name: p.read_text() for p in (work.platform / "env").iterdir()}
        assert files == {"BP_A": "1", "BP_B": "x=y $(touch SENTINEL) `id`", "BP_C": "", "BP_D": "d"}
        assert not list(work.root.rglob("SENTINEL"))

    @pytest.mark.parametrize(
        ("lines", "why"),
        [
            ("NOEQUALS", "is not NAME=VALUE"),
            ("CNB_X=1", "'CNB_X' is invalid"),
            ("A B=1", "invalid"),
        ],
    )
    def test_bad_build_env_lines(self, shell: Shell, work: Workspace, lines: str, why: str) -> None:
        done = build(shell, work, config(), env={"BUILD_ENV": lines})
        assert done.returncode == 1
        assert why in done.stderr
        assert not work.ran("analyze")


@pytest.mark.parametrize("shell", SHELLS)
class TestCreationTime:
    def test_commit(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(creation_time="commit"))
        assert done.returncode == 0, done.stderr
        assert work.seen("SOURCE_DATE_EPOCH") == EPOCH

    def test_epoch_unsets_it(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(creation_time="epoch"), env={"SOURCE_DATE_EPOCH": "1234"})
        assert done.returncode == 0, done.stderr
        assert work.seen("SOURCE_DATE_EPOCH") == UNSET

    def test_now(self, shell: Shell, work: Workspace) -> None:
        before = int(time.time())
        done = build(shell, work, config(creation_time="now"))
        after = int(time.time())
        assert done.returncode == 0, done.stderr
        assert before <= int(work.seen("SOURCE_DATE_EPOCH")) <= after

    def test_commit_without_commit_epoch(self, shell: Shell, work: Workspace) -> None:
        (work.out / "commit-epoch").unlink()
        done = build(shell, work, config())
        assert done.returncode == 1
        assert "no commit-epoch at" in done.stderr
        assert "did git-clone run?" in done.stderr
        assert not work.ran("export")

    @pytest.mark.parametrize("epoch", ["", "12a", "-5", "1 2"])
    def test_bad_commit_epoch(self, shell: Shell, work: Workspace, epoch: str) -> None:
        (work.out / "commit-epoch").write_text(epoch)
        done = build(shell, work, config())
        assert done.returncode == 1
        assert "is not a number" in done.stderr
        assert not work.ran("export")


IMAGES = [
    "ghcr.io/acme/app",
    "app",
    "acme/app",
    "localhost/app",
    "localhost:5000/app",
    "Registry.Example.COM:443/acme/app",
    "[::1]:5000/app",
    "a.b/c__d/e---f/g.h",
    "ghcr.io/Acme/app",
    "Acme/app",
    "ghcr.io/acme/app:1.0",
    f"ghcr.io/acme/app@{DIGEST}",
    "-ghcr.io/acme/app",
    "--tag=evil",
    "ghcr.io/acme/app\nevil",
    "ghcr.io/acme/app\r",
    "ghcr.io/acme/app ",
    "ghcr.io//app",
    "ghcr..io/app",
    "-host.io/app",
    "host-.io/app",
    "ghcr.io/acme/app_",
    "ghcr.io/acme/app/",
    "a" * 256,
    "$(touch SENTINEL)",
]


def image_ok(value: str) -> bool:
    """Python's answer: a valid repository without tag or digest."""
    try:
        ref = ImageRef.parse(value)
    except ImageRefError:
        return False
    return ref.tag is None and ref.digest is None


@pytest.mark.parametrize("shell", SHELLS)
class TestInputs:
    @pytest.mark.parametrize("image", IMAGES)
    def test_image_agrees_with_imageref(self, shell: Shell, work: Workspace, image: str) -> None:
        done = build(shell, work, config(), image=image)
        if image_ok(image):
            assert done.returncode == 0, done.stderr
            assert work.argv()[-3] == f"{image}:1.4.2"
            assert (work.out / "image").read_text() == f"{image}:1.4.2"
        else:
            assert done.returncode == 1
            assert done.stderr.startswith("buildpacks-build: image ")
            assert not work.ran("analyze")
        assert not list(work.root.rglob("SENTINEL"))

    def test_empty_image(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), image="")
        assert done.returncode == 1
        assert done.stderr == "buildpacks-build: image is empty\n"

    @pytest.mark.parametrize(
        ("tags", "message"),
        [
            (None, "no tags at"),
            ("", "no tags at"),
            ("1.4.2,,1", "tag '' is not a valid OCI tag"),
            ("1.4.2+build", "tag '1.4.2+build' is not a valid OCI tag"),
            ("-x", "tag '-x' is not a valid OCI tag"),
            ("*", "tag '*' is not a valid OCI tag"),
            ("1.4.2\n1.4", "tags contains a line break"),
        ],
    )
    def test_bad_tags(self, shell: Shell, work: Workspace, tags: str | None, message: str) -> None:
        if tags is None:
            (work.out / "tags").unlink()
        else:
            (work.out / "tags").write_text(tags)
        done = build(shell, work, config())
        assert done.returncode == 1
        assert message in done.stderr
        assert not work.ran("analyze")

    def test_missing_app_directory(self, shell: Shell, work: Workspace) -> None:
        cfg = config(source={"url": "https://github.com/acme/app.git", "subpath": "web"})
        done = build(shell, work, cfg)
        assert done.returncode == 1
        assert "app directory" in done.stderr
        assert "does not exist" in done.stderr
        assert not work.ran("detect")

    @pytest.mark.parametrize(
        ("buildpacks", "message"),
        [
            ("missing/bp", "buildpack 'missing/bp' is not in the builder"),
            (
                "node",
                "the builder has buildpack 'node' in versions 1 2; give one as 'node@VERSION'",
            ),
            ("ok@1,bad id", "buildpack 'bad id' is not an id or id@version"),
            ("*", "buildpack '*' is not an id or id@version"),
            # One line, and each entry whole: grep alone accepts any matching line.
            (
                "paketo-buildpacks/go@4.1.0\n  [[order.group]]",
                "buildpacks contains a line break",
            ),
            ("evil@../../../../workspace/src/evil-bp", "is not an id or id@version"),
            ("evil@..", "is not an id or id@version"),
            ("a/../b@1", "is not an id or id@version"),
        ],
    )
    def test_bad_buildpacks(
        self, shell: Shell, work: Workspace, buildpacks: str, message: str
    ) -> None:
        done = build(shell, work, config(), env={"BUILDPACKS": buildpacks})
        assert done.returncode == 1
        assert message in done.stderr
        assert not work.ran("analyze")

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("LOG_LEVEL", "trace", "log level 'trace' must be debug, info, warn or error"),
            ("BUILD_UID", "10x", "BUILD_UID/BUILD_GID must be numbers"),
            ("BUILD_GID", "", "BUILD_UID/BUILD_GID must be numbers"),
            ("CREATION_TIME", "never", "creation time 'never' must be commit, epoch or now"),
            ("CACHE_IMAGE", "ghcr.io/acme/cache:-x", "cache-image 'ghcr.io/acme/cache:-x' has an"),
            ("RUN_IMAGE", "-run", "run-image '-run' is not an image repository"),
            ("PREVIOUS_IMAGE", "a@sha256:12", "previous-image 'a@sha256:12' has an invalid"),
            ("SUBPATH", "../x", "subpath '../x' must be a plain relative path"),
            ("SUBPATH", "-x", "subpath '-x' must be a plain relative path"),
        ],
    )
    def test_bad_settings(
        self, shell: Shell, work: Workspace, name: str, value: str, message: str
    ) -> None:
        done = build(shell, work, config(), env={name: value})
        assert done.returncode == 1
        assert message in done.stderr
        assert not work.ran("analyze" if name != "CREATION_TIME" else "export")


@pytest.mark.parametrize("shell", SHELLS)
class TestValuesAreNeverGlobbed:
    """The comma lists are split unquoted; ``set -f`` keeps a ``*`` in them data. The bait
    files in the working directory are what a glob would expand to, and would pass every
    later check."""

    def test_a_star_in_the_buildpacks_is_refused(self, shell: Shell, work: Workspace) -> None:
        (work.root / "cwd" / "evil@1").touch()
        done = build(shell, work, config(), env={"BUILDPACKS": "*"})
        assert (done.returncode, done.stderr) == (
            1,
            "buildpacks-build: buildpack '*' is not an id or id@version\n",
        )
        assert not (work.platform / "order.toml").exists()
        assert "evil" not in "".join(p.name for p in work.platform.rglob("*"))
        assert not work.ran("analyze")

    def test_a_star_in_the_tags_is_refused(self, shell: Shell, work: Workspace) -> None:
        (work.root / "cwd" / "evil").touch()
        (work.out / "tags").write_text("1.4.2,*")
        done = build(shell, work, config())
        assert (done.returncode, done.stderr) == (
            1,
            "buildpacks-build: tag '*' is not a valid OCI tag\n",
        )
        assert not work.ran("analyze") and not work.ran("export")


@pytest.mark.parametrize("shell", SHELLS)
class TestCacheImage:
    def test_the_restore_phase_checks_it_again(self, shell: Shell, work: Workspace) -> None:
        # Each phase is its own container: restore must not trust that analyze checked it.
        done = run_phase(
            shell, work, config(), "restore", env={"CACHE_IMAGE": "ghcr.io/acme/cache:-x"}
        )
        assert (done.returncode, done.stderr) == (
            1,
            "buildpacks-build: cache-image 'ghcr.io/acme/cache:-x' has an invalid tag\n",
        )
        assert not work.ran("restore")

    @pytest.mark.parametrize(
        ("cache", "why"),
        [
            ("Acme/cache", "is not an image repository"),
            (f"ghcr.io/acme/cache@{DIGEST}x", "has an invalid digest"),
            ("-ghcr.io/acme/cache", "is not an image repository"),
        ],
    )
    def test_an_invalid_cache_image_stops_the_build(
        self, shell: Shell, work: Workspace, cache: str, why: str
    ) -> None:
        done = build(shell, work, config(), env={"CACHE_IMAGE": cache})
        assert done.returncode == 1
        assert done.stderr.startswith(f"buildpacks-build: cache-image '{cache}' {why}")
        assert not work.ran("analyze")

    def test_a_digest_pinned_cache_image_with_a_port(self, shell: Shell, work: Workspace) -> None:
        cache = f"registry.example.com:5000/acme/cache:build@{DIGEST}"
        done = build(
            shell,
            work,
            config(),
            image="registry.example.com:5000/acme/app",
            env={"CACHE_IMAGE": cache, "IMAGE_PREFIXES": "registry.example.com:5000/acme"},
        )
        assert done.returncode == 0, done.stderr
        for phase in ("analyze", "restore", "export"):
            argv = work.argv(phase)
            assert argv[argv.index("-cache-image") + 1] == cache


@pytest.mark.parametrize("shell", SHELLS)
class TestReport:
    def test_no_digest(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), env={"FAKE_REPORT": "nodigest"})
        assert done.returncode == 1
        assert "the lifecycle report has no image digest" in done.stderr
        assert not (work.out / "image").exists()
        assert not (work.out / "digest").exists()

    def test_creator_failure_is_the_steps_failure(self, shell: Shell, work: Workspace) -> None:
        done = build(shell, work, config(), env={"FAKE_REPORT": "fail"})
        assert done.returncode == 62
        assert "failed to export" in done.stderr
        assert not (work.out / "digest").exists()


def pack_report() -> Rendered:
    """The busybox step of ``pack_build`` that reads pack's report."""
    template = pack_build(config(creation_time="now"), allow_privileged=True)
    main = next(c for c in template.containers or [] if c.name == "main")
    return render(main)


@pytest.mark.parametrize("shell", SHELLS)
class TestPackReport:
    @pytest.fixture
    def out(self, tmp_path: Path) -> Path:
        out = tmp_path / "out"
        (out / "pack").mkdir(parents=True)
        (out / "oci-tag").write_text("1.4.2_build.7")
        return out

    def report(self, shell: Shell, out: Path, image: str = "ghcr.io/acme/app") -> Any:
        return run(
            shell,
            pack_report(),
            params={"image": image},
            env={"OUT_DIR": str(out), "REPORT": str(out / "pack" / "report.toml")},
            cwd=out,
        )

    def test_outputs(self, shell: Shell, out: Path) -> None:
        (out / "pack" / "report.toml").write_text(
            f'[image]\n  tags = ["a", "b"]\n  digest = "{DIGEST}"\n  manifest-size = 1234\n'
            '\n[build]\n  [[build.bom]]\n    name = "x"\n'
        )
        done = self.report(shell, out)
        assert done.returncode == 0, done.stderr
        assert (out / "image").read_text() == "ghcr.io/acme/app:1.4.2_build.7"
        assert (out / "digest").read_text() == DIGEST
        assert done.stdout == f"pack-report: pushed ghcr.io/acme/app:1.4.2_build.7@{DIGEST}\n"

    def test_missing_report(self, shell: Shell, out: Path) -> None:
        done = self.report(shell, out)
        assert done.returncode == 1
        assert done.stderr == f"pack-report: pack wrote no report at {out}/pack/report.toml\n"
        assert not (out / "image").exists()

    def test_no_digest(self, shell: Shell, out: Path) -> None:
        (out / "pack" / "report.toml").write_text('[image]\n  digest = "sha256:abc"\n')
        done = self.report(shell, out)
        assert done.returncode == 1
        assert "the pack report has no image digest" in done.stderr
        assert not (out / "digest").exists()

    def test_missing_oci_tag(self, shell: Shell, out: Path) -> None:
        (out / "pack" / "report.toml").write_text(f'[image]\n  digest = "{DIGEST}"\n')
        (out / "oci-tag").unlink()
        done = self.report(shell, out)
        assert done.returncode == 1
        assert "no oci-tag at" in done.stderr
        assert not (out / "image").exists()


def test_components_run_the_packaged_scripts() -> None:
    rendered = render(lifecycle_phase(config(env={"B": "2", "A": "1"}), "analyze"))
    assert rendered.script == load("buildpacks_build.sh", "analyze")  # its phase's part
    assert rendered.name == "buildpacks-build"
    assert rendered.args == ("analyze", "A", "1", "B", "2")
    # Only analyze writes the platform env: no other phase gets the values.
    assert render(lifecycle_phase(config(env={"A": "1"}), "build")).args == ("build",)
    assert pack_report().script == load("pack_report.sh")


@pytest.mark.parametrize("shell", SHELLS)
def test_errors_show_control_characters_escaped(shell: Shell, work: Workspace) -> None:
    hostile = "x\x1b[2J\x1b]0;pwned\x07"
    done = build(shell, work, config(), env={"LOG_LEVEL": hostile})
    assert done.returncode == 1
    assert (
        done.stderr
        == "buildpacks-build: log level 'x?[2J?]0;pwned?' must be debug, info, warn or error\n"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_export_records_the_trusted_commit_as_project_metadata(
    shell: Shell, work: Workspace
) -> None:
    """The rebase rebuilds from the commit in io.buildpacks.project.metadata, and the
    provenance step checks the run there: the export writes both from trusted values to the
    out volume and hands that file to the exporter, never the layers' copy the build wrote."""
    cfg = config(creation_time="epoch")
    commit = "0123456789abcdef0123456789abcdef01234567"
    (work.out / "commit").write_text(commit)
    work.layers.mkdir(parents=True, exist_ok=True)
    forged = work.layers / "project-metadata.toml"
    forged.write_text('[source]\n  [source.version]\n    commit = "forged"\n')
    result = run_phase(shell, work, cfg, "export")
    assert result.returncode == 0, result.stderr
    written = work.out / "project-metadata.toml"
    assert written.read_text() == (
        f'[source]\n  type = "git"\n  [source.version]\n    commit = "{commit}"\n'
        f'  [source.metadata]\n    argo-buildpacks-run = "{WORKFLOW_UID}"\n'
    )
    argv = work.argv("export")
    assert argv[argv.index("-project-metadata") + 1] == str(written)
    # Where the tags come as a value, the workspace's files are not trusted: no commit from
    # there (COMMIT is the value).
    result = run_phase(shell, work, cfg, "export", env={"TAGS": "1.4.2"})
    assert result.returncode == 0, result.stderr
    assert written.read_text() == (
        '[source]\n  type = "git"\n'
        f'  [source.metadata]\n    argo-buildpacks-run = "{WORKFLOW_UID}"\n'
    )
    (work.fake / "exporter.argv").unlink()
    bad = run_phase(shell, work, cfg, "export", env={"COMMIT": "main;id"})
    assert bad.returncode == 1 and "is not a full hex commit SHA" in bad.stderr
    assert not work.ran("export")
    bad = run_phase(shell, work, cfg, "export", env={"RUN_ID": "../x"})
    assert (bad.returncode, bad.stderr) == (
        1,
        "buildpacks-build: run id '../x' is not a workflow uid\n",
    )
    assert not work.ran("export")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("metadata", "refusal"),
    [
        (
            '[[labels]]\n  key = "io.buildpacks.project.metadata"\n  value = "{}"\n',
            "the build set the image label io.buildpacks.project.metadata",
        ),
        (
            '[[labels]]\n  key = "\\u0069o.buildpacks.project.metadata"\n  value = "{}"\n',
            "holds a TOML unicode escape, which could spell the platform's label",
        ),
    ],
)
def test_a_buildpack_label_cannot_replace_the_project_metadata(
    shell: Shell, work: Workspace, metadata: str, refusal: str
) -> None:
    """The lifecycle sets buildpack labels (<layers>/config/metadata.toml, which the build
    writes) after the project metadata label (buildpacks/lifecycle phase/exporter.go
    setLabels): one of that name would replace the run and the commit."""
    (work.layers / "config").mkdir(parents=True)
    (work.layers / "config" / "metadata.toml").write_text(metadata)
    done = run_phase(shell, work, config(), "export")
    assert done.returncode == 1
    assert refusal in done.stderr
    assert not work.ran("export")
    # An escaped backslash before a 'u' is no escape: a path in a process is fine.
    (work.layers / "config" / "metadata.toml").write_text(
        '[[processes]]\n  command = ["C:\\\\users"]\n'
    )
    done = run_phase(shell, work, config(), "export")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_a_commit_with_a_second_line_is_refused(shell: Shell, work: Workspace) -> None:
    # grep checks line by line, and the first line alone is a valid SHA: the rest would be
    # written into the TOML.
    commit = "0123456789abcdef0123456789abcdef01234567"
    injected = f'{commit}\n[source.metadata]\nforged = "yes"'
    done = run_phase(shell, work, config(), "export", env={"COMMIT": injected})
    assert (done.returncode, done.stderr) == (
        1,
        f"buildpacks-build: commit '{commit}?[source.metadata]?forged = \"yes\"' is not a full "
        "hex commit SHA\n",
    )
    assert not (work.out / "project-metadata.toml").exists()
    assert not work.ran("export")
