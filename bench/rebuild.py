"""What keeping an image patched costs, counted structurally: a rebuild and a rebase of the
same app, with the recording fake lifecycle pushing to
a real registry (Debian's ``docker-registry``) on 127.0.0.1.

The generated template's own phase scripts run (``buildpacks_build.sh PHASE`` under
``/bin/sh``); the lifecycle binaries are fakes that record each call, write layers the way a
Python buildpack would (dependencies from ``requirements.txt``, an interpreter layer) and
push through ``oci_push.py``, which uploads only the blobs the registry lacks, as the real
exporter reuses layers. Counted per scenario: containers the build pod starts (from the
rendered template), app-code phases executed (``detector``/``builder`` calls), layers and
bytes uploaded, manifests put.

Rebase: the rebase component's ``main`` container (the lifecycle's ``rebaser``, no app code)
run with the same recording fake against the image a first build pushed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from argo_buildpacks import (  # noqa: E402
    BuildConfig,
    to_manifest,
    workflow_template,
)
from argo_buildpacks.components.buildpacks_build import PHASES, lifecycle_phase  # noqa: E402
from tests.support.runscript import render, run  # noqa: E402

#: Where `make bench` puts the registry binary (extracted from Debian's package, not
#: installed: installing would also register a service listening on every address).
REGISTRY_BIN = ROOT / "build" / "bench" / "docker-registry"
APP_CODE = {"detector", "builder"}
FAKE = r"""me=${0##*/}
printf '%s\n' "$me" >>"$FAKE_DIR/calls"
app= layers=
while [ $# -gt 0 ]; do
  case "$1" in -app) app=$2 ;; -layers) layers=$2 ;; esac
  [ $# -ge 2 ] && case "$1" in -*) shift ;; esac
  shift
done
case "$me" in
  builder)
    mkdir -p "$layers/fake-python/deps" "$layers/fake-python/cpython"
    cp "$app/requirements.txt" "$layers/fake-python/deps/installed.txt"
    [ -f "$layers/fake-python/cpython/python" ] ||
      head -c 524288 /dev/zero | tr '\0' 'p' >"$layers/fake-python/cpython/python" ;;
esac
"""
FAKE_EXPORTER = """printf 'exporter\\n' >>"$FAKE_DIR/calls"
exec "$BENCH_PYTHON" "$BENCH_PUSH" "$@"
"""


@dataclass(frozen=True)
class Count:
    """One scenario's structural cost."""

    scenario: str
    containers: int
    app_code: int
    layers: int
    bytes: int
    manifests: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def registry(binary: Path) -> Iterator[str]:
    """A registry bound to 127.0.0.1 only, on a scratch directory; stopped afterwards (the
    process this started, by its id)."""
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        port = free_port()
        config = Path(tmp) / "config.yml"
        config.write_text(
            "version: 0.1\nlog: {level: error}\n"
            f"storage: {{filesystem: {{rootdirectory: {tmp}/data}}}}\n"
            f"http: {{addr: 127.0.0.1:{port}}}\n",
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [str(binary), "serve", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    with urllib.request.urlopen(url + "/v2/", timeout=1):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise RuntimeError("the registry did not start")
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def bench_config() -> BuildConfig:
    return BuildConfig.from_dict(
        {
            "name": "app",
            "source": {"url": "https://github.com/acme/app.git"},
            "image": "127.0.0.1:5000/acme/app",
            "creation_time": "epoch",
        }
    )


def build_containers(manifest: dict[str, Any]) -> int:
    """Containers the build starts: every container of the templates ``main`` calls."""
    templates = {t["name"]: t for t in manifest["spec"]["templates"]}
    count = 0
    for group in templates["main"]["steps"]:
        for step in group:
            t = templates[step["template"]]
            count += len(t.get("containerSet", {}).get("containers", [])) or 1
    return count


class Harness:
    """A build's pod filesystem on a scratch directory, with the fake lifecycle."""

    def __init__(self, root: Path, registry_url: str) -> None:
        self.root = root
        self.ws = root / "ws"
        (self.ws / "src").mkdir(parents=True)
        (self.ws / "out").mkdir()
        (self.ws / "src" / "app.py").write_text("print('hello')\n")
        (self.ws / "src" / "requirements.txt").write_text("flask==3.0.3\n")
        self.fake = root / "fake"
        self.fake.mkdir()
        self.log = root / "push.jsonl"
        self.registry = registry_url
        lifecycle = root / "lifecycle"
        lifecycle.mkdir()
        for name in ("analyzer", "detector", "restorer", "builder"):
            (lifecycle / name).write_text("#!/bin/sh\n" + FAKE)
            (lifecycle / name).chmod(0o755)
        # The exporter pushes; the rebaser (BENCH_MODE=rebase) re-pushes the manifest only.
        for name in ("exporter", "rebaser"):
            (lifecycle / name).write_text("#!/bin/sh\n" + FAKE_EXPORTER.replace("exporter", name))
            (lifecycle / name).chmod(0o755)
        (root / "cwd").mkdir()

    def env(self) -> dict[str, str | None]:
        # The image's registry is this one (the config names 127.0.0.1:5000, a fixed port).
        return {
            "WORKSPACE": str(self.ws),
            "OUT_DIR": str(self.ws / "out"),
            "LAYERS_DIR": str(self.root / "layers"),
            "PLATFORM_DIR": str(self.ws / "platform"),
            "LIFECYCLE": str(self.root / "lifecycle"),
            "FAKE_DIR": str(self.fake),
            "TAGS": "1.0.0",
            "BENCH_REGISTRY": self.registry,
            "BENCH_PUSH": str(ROOT / "bench" / "oci_push.py"),
            "BENCH_PYTHON": sys.executable,
            "PUSH_LOG": str(self.log),
        }

    def build(self, config: BuildConfig) -> tuple[int, list[dict[str, Any]]]:
        """Run every phase like the pod (a fresh pod: empty /layers); return the app-code
        calls and the uploads."""
        shutil.rmtree(self.root / "layers", ignore_errors=True)
        (self.root / "layers").mkdir()
        for path in (self.fake / "calls", self.log):
            path.unlink(missing_ok=True)
        for phase in PHASES:
            done = run(
                ("/bin/sh",),
                render(lifecycle_phase(config, phase)),
                env=self.env(),
                cwd=self.root / "cwd",
            )
            if done.returncode != 0:
                raise RuntimeError(f"{phase}: {done.stderr}")
        return self.counted()

    def counted(self) -> tuple[int, list[dict[str, Any]]]:
        """App-code calls and uploads since the last reset (seeded blobs are not the run's)."""
        calls = (self.fake / "calls").read_text().split()
        uploads = [json.loads(line) for line in self.log.read_text().splitlines()]
        return sum(1 for c in calls if c in APP_CODE), [u for u in uploads if u["kind"] != "seed"]

    def rebase(
        self, container: Any, params: dict[str, str] | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Run a rebase container (a Hera container running ``/bin/sh -c SCRIPT``, e.g. the
        rebase component's) against the image `build` pushed, after the run image's
        publisher pushed a patched run image."""
        from oci_push import seed_patched_run_image

        for path in (self.fake / "calls", self.log):
            path.unlink(missing_ok=True)
        (self.fake / "calls").touch()
        seed_patched_run_image(self.registry, "acme/app", self.log)
        done = run(
            ("/bin/sh",),
            render(container),
            params=params,
            env={**self.env(), "BENCH_MODE": "rebase"},
            cwd=self.root / "cwd",
        )
        if done.returncode != 0:
            raise RuntimeError(f"rebase: {done.stderr}")
        return self.counted()


def count(scenario: str, containers: int, app_code: int, uploads: list[dict[str, Any]]) -> Count:
    return Count(
        scenario=scenario,
        containers=containers,
        app_code=app_code,
        layers=sum(1 for u in uploads if u["kind"] == "layer"),
        bytes=sum(int(u["bytes"]) for u in uploads),
        manifests=sum(1 for u in uploads if u["kind"] == "manifest"),
    )


def measure_rebuilds(registry_url: str) -> list[Count]:
    """The first build, a rebuild with the app's code changed, a rebuild with nothing
    changed (what a scheduled rebuild for a patched run image costs when it is not rebased)."""
    config = bench_config()
    containers = build_containers(to_manifest(workflow_template(config)))
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        h = Harness(Path(tmp), registry_url)
        out.append(count("first build (empty registry)", containers, *h.build(config)))
        (h.ws / "src" / "app.py").write_text("print('hello, again')\n")
        out.append(count("rebuild, app code changed", containers, *h.build(config)))
        out.append(count("rebuild, nothing changed", containers, *h.build(config)))
    return out


def measure_rebase(registry_url: str) -> Count:
    """A rebase of the image a first build pushed, after the run image's publisher pushed a
    patched run image: the rebase component's ``main`` container (the lifecycle's
    ``rebaser``) run with the harness's recording fake, as ``inspect`` decided ``rebase``."""
    from argo_buildpacks.components.rebase import rebase
    from argo_buildpacks.model.rebase import RebaseConfig

    config = bench_config().model_copy(
        update={"rebase": RebaseConfig(schedule="0 4 * * *", tag="1.0.0")}
    )
    template = rebase(config)
    nodes = list(template.containers or [])
    main = next(c for c in nodes if c.name == "main")
    with tempfile.TemporaryDirectory(prefix="bench-rebase-") as tmp:
        h = Harness(Path(tmp), registry_url)
        h.build(config)
        out = h.ws / "out"
        # What inspect writes when the run image's top layer changed.
        (out / "action").write_text("rebase")
        (out / "run-image").write_text("127.0.0.1:5000/acme/run:patched")
        app_code, uploads = h.rebase(main, params={"tag": "1.0.0"})
    return count("rebase, run image patched", len(nodes), app_code, uploads)


def rows(binary: Path = REGISTRY_BIN) -> tuple[list[list[str]], list[str]]:
    """The table (header first) and notes; without the registry binary, no rows and why."""
    if not binary.is_file():
        return [], [f"not measured: no registry binary at {binary} (`make bench` fetches it)"]
    header = [
        "scenario",
        "containers started",
        "app-code phases run",
        "layers uploaded",
        "bytes uploaded",
        "manifests put",
    ]
    with registry(binary) as url:
        counts = measure_rebuilds(url)
        rebase = measure_rebase(url)
    table = [header] + [
        [
            c.scenario,
            str(c.containers),
            str(c.app_code),
            str(c.layers),
            str(c.bytes),
            str(c.manifests),
        ]
        for c in counts
    ]
    notes: list[str] = []
    if rebase:
        table.append(
            [
                rebase.scenario,
                str(rebase.containers),
                str(rebase.app_code),
                str(rebase.layers),
                str(rebase.bytes),
                str(rebase.manifests),
            ]
        )
    return table, notes


if __name__ == "__main__":
    t, n = rows(Path(os.environ.get("BENCH_REGISTRY_BIN", str(REGISTRY_BIN))))
    for r in t:
        print(" | ".join(r))
    for line in n:
        print(line)
