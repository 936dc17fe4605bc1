"""The rebase's script, executed: a recording fake ``crane`` (the image configs), a
recording fake ``cosign`` (the signature check) and a recording fake lifecycle ``rebaser``,
under busybox sh and dash.

Covers the no-op (run image unchanged), the changed run image (rebase, tag policy, outputs),
the changed builder (rebuild from the recorded commit), hostile values, and what the
registry may forge (issue 19 item 5): an unsigned image with sign configured, duplicate or
disguised label keys, a run image the configuration does not name; each refused (which
refusal is asserted) before the rebaser runs and before any decision a rebuild or deploy
would act on is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks.components.rebase import rebase
from argo_buildpacks.model.config import BuildConfig
from tests.support.runscript import SHELLS, Rendered, Shell, run, substitute, write_executable

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64
TOP = "sha256:" + "1" * 64
PATCHED_TOP = "sha256:" + "2" * 64
COMMIT = "c" * 40
RUN = "index.docker.io/paketobuildpacks/run-jammy-base"
PYTHON = ("paketo-buildpacks/python", "2.1.0")

FAKE_CRANE = r"""d=$FAKE_DIR
printf '%s\n' "$*" >>"$d/crane.calls"
[ "$2" = -- ] || { echo "crane: expected -- before the reference" >&2; exit 2; }
case "$1 $3" in
  "digest $IMAGE:$TAG") cat "$d/digest" ;;
  "config $IMAGE@"*) cat "$d/app.json" ;;
  "config $BUILDER") cat "$d/builder.json" ;;
  "config "*) printf '%s\n' "$3" >"$d/run.ref"; cat "$d/run.json" ;;
  *) echo "crane: unexpected $*" >&2; exit 2 ;;
esac
"""
# cosign verify --key KEY --insecure-ignore-tlog=B -- IMAGE:TAG, as cosign v2 answers it:
# the verified payloads on stdout (one JSON array), or "no signatures found" and exit 1.
FAKE_COSIGN = r"""d=$FAKE_DIR
printf '%s\n' "$*" >>"$d/cosign.calls"
[ "$1 $2" = "verify --key" ] || { echo "cosign: unexpected $*" >&2; exit 2; }
[ -f "$3" ] || { echo "cosign: no key $3" >&2; exit 2; }
[ "$5" = -- ] || { echo "cosign: expected -- before the reference" >&2; exit 2; }
if [ -f "$d/signed" ]; then
  printf '[{"critical":{"identity":{"docker-reference":"%s"},' "${6%:*}"
  printf '"image":{"docker-manifest-digest":"%s"},' "$(cat "$d/signed")"
  printf '"type":"cosign container image signature"},"optional":null}]\n'
else
  echo "Error: no signatures found" >&2
  exit 1
fi
"""
FAKE_REBASER = r"""d=$FAKE_DIR
: >"$d/rebaser.argv"
for a in "$@"; do printf '%s\n' "$a" >>"$d/rebaser.argv"; done
printf '%s' "${DOCKER_CONFIG-<unset>}" >"$d/rebaser.DOCKER_CONFIG"
report=
while [ $# -gt 0 ]; do
  if [ "$1" = -report ]; then report=$2; fi
  shift
done
printf '[image]\n  tags = ["x"]\n  digest = "%s"\n' "$FAKE_DIGEST" >"$report"
"""


def config(**extra: Any) -> BuildConfig:
    data: dict[str, Any] = {
        "name": "app",
        "source": {"url": "https://github.com/acme/app.git"},
        "image": "ghcr.io/acme/app",
        "registry_secret": "regcred",
        "tag": {"latest": True},
        "rebase": {"schedule": "0 4 * * *"},
    }
    data.update(extra)
    return BuildConfig.model_validate(data)


def _labels(**labels: Any) -> str:
    return json.dumps(
        {
            "config": {
                "Labels": {k: json.dumps(v, separators=(",", ":")) for k, v in labels.items()}
            }
        },
        separators=(",", ":"),
    )


def app_config(
    *,
    top: str = TOP,
    run: str = RUN,
    buildpacks: tuple[tuple[str, str], ...] = (PYTHON,),
    commit: str | None = COMMIT,
) -> str:
    labels: dict[str, Any] = {
        "io.buildpacks.lifecycle.metadata": {
            "app": [{"sha": "sha256:" + "9" * 64}],
            "runImage": {"topLayer": top, "reference": f"{run}@{OLD}", "image": run},
            "stack": {"runImage": {"image": run}},
        },
        "io.buildpacks.build.metadata": {
            "buildpacks": [{"id": i, "version": v, "homepage": "x"} for i, v in buildpacks],
            "launcher": {"version": "0.20.0"},
        },
    }
    if commit is not None:
        labels["io.buildpacks.project.metadata"] = {
            "source": {"type": "git", "version": {"commit": commit}, "metadata": {}}
        }
    return _labels(**labels)


def builder_config(
    buildpacks: tuple[tuple[str, str], ...] = (PYTHON,),
    run: str | None = RUN,
    mirrors: tuple[str, ...] = (),
) -> str:
    """A builder's config as pack writes it: its buildpacks and default run image
    (``stack.runImage`` and, pack >= 0.30, ``images``)."""
    md: dict[str, Any] = {
        "description": "x",
        "buildpacks": [{"id": i, "version": v} for i, v in buildpacks],
    }
    if run is not None:
        image = {"image": run, "mirrors": list(mirrors)}
        md["stack"] = {"runImage": image}
        md["images"] = [image]
    return _labels(**{"io.buildpacks.builder.metadata": md})


def run_config(top: str) -> str:
    return json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64, top]}})


class Pod:
    """The rebase containerSet's two containers, run in turn on one ``out`` directory."""

    def __init__(self, tmp: Path, cfg: BuildConfig) -> None:
        self.tmp = tmp
        self.fake = tmp / "fake"
        self.fake.mkdir()
        self.out = tmp / "out"
        write_executable(tmp / "bin" / "crane", FAKE_CRANE)
        write_executable(tmp / "bin" / "cosign", FAKE_COSIGN)
        self.public_key = tmp / "cosign.pub"
        self.public_key.write_text("-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n")
        write_executable(tmp / "lifecycle" / "rebaser", FAKE_REBASER)
        template = rebase(cfg)
        self.nodes = {n.name: n for n in template.containers or []}

    def container(self, name: str) -> Rendered:
        node: Any = self.nodes[name]
        command = list(node.command)
        assert command[1] == "-c"
        return Rendered(
            script=command[2],
            name=command[3],
            args=tuple(command[4:]),
            env={e.name: e.value for e in node.env or []},
        )

    def phase(self, shell: Shell, name: str, tag: str = "latest", **env: str | None) -> Any:
        rendered = self.container(name)
        base = {
            "OUT_DIR": str(self.out),
            "HOME": str(self.out),
            "DOCKER_CONFIG": str(self.tmp / "docker"),
            "FAKE_DIR": str(self.fake),
            "FAKE_DIGEST": NEW,
            "LIFECYCLE": str(self.tmp / "lifecycle"),
        }
        if name == "verify":
            base |= {"COSIGN_PUBLIC_KEY": str(self.public_key), "TMPDIR": str(self.out)}
        # TAG is an input: Argo substitutes it once; the fake crane needs the same value.
        base["TAG"] = substitute(rendered.env["TAG"], {"tag": tag})
        return run(
            shell,
            rendered,
            params={"tag": tag},
            env={**base, **env},
            path_prefix=[self.tmp / "bin"],
        )

    def both(self, shell: Shell, tag: str = "latest", **env: str | None) -> tuple[Any, Any]:
        """The containers in their containerSet order (verify first when there is one); a
        container that fails stops the rest, as the containerSet's dependencies do."""
        if "verify" in self.nodes:
            verify = self.phase(shell, "verify", tag, **env)
            if verify.returncode != 0:
                return verify, None
        first = self.phase(shell, "inspect", tag, **env)
        if first.returncode != 0:
            return first, None
        return first, self.phase(shell, "main", tag, **env)

    def calls(self, tool: str) -> list[str]:
        path = self.fake / f"{tool}.calls"
        return path.read_text().splitlines() if path.exists() else []

    def given(self, *, app: str, builder: str | None = None, run: str | None = None) -> None:
        (self.fake / "digest").write_text(OLD + "\n")
        (self.fake / "app.json").write_text(app)
        (self.fake / "builder.json").write_text(builder or builder_config())
        (self.fake / "run.json").write_text(run or run_config(TOP))

    def outputs(self) -> dict[str, str]:
        if not self.out.exists():
            return {}
        return {p.name: p.read_text() for p in self.out.iterdir() if p.name != "report.toml"}

    def decided_nothing(self) -> bool:
        """No decision a later step acts on: the rebuild (action, rebuild-revision), the
        sign and deploy (action, digest), and the rebaser never ran."""
        out = self.outputs()
        acted = {"action", "rebuild-revision", "rebuild-tag", "digest", "new-digest"} & set(out)
        return not acted and not self.rebaser_ran

    @property
    def rebaser_ran(self) -> bool:
        return (self.fake / "rebaser.argv").exists()


@pytest.fixture
def pod(tmp_path: Path) -> Pod:
    return Pod(tmp_path, config())


@pytest.mark.parametrize("shell", SHELLS)
def test_unchanged_run_image_is_a_no_op_that_says_so(shell: Shell, pod: Pod) -> None:
    pod.given(app=app_config(), run=run_config(TOP))
    inspect, main = pod.both(shell)
    assert inspect.returncode == 0, inspect.stderr
    assert main.returncode == 0, main.stderr
    out = pod.outputs()
    assert out["action"] == "unchanged"
    assert out["old-digest"] == out["new-digest"] == OLD
    assert "unchanged" in out["reason"] and TOP in out["reason"]
    assert "unchanged" in main.stdout
    assert not pod.rebaser_ran
    # The run image checked is the one the image's own metadata records.
    assert (pod.fake / "run.ref").read_text().strip() == RUN


@pytest.mark.parametrize("shell", SHELLS)
def test_changed_run_image_rebases_and_moves_the_tag(shell: Shell, pod: Pod) -> None:
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    inspect, main = pod.both(shell, tag="1.4.2")
    assert inspect.returncode == 0, inspect.stderr
    assert main.returncode == 0, main.stderr
    out = pod.outputs()
    assert out["action"] == "rebased"
    assert out["old-digest"] == OLD
    assert out["new-digest"] == out["digest"] == NEW
    assert out["image"] == "ghcr.io/acme/app:1.4.2"
    assert TOP in out["reason"] and PATCHED_TOP in out["reason"]
    argv = (pod.fake / "rebaser.argv").read_text().splitlines()
    assert argv[:8] == [
        "-log-level",
        "info",
        "-uid",
        "1001",
        "-gid",
        "1000",
        "-report",
        f"{pod.out}/report.toml",
    ]
    assert argv[8:10] == ["-run-image", RUN]
    # The version tag follows the patched image; the rebase is also recorded immutably.
    assert argv[10] == "ghcr.io/acme/app:1.4.2"
    assert argv[11].startswith("ghcr.io/acme/app:1.4.2-rebased.")
    stamp = argv[11].rsplit(".", 1)[1]
    assert len(stamp) == 16 and stamp.endswith("Z") and stamp[8] == "T"
    assert len(argv) == 12
    assert (pod.fake / "rebaser.DOCKER_CONFIG").read_text() == str(pod.tmp / "docker")


@pytest.mark.parametrize("shell", SHELLS)
def test_changed_builder_decides_rebuild_from_the_recorded_commit(shell: Shell, pod: Pod) -> None:
    newer = builder_config((("paketo-buildpacks/python", "2.2.0"),))
    pod.given(app=app_config(), builder=newer, run=run_config(PATCHED_TOP))
    inspect, main = pod.both(shell, tag="1.4.2")
    assert inspect.returncode == 0, inspect.stderr
    assert main.returncode == 0, main.stderr
    out = pod.outputs()
    assert out["action"] == "rebuild"
    assert out["rebuild-revision"] == COMMIT
    assert out["rebuild-tag"] == "1.4.2"
    assert "paketo-buildpacks/python@2.1.0" in out["reason"]
    assert out["old-digest"] == OLD and out["new-digest"] == ""
    assert not pod.rebaser_ran


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_rebuild_without_a_recorded_commit_builds_the_configured_revision(
    shell: Shell, pod: Pod
) -> None:
    pod.given(app=app_config(commit=None), builder=builder_config(()))
    inspect, _ = pod.both(shell)
    assert inspect.returncode == 0, inspect.stderr
    out = pod.outputs()
    assert out["action"] == "rebuild"
    assert out["rebuild-revision"] == "main"
    assert out["rebuild-tag"] == ""  # "latest" is no version: the build derives one from git
    assert "records no commit" in out["reason"]


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_a_configured_run_image_that_is_another_image_means_rebuild(
    shell: Shell, tmp_path: Path
) -> None:
    # Built on the builder's default run image; the config now names its own.
    pod = Pod(tmp_path, config(run_image="ghcr.io/acme/run:1"))
    pod.given(app=app_config())
    inspect, _ = pod.both(shell)
    assert inspect.returncode == 0, inspect.stderr
    out = pod.outputs()
    assert out["action"] == "rebuild"
    assert out["reason"].startswith(f"run image is now ghcr.io/acme/run:1, was {RUN}: rebuild")
    assert not pod.rebaser_ran


HOSTILE_TAGS = [
    ("--help", "is not a valid OCI tag"),
    ("x;rm -rf /", "is not a valid OCI tag"),
    ("1.0\nlatest", "contains a line break"),
    ("$(id)", "is not a valid OCI tag"),
    ("a" * 104, "longer than 103"),
]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("tag", "refusal"), HOSTILE_TAGS)
def test_hostile_tags_are_refused_before_anything_runs(
    shell: Shell, pod: Pod, tag: str, refusal: str
) -> None:
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    for name in ("inspect", "main"):
        result = pod.phase(shell, name, tag=tag)
        assert result.returncode == 1
        assert refusal in result.stderr, result.stderr
    assert not (pod.fake / "crane.calls").exists()
    assert not pod.rebaser_ran


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("labels", "refusal"),
    [
        (app_config(run="evil.example.com/x;rm -rf ~"), "recorded run image"),
        (app_config(run="--run-image=evil"), "recorded run image"),
        (_labels(other={"a": 1}), "not built by buildpacks"),
        (app_config(top="sha256:zz"), "records no run image top layer"),
    ],
)
def test_hostile_image_metadata_is_refused_before_the_rebaser_runs(
    shell: Shell, pod: Pod, labels: str, refusal: str
) -> None:
    pod.given(app=labels, run=run_config(PATCHED_TOP))
    inspect, main = pod.both(shell)
    assert inspect.returncode == 1
    assert refusal in inspect.stderr, inspect.stderr
    assert main is None
    # Without inspect's decision the rebaser container refuses too.
    again = pod.phase(shell, "main")
    assert again.returncode == 1 and "did inspect run?" in again.stderr
    assert not pod.rebaser_ran


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "answer",
    [
        "x" + OLD,  # a valid digest inside a longer answer
        f"{OLD} {NEW}",
        OLD[:-1],
        "sha256:" + "A" * 64,
        "sha512:" + "a" * 128,
        "",
    ],
)
def test_a_registry_answer_that_is_not_one_digest_is_refused(
    shell: Shell, pod: Pod, answer: str
) -> None:
    # The digest the registry reports for IMAGE:TAG is what the rest acts on (its config is
    # read by it, it is the old digest deployed on rebuild): exactly one sha256 digest.
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    (pod.fake / "digest").write_text(answer + "\n")
    inspect, main = pod.both(shell)
    assert (inspect.returncode, inspect.stderr) == (
        1,
        f"rebase: digest of ghcr.io/acme/app:latest '{answer}' is not sha256:<64 hex>\n",
    )
    assert main is None
    # crane was asked for the digest only: nothing was read by it.
    assert (pod.fake / "crane.calls").read_text() == "digest -- ghcr.io/acme/app:latest\n"
    assert not (pod.out / "old-digest").exists() and not (pod.out / "action").exists()
    assert not pod.rebaser_ran


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_a_forged_decision_is_refused(shell: Shell, pod: Pod) -> None:
    pod.out.mkdir()
    (pod.out / "action").write_text("rm -rf /")
    result = pod.phase(shell, "main")
    assert result.returncode == 1 and "must be rebase, unchanged or rebuild" in result.stderr
    assert not pod.rebaser_ran


@pytest.mark.parametrize("shell", SHELLS[-1:])
@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        ({"IMAGE": "ghcr.io/acme/app:evil"}, "is not an image repository"),
        ({"IMAGE": "-x"}, "is not an image repository"),
        ({"BUILDER": "--insecure"}, "is not an image repository"),
        ({"RUN_IMAGE": "a b"}, "is not an image repository"),
        ({"REVISION": "--upload-pack=x"}, "is not a branch, tag or commit"),
        ({"LOG_LEVEL": "trace"}, "must be debug, info, warn or error"),
    ],
)
def test_hostile_run_values_are_refused_before_anything_runs(
    shell: Shell, pod: Pod, env: dict[str, str], refusal: str
) -> None:
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    result = pod.phase(shell, "inspect", **env)
    assert result.returncode == 1
    assert refusal in result.stderr, result.stderr
    assert not (pod.fake / "crane.calls").exists()
    assert not pod.rebaser_ran


# --------------------------------------------------------------------------- what the
# registry may forge (issue 19 item 5)

EVIL_COMMIT = "e" * 40
PROJECT = "io.buildpacks.project.metadata"


def signed_config(**extra: Any) -> BuildConfig:
    return config(sign={"cosign_key_secret": "cosign-key"}, **extra)


def _with_second_label(app: str, key: str, value: Any, *, colon: str = ":") -> str:
    """``app`` with one more ``key`` appended to its labels, as raw JSON text: a registry
    serves any bytes, duplicate keys included (a JSON parser such as Go's takes the last)."""
    assert app.endswith("}}}")
    raw = json.dumps(json.dumps(value, separators=(",", ":")))
    return f'{app[:-3]},"{key}"{colon}{raw}}}}}}}'


FORGED_PROJECT = {"source": {"type": "git", "version": {"commit": EVIL_COMMIT}}}


@pytest.mark.parametrize("shell", SHELLS)
def test_with_sign_the_signature_is_verified_before_any_label_is_read(
    shell: Shell, tmp_path: Path
) -> None:
    pod = Pod(tmp_path, signed_config())
    assert list(pod.nodes) == ["verify", "inspect", "main"]
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    (pod.fake / "signed").write_text(OLD)
    _, main = pod.both(shell)
    assert main is not None and main.returncode == 0, main.stderr
    assert pod.outputs()["action"] == "rebased"
    assert pod.outputs()["verified-digest"] == OLD
    (verify,) = pod.calls("cosign")
    assert verify == (
        f"verify --key {pod.public_key} --insecure-ignore-tlog=true -- ghcr.io/acme/app:latest"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_an_unsigned_image_is_refused_before_any_label_is_trusted(
    shell: Shell, tmp_path: Path
) -> None:
    pod = Pod(tmp_path, signed_config())
    # The registry serves forged metadata that would make a rebuild of a chosen commit.
    newer = builder_config((("paketo-buildpacks/python", "2.2.0"),))
    forged = _with_second_label(app_config(commit=None), PROJECT, FORGED_PROJECT)
    pod.given(app=forged, builder=newer)
    verify, main = pod.both(shell)
    assert verify.returncode == 1 and main is None
    assert (
        "rebase: ghcr.io/acme/app:latest has no valid signature by the configured key: its "
        "metadata is not trusted; nothing rebased, rebuilt or deployed"
    ) in verify.stderr
    assert pod.calls("crane") == []  # not one label read
    # Even if inspect ran without verify, it would read nothing.
    inspect = pod.phase(shell, "inspect")
    assert inspect.returncode == 1 and "no verified digest" in inspect.stderr
    assert pod.calls("crane") == []
    assert pod.decided_nothing()


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_a_tag_moved_after_its_signature_was_verified_is_refused(
    shell: Shell, tmp_path: Path
) -> None:
    pod = Pod(tmp_path, signed_config())
    pod.given(app=app_config(), run=run_config(PATCHED_TOP))
    (pod.fake / "signed").write_text(NEW)  # the signed digest; the tag now names OLD
    inspect, main = pod.both(shell)
    assert inspect.returncode == 1 and main is None
    assert f"ghcr.io/acme/app:latest is now {OLD}, not the signed {NEW}" in inspect.stderr
    assert pod.calls("crane") == ["digest -- ghcr.io/acme/app:latest"]  # no config read
    assert pod.decided_nothing()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("forged", "refusal"),
    [
        pytest.param(
            _with_second_label(app_config(), PROJECT, FORGED_PROJECT),
            f"has the label {PROJECT} 2 times: refused",
            id="duplicate-last-wins",
        ),
        pytest.param(
            _with_second_label(app_config(), PROJECT, FORGED_PROJECT, colon=" :"),
            f"has the label {PROJECT} 2 times: refused",
            id="duplicate-spaced",
        ),
        pytest.param(
            _with_second_label(
                app_config(), "io.buildpacks.project\\u002emetadata", FORGED_PROJECT
            ),
            "spells a name with a \\u escape: refused",
            id="disguised-key",
        ),
        pytest.param(
            _with_second_label(
                app_config(),
                "io.buildpacks.lifecycle.metadata",
                {"runImage": {"topLayer": PATCHED_TOP, "image": "evil.example.com/run"}},
            ),
            "has the label io.buildpacks.lifecycle.metadata 2 times: refused",
            id="duplicate-lifecycle",
        ),
    ],
)
def test_forged_labels_are_refused_before_a_rebuild_or_rebase_is_decided(
    shell: Shell, pod: Pod, forged: str, refusal: str
) -> None:
    # A builder without the image's buildpack: read as the forger meant, this would rebuild
    # the forged commit under the image's version.
    pod.given(app=forged, builder=builder_config(()))
    inspect, main = pod.both(shell, tag="1.4.2")
    assert inspect.returncode == 1 and main is None
    assert refusal in inspect.stderr, inspect.stderr
    assert pod.decided_nothing()
    assert EVIL_COMMIT not in "".join(pod.outputs().values())


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "recorded",
    ["evil.example.com/paketobuildpacks/run-jammy-base", "ghcr.io/acme/run", "localhost:5000/x"],
)
def test_a_run_image_the_configuration_does_not_name_is_refused(
    shell: Shell, pod: Pod, recorded: str
) -> None:
    pod.given(app=app_config(run=recorded), run=run_config(PATCHED_TOP))
    inspect, main = pod.both(shell)
    assert inspect.returncode == 1 and main is None
    assert (
        f"rebase: ghcr.io/acme/app:latest records the run image '{recorded}', not the "
        f"configured run image nor the builder's ({RUN}): refused (a forged label?); nothing "
        "rebased, rebuilt or deployed"
    ) in inspect.stderr
    assert not (pod.fake / "run.ref").exists()  # the recorded image was never read
    assert pod.decided_nothing()


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_the_rebaser_gets_the_trusted_run_image_name_never_the_label(
    shell: Shell, tmp_path: Path
) -> None:
    mirror = "ghcr.io/paketo-mirror/run-jammy-base"
    pod = Pod(tmp_path, config())
    builder = builder_config(run="paketobuildpacks/run-jammy-base:latest", mirrors=(mirror,))
    # The image records the mirror (the lifecycle picks one on the app's registry) with a
    # tag of its own: the rebase acts on the builder's spelling of that mirror.
    pod.given(app=app_config(run=f"{mirror}:evil"), builder=builder, run=run_config(PATCHED_TOP))
    _, main = pod.both(shell)
    assert main is not None and main.returncode == 0, main.stderr
    argv = (pod.fake / "rebaser.argv").read_text().splitlines()
    assert argv[8:10] == ["-run-image", mirror]
    # Docker Hub spellings are one repository: recorded with index.docker.io, named without.
    (tmp_path / "hub").mkdir()
    pod2 = Pod(tmp_path / "hub", config())
    pod2.given(app=app_config(), builder=builder, run=run_config(PATCHED_TOP))
    _, main = pod2.both(shell)
    assert main is not None and main.returncode == 0, main.stderr
    argv = (pod2.fake / "rebaser.argv").read_text().splitlines()
    assert argv[8:10] == ["-run-image", "paketobuildpacks/run-jammy-base:latest"]


@pytest.mark.parametrize("shell", SHELLS)
def test_the_reason_is_capped_whatever_the_image_records(shell: Shell, pod: Pod) -> None:
    # 20,000 buildpacks the builder lacks gave a 220 KB reason (and a fleet summary that
    # could not start); now at most 1000 bytes, naming five and counting the rest.
    many = tuple((f"acme/bp-{i:05d}", "1.0.0") for i in range(20_000))
    pod.given(app=app_config(buildpacks=many), builder=builder_config(()))
    inspect, _ = pod.both(shell, tag="1.4.2")
    assert inspect.returncode == 0, inspect.stderr
    reason = pod.outputs()["reason"]
    assert len(reason.encode()) <= 1000
    assert "acme/bp-00000@1.0.0" in reason and "(and 19995 more)" in reason
    assert pod.outputs()["action"] == "rebuild"


@pytest.mark.parametrize("shell", SHELLS[-1:])
def test_the_reason_is_capped_however_long_the_names(shell: Shell, pod: Pod) -> None:
    long_ids = tuple((f"acme/{c * 400}", "1.0.0") for c in "abc")
    pod.given(app=app_config(buildpacks=long_ids), builder=builder_config(()))
    inspect, _ = pod.both(shell, tag="1.4.2")
    assert inspect.returncode == 0, inspect.stderr
    reason = pod.outputs()["reason"]
    assert len(reason.encode()) == 1000 and reason.startswith("builder ")
    assert "\n" not in reason
