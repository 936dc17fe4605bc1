"""Run a rendered component's script the way its container would, under a real shell.

A component's ``command`` is ``[/bin/sh, -c, SCRIPT, NAME, ...]``; its ``args`` and ``env`` carry
every value. :func:`run` replaces ``{{inputs.parameters.X}}`` in env values and args with the
test's chosen inputs (what Argo's substitution does: values only ever land in env/args), lets
the test remap the fixed cluster paths (``/workspace``, secret mounts) to temporary ones, and
runs ``[shell, -c, SCRIPT, NAME, *args]`` with a minimal environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CLUSTER_PATHS",
    "SHELLS",
    "WORKFLOW_UID",
    "Rendered",
    "Shell",
    "base_path",
    "render",
    "run",
    "shells",
    "substitute",
    "write_executable",
]

Shell = tuple[str, ...]

#: The pod's fixed paths; :func:`run` refuses to pass them on unmapped.
CLUSTER_PATHS = ("/workspace", "/layers")

_PARAM = re.compile(r"\{\{inputs\.parameters\.([A-Za-z0-9_-]+)\}\}")
#: The run's ``{{workflow.uid}}`` in every script a test runs (Argo substitutes it, as it does
#: inputs, when it creates the pod).
WORKFLOW_UID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def shells() -> list[Any]:
    """``busybox sh`` (the cluster's shell image) when installed, and ``/bin/sh`` (dash here),
    as pytest params with readable ids."""
    found: list[Any] = []
    busybox = shutil.which("busybox")
    if busybox:
        found.append(pytest.param((busybox, "sh"), id="busybox"))
    dash = shutil.which("dash")
    found.append(pytest.param((dash,), id="dash") if dash else pytest.param(("/bin/sh",), id="sh"))
    return found


SHELLS = shells()


@dataclass(frozen=True)
class Rendered:
    """What a container template gives its shell: the script, ``$0``, arguments and env."""

    script: str
    name: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    #: The container's inputs that have a default (Argo uses it when a run gives none).
    defaults: Mapping[str, str] = dataclasses.field(default_factory=dict)


def render(container: Any) -> Rendered:
    """Split a Hera ``Container``/``ContainerNode`` running ``/bin/sh -c SCRIPT NAME ...``.

    Raises:
        AssertionError: the container does not run a shell script that way.
    """
    command = list(container.command or [])
    assert command[:2] == ["/bin/sh", "-c"], command[:2]
    assert len(command) >= 4, "expected /bin/sh -c SCRIPT NAME"
    env = {e.name: e.value for e in container.env or []}
    assert all(isinstance(v, str) for v in env.values()), env
    inputs = getattr(container, "inputs", None)
    defaults = {
        str(p.name): str(p.default)
        for p in (inputs if isinstance(inputs, list) else [])
        if getattr(p, "default", None) is not None
    }
    return Rendered(
        script=command[2],
        name=command[3],
        args=(*command[4:], *(container.args or [])),
        env=env,
        defaults=defaults,
    )


def substitute(text: str, params: Mapping[str, str]) -> str:
    """Replace ``{{inputs.parameters.X}}`` (and ``{{workflow.uid}}``) once, as Argo does (no
    re-expansion of values).

    Raises:
        KeyError: a parameter the test did not give.
    """
    return _PARAM.sub(lambda m: params[m.group(1)], text.replace("{{workflow.uid}}", WORKFLOW_UID))


def busybox_userland(busybox: str) -> Path:
    """A directory of busybox applet links (``grep``, ``sed``, ``mktemp``...), so that under
    ``busybox sh`` the scripts also get busybox's tools, as in the alpine/git and busybox
    images. Created once per user and busybox binary; links are idempotent."""
    applets = subprocess.run(
        [busybox, "--list"], capture_output=True, text=True, check=True, timeout=10
    ).stdout.split()
    bin_dir = Path(tempfile.gettempdir()) / f"argo-buildpacks-tests-busybox-{os.getuid()}"
    bin_dir.mkdir(mode=0o755, exist_ok=True)
    for applet in applets:
        link = bin_dir / applet
        if applet in {"sh", "ash"} or link.is_symlink():
            continue
        with contextlib.suppress(FileExistsError):  # another test process made it meanwhile
            link.symlink_to(busybox)
    return bin_dir


def base_path() -> str:
    """The PATH given to scripts: this machine's (the images have sh, git, coreutils)."""
    return os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")


def run(
    shell: Shell,
    rendered: Rendered,
    *,
    params: Mapping[str, str] | None = None,
    env: Mapping[str, str | None] | None = None,
    args: Sequence[str] | None = None,
    path_prefix: Sequence[Path] = (),
    cwd: Path | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """Run ``rendered`` under ``shell`` like its container.

    Args:
        shell: the shell command, e.g. ``("busybox", "sh")``.
        rendered: the component, from :func:`render`.
        params: input parameter values substituted into env values and args.
        env: overrides of the component's env (``None`` removes a variable): remapped paths,
            test knobs such as ``RETRY_DELAY``.
        args: replaces the component's own arguments when given.
        path_prefix: directories put before ``PATH`` (fake ``git``, ``ssh``...).
        cwd: the working directory (a container's is ``/``; tests use a scratch dir).
        timeout: seconds before the run is killed.
    """
    params = {**rendered.defaults, **(params or {})}
    userland = [busybox_userland(shell[0])] if Path(shell[0]).name == "busybox" else []
    full: dict[str, str] = {
        "PATH": os.pathsep.join([*(str(p) for p in [*path_prefix, *userland]), base_path()]),
        # This machine's /etc/gitconfig is not the git image's; keep it out.
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    full.update({k: substitute(v, params) for k, v in rendered.env.items()})
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    for key, value in full.items():
        # A test that forgot to remap a path would write to this machine's /workspace.
        assert not value.startswith(CLUSTER_PATHS), f"remap {key}={value} to a temporary path"
    argv = [substitute(a, params) for a in (rendered.args if args is None else args)]
    return subprocess.run(
        [*shell, "-c", rendered.script, rendered.name, *argv],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=timeout,
        check=False,
    )


def write_executable(path: Path, text: str) -> Path:
    """Write a ``#!/bin/sh`` program (fake ``git``, ``ssh``, creator) and make it executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    path.chmod(0o755)
    return path
