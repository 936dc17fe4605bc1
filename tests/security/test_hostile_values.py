"""Hostile values never run a command: they are refused, or they stay plain data.

Every component is rendered and its script run under real shells with values built to
inject commands or options. Config-time values (subpath, build env) go through the Python
model first; run-time parameters (repo, revision, tag, image) are fed straight to the script
env, as a submission from the Argo UI would. Each payload would create ``SENTINEL``; it must
never exist, and the script must either exit 1 with a message of its own or use the value
as data (a branch, a directory, an env file of exactly that name or content).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from argo_buildpacks._kits.git import redact
from argo_buildpacks.components import git_clone, pack_build, tag_check
from argo_buildpacks.components.buildpacks_build import PHASES, lifecycle_phase
from argo_buildpacks.errors import ConfigError, TagError
from argo_buildpacks.model.config import BuildConfig
from argo_buildpacks.model.tags import SemverTag
from tests.support.gitrepos import Repo, make_repo
from tests.support.packaged import packaged
from tests.support.runscript import (
    SHELLS,
    Rendered,
    Shell,
    render,
    run,
    substitute,
    write_executable,
)

HOSTILE = [
    "$(touch SENTINEL)",
    "`touch SENTINEL`",
    "; touch SENTINEL",
    "a\ntouch SENTINEL",
    "'\"",
    "--upload-pack=touch SENTINEL",
    "-oProxyCommand=touch SENTINEL",
    # Without whitespace, so they pass "no whitespace" checks and reach git as names.
    "$(touch${IFS}SENTINEL)",
    "x|touch${IFS}SENTINEL",
    "x;touch${IFS}SENTINEL",
    "--upload-pack=touch${IFS}SENTINEL",
]

HOSTILE_REPOS = [
    *HOSTILE,
    "ext::sh${IFS}-c${IFS}touch${IFS}SENTINEL",
    "ext::sh -c touch% SENTINEL",
    "fd::3",
    "ssh://-oProxyCommand=touch${IFS}SENTINEL/x",
    "ssh://git@example.invalid/x$(touch${IFS}SENTINEL)",
    "ssh://$(touch${IFS}SENTINEL)@example.invalid/x",
    "git@example.invalid:$(touch${IFS}SENTINEL)",
    "-oProxyCommand=touch${IFS}SENTINEL:x",
    "https://example.invalid/$(touch${IFS}SENTINEL)",
    "file:///nonexistent/$(touch${IFS}SENTINEL)",
    "file:///nonexistent/x'$(touch${IFS}SENTINEL)'",
]

# repo and image overridable: these tests feed hostile run-time values to the scripts.
BASE: dict[str, Any] = {
    "name": "app",
    "source": {"url": "https://github.com/acme/app.git"},
    "image": "ghcr.io/acme/app",
    "overridable": ["repo", "image"],
}


def cfg(**extra: Any) -> BuildConfig:
    """A valid config with ``extra`` keys (through ``from_dict``, like a config file)."""
    return BuildConfig.from_dict({**BASE, **extra})


def python_accepts(**extra: Any) -> bool:
    """Whether the config model accepts ``extra``; a refusal must be a ConfigError naming
    the key."""
    try:
        cfg(**extra)
    except ConfigError as exc:
        message = str(exc)
    else:
        return True
    assert f"config: {next(iter(extra))}" in message, message
    return False


def no_sentinel(root: Path) -> None:
    """No payload ran."""
    assert not list(root.rglob("SENTINEL")), "a hostile value ran a command"


def refused(done: subprocess.CompletedProcess[str], who: str, why: str = "") -> None:
    """Exit 1 with the script's own one-line message last (containing ``why``)."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"{who}: "), done.stderr
    assert why in last, (why, last)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, set[str], set[str]]:
    """A repository with a branch and a directory named after each value git and the
    model allow; returns it with the sets of those branch and directory names."""
    r = make_repo(tmp_path_factory.mktemp("hostile") / "repo")
    files = {"README.md": "x\n"}
    dirs = {v for v in HOSTILE if python_accepts(source={**BASE["source"], "subpath": v})}
    files.update({f"{d}/app.txt": d for d in dirs})
    r.commit("init", files)
    branches = set()
    for value in HOSTILE:
        check = subprocess.run(
            ["git", "check-ref-format", "--branch", value], capture_output=True, check=False
        )
        if check.returncode == 0 and not value.startswith("-"):
            r.branch(value)
            branches.add(value)
    return r, branches, dirs


def clone_env(tmp_path: Path) -> dict[str, str | None]:
    """Workspace remapped; no retries; any https goes to a closed local port."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return {
        "WORKSPACE": str(tmp_path / "ws"),
        "OUT_DIR": str(tmp_path / "ws" / "out"),
        "RETRIES": "0",
        "RETRY_DELAY": "0",
        "TMPDIR": str(tmp_path / "tmp"),
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
    }


def build_env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    """The build's paths remapped under ``tmp_path``; the lifecycle is a directory of
    binaries that record that they ran (in ``ran``) and fail."""
    ws = tmp_path / "ws"
    lifecycle = tmp_path / "lifecycle"
    for binary in ("analyzer", "detector", "restorer", "builder", "exporter"):
        write_executable(lifecycle / binary, f'echo "${{0##*/}}" >>"{tmp_path}/ran"\nexit 1\n')
    return {
        "WORKSPACE": str(ws),
        "OUT_DIR": str(ws / "out"),
        "PLATFORM_DIR": str(ws / "platform"),
        "LAYERS_DIR": str(tmp_path / "layers"),
        "LIFECYCLE": str(lifecycle),
        "RETRY_DELAY": "0",  # the registry phases retry their failing program at once here
        **extra,
    }


def ran(tmp_path: Path) -> list[str]:
    """The lifecycle binaries that ran."""
    log = tmp_path / "ran"
    return log.read_text().split() if log.exists() else []


def recording_git(tmp_path: Path) -> Path:
    """A ``git`` first on PATH that records each call, then runs the real one."""
    real = shutil.which("git") or "git"
    return write_executable(
        tmp_path / "gitbin" / "git", f'echo "$1" >>"{tmp_path}/git-calls"\nexec "{real}" "$@"\n'
    ).parent


def git_calls(tmp_path: Path) -> list[str]:
    """The git subcommands the script ran."""
    log = tmp_path / "git-calls"
    return log.read_text().split() if log.exists() else []


def run_phases(
    shell: Shell, config: BuildConfig, tmp_path: Path, image: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the build's phases in order until one fails (the fake lifecycle fails)."""
    done: subprocess.CompletedProcess[str] | None = None
    for phase in PHASES:
        done = run(
            shell,
            render(lifecycle_phase(config, phase)),
            params={"image": image},
            env=build_env(tmp_path, **extra),
            cwd=cwd(tmp_path),
        )
        if done.returncode != 0:
            break
    assert done is not None
    return done


def fake_ssh(tmp_path: Path) -> Path:
    """A fake ``ssh`` that records its arguments and fails like an unreachable host."""
    log = tmp_path / "ssh-args"
    return write_executable(
        tmp_path / "bin" / "ssh",
        f'printf "%s\\n" "$@" >>"{log}"\necho "ssh: Could not resolve hostname" >&2\nexit 255\n',
    ).parent


def cwd(tmp_path: Path) -> Path:
    """The scripts' working directory, where a relative ``touch SENTINEL`` would land. It
    holds files, so that an unquoted ``*`` or ``?`` would expand to something."""
    path = tmp_path / "cwd"
    path.mkdir(exist_ok=True)
    for name in ("-rf", "--upload-pack=touch SENTINEL", "a b", "x"):
        (path / name).write_text("")
    return path


# How the clone script answers each hostile repo: refused before git runs (the reason, after
# "git-clone: repo '<value>' ") or, for URLs that are plain data for git, a failed fetch.
WHITESPACE = "contains whitespace or control characters"
NOT_A_URL = "is not a URL or user@host:path"
DASH = "starts with '-'"
HELPER = "uses a git remote helper ('::'), which is not allowed"
FETCH = None
REPO_OUTCOMES: dict[str, str | None] = {
    "$(touch SENTINEL)": WHITESPACE,
    "`touch SENTINEL`": WHITESPACE,
    "; touch SENTINEL": WHITESPACE,
    "a\ntouch SENTINEL": "contains a line break",  # said without the value
    "'\"": NOT_A_URL,
    "--upload-pack=touch SENTINEL": DASH,
    "-oProxyCommand=touch SENTINEL": DASH,
    "$(touch${IFS}SENTINEL)": NOT_A_URL,
    "x|touch${IFS}SENTINEL": NOT_A_URL,
    "x;touch${IFS}SENTINEL": NOT_A_URL,
    "--upload-pack=touch${IFS}SENTINEL": DASH,
    "ext::sh${IFS}-c${IFS}touch${IFS}SENTINEL": HELPER,
    "ext::sh -c touch% SENTINEL": WHITESPACE,
    "fd::3": HELPER,
    "ssh://-oProxyCommand=touch${IFS}SENTINEL/x": FETCH,
    "ssh://git@example.invalid/x$(touch${IFS}SENTINEL)": FETCH,
    "ssh://$(touch${IFS}SENTINEL)@example.invalid/x": FETCH,
    "git@example.invalid:$(touch${IFS}SENTINEL)": FETCH,
    "-oProxyCommand=touch${IFS}SENTINEL:x": DASH,
    "https://example.invalid/$(touch${IFS}SENTINEL)": FETCH,
    "file:///nonexistent/$(touch${IFS}SENTINEL)": FETCH,
    "file:///nonexistent/x'$(touch${IFS}SENTINEL)'": FETCH,
}


def test_every_hostile_repo_has_an_expected_outcome() -> None:
    assert list(REPO_OUTCOMES) == HOSTILE_REPOS


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("value", HOSTILE_REPOS)
def test_repo(shell: Shell, tmp_path: Path, value: str) -> None:
    if python_accepts(source={"url": value}):
        # Only URLs that are plain data for git get through the model.
        assert value.startswith(("https://", "ssh://", "git@", "file://"))
    component = git_clone(cfg().source, builder=cfg().builder, repo_overridable=True)
    done = run(
        shell,
        render(component),
        params={"repo": value, "revision": "main"},
        env=clone_env(tmp_path),
        path_prefix=(recording_git(tmp_path), fake_ssh(tmp_path)),
        cwd=cwd(tmp_path),
    )
    refused(done, "git-clone")
    last = done.stderr.splitlines()[-1]
    reason = REPO_OUTCOMES[value]
    if reason is FETCH:
        # Data for git: one look-up of exactly that URL (is 'main' a branch or a tag?), which
        # failed (no such host or path); the message shows the URL without its user part.
        assert last.startswith(f"git-clone: fetching 'main' from '{redact(value)}' failed "), last
        assert git_calls(tmp_path) == ["init", "config", "ls-remote"]
    elif "\n" in value:
        assert last == f"git-clone: repo {reason}"
        assert git_calls(tmp_path) == []  # refused before git ran at all
    else:
        assert last == f"git-clone: repo '{value}' {reason}"
        assert git_calls(tmp_path) == []  # refused before git ran at all
    ssh_args = tmp_path / "ssh-args"
    # No option reached ssh from the URL (git refuses a host or user starting with '-').
    assert not ssh_args.exists() or "-oProxyCommand" not in ssh_args.read_text()
    no_sentinel(tmp_path)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("value", HOSTILE)
def test_revision(
    shell: Shell, tmp_path: Path, value: str, repo: tuple[Repo, set[str], set[str]]
) -> None:
    source_repo, branches, _ = repo
    accepted = python_accepts(source={**BASE["source"], "revision": value})
    if accepted:
        assert value in branches  # only names git itself accepts as branches
    component = git_clone(cfg(source={"url": source_repo.url}).source, builder=cfg().builder)
    done = run(
        shell,
        render(component),
        params={"revision": value},
        env=clone_env(tmp_path),
        path_prefix=(recording_git(tmp_path),),
        cwd=cwd(tmp_path),
    )
    if value in branches:
        # A branch of exactly that name: the value was a name, nothing else.
        assert done.returncode == 0, done.stderr
        out = tmp_path / "ws" / "out"
        assert (out / "commit").read_text() == source_repo.head(f"refs/heads/{value}")
    else:
        # Refused by the script before git ever ran.
        refused(done, "git-clone", "revision")
        assert git_calls(tmp_path) == []
    no_sentinel(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("value", HOSTILE)
def test_subpath(
    shell: Shell, tmp_path: Path, value: str, repo: tuple[Repo, set[str], set[str]]
) -> None:
    source_repo, _, dirs = repo
    if value in dirs:
        config = cfg(source={"url": source_repo.url, "subpath": value})
        env: dict[str, str | None] = {}
    else:
        assert not value or value[0] == "-" or "\n" in value
        # Refused by the model; the scripts defend themselves when it arrives anyway.
        config = cfg(source={"url": source_repo.url})
        env = {"SUBPATH": value}
    clone = run(
        shell,
        render(git_clone(config.source, builder=config.builder)),
        params={"revision": "main"},
        env={**clone_env(tmp_path), **env},
        path_prefix=(recording_git(tmp_path),),
        cwd=cwd(tmp_path),
    )
    if value in dirs:
        assert clone.returncode == 0, clone.stderr
        (tmp_path / "ws" / "out" / "tags").write_text("1.0.0")
        detector = write_executable(
            tmp_path / "lifecycle-detect" / "detector", 'printf "%s\\n" "$2" >app\n'
        )
        detect = run(
            shell,
            render(lifecycle_phase(config, "detect")),
            env={**build_env(tmp_path), "LIFECYCLE": str(detector.parent), **env},
            cwd=cwd(tmp_path),
        )
        # The detector got the app directory of exactly that name.
        assert detect.returncode == 0, detect.stderr
        assert (cwd(tmp_path) / "app").read_text() == f"{tmp_path}/ws/src/{value}\n"
    else:
        refused(clone, "git-clone", "subpath")
        assert git_calls(tmp_path) == []
        (tmp_path / "ws" / "src").mkdir(parents=True, exist_ok=True)
        built = run_phases(shell, config, tmp_path, "ghcr.io/acme/app", SUBPATH=value)
        refused(built, "buildpacks-build", "subpath")
        assert ran(tmp_path) == []
    no_sentinel(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("value", HOSTILE)
def test_tag(shell: Shell, tmp_path: Path, value: str) -> None:
    with pytest.raises(TagError):
        SemverTag.parse(value)
    out = tmp_path / "out"
    done = run(
        shell,
        render(tag_check(builder=cfg().builder)),
        params={"tag": value},
        env={"OUT_DIR": str(out)},
        cwd=cwd(tmp_path),
    )
    refused(done, "tag-check", "is not a SemVer 2.0.0 version")
    assert not out.exists()
    # A tags file with the value (a workspace tampered with) is refused by the build too,
    # before any lifecycle phase runs.
    (tmp_path / "ws" / "src").mkdir(parents=True)
    (tmp_path / "ws" / "out").mkdir()
    (tmp_path / "ws" / "out" / "tags").write_text(value)
    built = run_phases(shell, cfg(creation_time="epoch"), tmp_path, "ghcr.io/acme/app")
    refused(built, "buildpacks-build", "tag")
    assert ran(tmp_path) == []
    no_sentinel(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("value", HOSTILE)
def test_image(shell: Shell, tmp_path: Path, value: str) -> None:
    assert not python_accepts(image=value)
    (tmp_path / "ws" / "src").mkdir(parents=True)
    out = tmp_path / "ws" / "out"
    out.mkdir()
    (out / "tags").write_text("1.0.0")
    built = run_phases(shell, cfg(creation_time="epoch"), tmp_path, value)
    refused(built, "buildpacks-build", "image")
    assert ran(tmp_path) == []
    # pack-report only writes the image pack pushed (pack refuses a bad one first).
    (out / "pack").mkdir()
    (out / "pack" / "report.toml").write_text(f'[image]\n  digest = "sha256:{"a" * 64}"\n')
    (out / "oci-tag").write_text("1.0.0")
    main = next(c for c in pack_template(cfg()).containers or [] if c.name == "main")
    report = run(
        shell,
        render(main),
        params={"image": value},
        env={"OUT_DIR": str(out), "REPORT": str(out / "pack" / "report.toml")},
    )
    if "\n" in value:
        refused(report, "pack-report")
    else:
        assert report.returncode == 0, report.stderr
        assert (out / "image").read_text() == f"{value}:1.0.0"
    no_sentinel(tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
def test_build_env(shell: Shell, tmp_path: Path) -> None:
    values = {f"V{i}": v for i, v in enumerate(HOSTILE)}
    for name in HOSTILE:
        assert not python_accepts(env={name: "x"})
    config = cfg(env=values, creation_time="epoch")
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "out").mkdir()
    (ws / "out" / "tags").write_text("1.0.0")
    built = run_phases(shell, config, tmp_path, "ghcr.io/acme/app")
    assert built.returncode == 1  # the fake analyzer fails after the env is written
    # Its exit 1 may pass: retried (retries.push), after the checks and the env, once each.
    assert ran(tmp_path) == ["analyzer"] * (config.retries.push + 1)
    written = {p.name: p.read_bytes() for p in (ws / "platform" / "env").iterdir()}
    assert written == {k: v.encode() for k, v in values.items()}
    no_sentinel(tmp_path)


def pack_template(config: BuildConfig) -> Any:
    """``pack_build`` as the hostile tests render it: privileged allowed, creation now."""
    return pack_build(config.model_copy(update={"creation_time": "now"}), allow_privileged=True)


def shell_commands(config: BuildConfig) -> list[tuple[Rendered | None, list[str], str]]:
    """(rendered script or None, full command, packaged script name) of every container."""
    found: list[tuple[Rendered | None, list[str], str]] = []
    containers: list[Any] = [
        tag_check(config.tag, builder=config.builder),
        tag_check(config.tag, builder=config.builder, mode="describe"),
        git_clone(config.source, builder=config.builder, describe=True),
        *(lifecycle_phase(config, phase) for phase in PHASES),
        *(pack_template(config).containers or []),
    ]
    for c in containers:
        command = list(c.command or [])
        if command[:2] == ["/bin/sh", "-c"] and len(command) > 3:
            name = {
                "tag-check": "tag_check.sh",
                "git-clone": "git_clone.sh",
                "buildpacks-build": "buildpacks_build.sh",
                "pack-report": "pack_report.sh",
            }.get(command[3], "")
            found.append((render(c), command, name))
        else:
            found.append((None, command, ""))
    return found


def test_no_value_reaches_script_text(tmp_path: Path) -> None:
    accepted = [v for v in HOSTILE if python_accepts(source={**BASE["source"], "subpath": v})]
    config = cfg(
        source={
            "url": "https://example.invalid/$(touch${IFS}SENTINEL)",
            "revision": "$(touch${IFS}SENTINEL)",
            "subpath": accepted[0],
        },
        env={f"V{i}": v for i, v in enumerate(HOSTILE)},
    )
    for rendered, command, script in shell_commands(config):
        if rendered is not None:
            # The packaged constant (the container's part), byte for byte: nothing pasted in.
            assert rendered.script in packaged([script])
        # (Short values such as '" occur in the constant scripts themselves.)
        for value in [v for v in HOSTILE if len(v) > 4]:
            assert value not in "\0".join(command), (command[:1], value)
    no_sentinel(tmp_path)


def test_pack_gets_build_env_values_as_single_arguments() -> None:
    values = {f"V{i}": v for i, v in enumerate(HOSTILE)}
    pack = next(c for c in pack_template(cfg(env=values)).containers or [] if c.name == "pack")
    args = list(pack.args or [])
    for key, value in values.items():
        at = args.index(f"{key}={value}")
        assert args[at - 1] == "--env"


@pytest.mark.parametrize("value", ["--publish=false", "-oProxyCommand=touch${IFS}SENTINEL"])
def test_pack_image_input_cannot_become_an_option(value: str) -> None:
    pack = next(c for c in pack_template(cfg()).containers or [] if c.name == "pack")
    args = [substitute(a, {"image": value}) for a in pack.args or []]
    at = next(i for i, a in enumerate(args) if a.startswith(value))
    assert "--" in args[:at] or not args[at].startswith("-")


def test_shells_are_available() -> None:
    assert shutil.which("git"), "git is needed by these tests"
    assert SHELLS
