"""An Argo pod run the way argoexec's emissary runs it, and a workflow's steps around it.

Modelled on Argo v4.1.2 (argoproj/argo-workflows at tag v4.1.2; file:line):

- Every container of the pod mounts the same ``/var/run/argo`` emptyDir
  (``workflow/controller/workflowpod.go`` 39-48, 793): here one directory, handed to every
  container's processes (``VAR_RUN_ARGO``) as every container can reach it in a pod.
- Each container's emissary makes ``ctr/<name>`` (``cmd/argoexec/commands/emissary.go``
  95), waits for each dependency's ``ctr/<dep>/exitcode`` to hold a number and stops with
  that code when it is not 0 (186-209; v4.1.2 watches with inotify, this polls), runs the
  command, and, in the container named ``main`` only, copies each output parameter whose
  path is not on one of the template's volume mounts to ``outputs/parameters/<path>``
  (285-290, ``saveParameter`` 725-760, ``common.FindOverlappingVolume`` in
  ``workflow/common/util.go`` 28, ``Template.GetVolumeMounts``: the containerSet's own
  ``volumeMounts``, ``pkg/apis/workflow/v1alpha1/workflow_types.go`` 3549); then writes its
  ``ctr/<name>/exitcode`` (the deferred write at 65).
- The wait container waits for every container's ``exitcode`` file to exist
  (``workflow/executor/emissary/emissary.go`` Wait 116-137; a containerSet's main
  containers are all its containers, ``workflow_types.go`` 3534), then saves the output
  parameters (``workflow/executor/postmain.go`` 27-50): from ``outputs/parameters/<path>``
  (``emissary.go`` GetFileContents 75-78), or, on an overlapping volume, from the mirrored
  mount (``workflow/executor/executor.go`` SaveParameters 738-790), one trailing newline
  trimmed.

Each container's script runs for real under the test's shell, with the pod's fixed paths
mapped to temporary directories. The steps runner resolves ``{{steps.*}}``,
``{{workflow.outputs.*}}``, ``{{workflow.parameters.*}}`` and ``{{inputs.parameters.*}}`` as
Argo does (an unresolved reference fails the step) and stops at the first failed step.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.runscript import WORKFLOW_UID, base_path

__all__ = ["PodRun", "StepRun", "Workflow", "run_pod"]

_REF = re.compile(r"\{\{(steps|workflow|inputs)\.([A-Za-z0-9_.-]+)\}\}")


@dataclass
class PodRun:
    """What a pod did: each container's exit code and output, and what the wait container
    reported (``None``, with ``error``, when it could not read an output)."""

    exit_codes: dict[str, int] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] | None = None
    error: str = ""


@dataclass
class StepRun:
    """A step of ``main``: its resolved container environments and its outputs."""

    name: str
    env: dict[str, dict[str, str]]
    pod: PodRun


def _mapped(value: str, paths: Mapping[str, Path]) -> str:
    for prefix in sorted(paths, key=len, reverse=True):
        if value == prefix or value.startswith(prefix + "/"):
            return str(paths[prefix]) + value[len(prefix) :]
    return value


def _poll(path: Path, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            text = path.read_text().strip()
            int(text)
            return text
        except (OSError, ValueError):
            time.sleep(0.01)
    raise TimeoutError(f"no exit code at {path}")


def run_pod(
    template: Mapping[str, Any],
    env_of: Mapping[str, Mapping[str, str]],
    *,
    root: Path,
    shell: Sequence[str],
    paths: Mapping[str, Path],
    path_prefix: Sequence[Path] = (),
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> PodRun:
    """Run ``template`` (a container or containerSet template, as a manifest dict) as one pod.

    Args:
        template: the template, its values already resolved except the paths.
        env_of: each container's environment (resolved), by container name.
        root: scratch directory; ``root/var-run-argo`` is the pod's ``/var/run/argo``.
        shell: the shell that stands in for each image's ``/bin/sh``.
        paths: the pod's fixed paths (``/workspace``...) -> directories of the test.
        path_prefix: directories put first on ``PATH`` (fake lifecycle, crane...).
        extra_env: added to every container's environment (``LIFECYCLE``, test knobs).
        timeout: seconds before the pod is given up.
    """
    extra_env = dict(extra_env or {})
    var = root / "var-run-argo"
    (var / "ctr").mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    if "containerSet" in template:
        nodes = list(template["containerSet"]["containers"])
        shared = [m["mountPath"] for m in template["containerSet"].get("volumeMounts", [])]
    else:
        nodes = [{**template["container"], "name": "main"}]
        shared = [m["mountPath"] for m in template["container"].get("volumeMounts", [])]
    outputs = (template.get("outputs") or {}).get("parameters") or []
    result = PodRun()
    lock = threading.Lock()

    def on_volume(path: str) -> bool:
        return any(path == m or path.startswith(m.rstrip("/") + "/") for m in shared)

    def emissary(node: Mapping[str, Any]) -> None:
        name = str(node["name"])
        ctr = var / "ctr" / name
        ctr.mkdir(parents=True, exist_ok=True)
        code = 64
        try:
            for dep in node.get("dependencies") or []:
                (var / "ctr" / dep).mkdir(parents=True, exist_ok=True)
                code = int(_poll(var / "ctr" / dep / "exitcode", deadline))
                if code != 0:
                    return
            command = list(node["command"])
            if command[0] in ("/bin/sh", "/busybox/sh"):  # the image's shell: the test's
                command = [*shell, *command[1:]]
            argv = [*command, *(_mapped(a, paths) for a in node.get("args") or [])]
            env = {
                "PATH": os.pathsep.join([*map(str, path_prefix), base_path()]),
                "VAR_RUN_ARGO": str(var),
                "GIT_CONFIG_NOSYSTEM": "1",
                **{k: _mapped(v, paths) for k, v in env_of[name].items()},
                **extra_env,
            }
            cwd = root / "cwd"
            cwd.mkdir(exist_ok=True)
            done = subprocess.run(
                argv,
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=max(1.0, deadline - time.monotonic()),
                check=False,
            )
            code = done.returncode
            with lock:
                result.logs[name] = done.stdout + done.stderr
            if name == "main":
                for param in outputs:
                    path = param["valueFrom"]["path"]
                    source = Path(_mapped(path, paths))
                    if on_volume(path) or not source.exists():
                        continue
                    target = var / "outputs" / "parameters" / path.lstrip("/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read_bytes())
        finally:
            (ctr / "exitcode").write_text(str(code))
            with lock:
                result.exit_codes[name] = code

    def wait() -> None:
        for node in nodes:
            path = var / "ctr" / str(node["name"]) / "exitcode"
            while not path.exists():
                if time.monotonic() > deadline:
                    result.error = f"timed out waiting for {path}"
                    return
                time.sleep(0.01)
        read: dict[str, str] = {}
        for param in outputs:
            path = param["valueFrom"]["path"]
            source = (
                Path(_mapped(path, paths))
                if on_volume(path)
                else var / "outputs" / "parameters" / path.lstrip("/")
            )
            try:
                text = source.read_text()
            except OSError as exc:
                if "default" in param["valueFrom"]:
                    text = str(param["valueFrom"]["default"])
                else:
                    result.error = f"output {param['name']}: {exc}"
                    return
            read[param["name"]] = text.removesuffix("\n")
        result.outputs = read

    threads = [threading.Thread(target=emissary, args=(n,)) for n in nodes]
    waiter = threading.Thread(target=wait)
    for t in [*threads, waiter]:
        t.start()
    waiter.join()
    for t in threads:  # the pod ends when every container's process has exited
        t.join()
    return result


class Workflow:
    """The ``main`` steps of a rendered WorkflowTemplate, run one step after another."""

    def __init__(self, manifest: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.templates = {t["name"]: t for t in manifest["spec"]["templates"]}
        # A run's parameters: what it gives over the template's own values (Argo's defaults).
        declared = (manifest["spec"].get("arguments") or {}).get("parameters") or []
        self.parameters = {
            **{str(p["name"]): str(p["value"]) for p in declared if "value" in p},
            **parameters,
        }
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.outputs: dict[str, str] = {}
        self.ran: list[StepRun] = []
        self.failed = ""

    def resolve(self, text: str, inputs: Mapping[str, str]) -> str:
        """``text`` with Argo's references replaced once, or `KeyError` for one unresolved."""

        def value(m: re.Match[str]) -> str:
            scope, rest = m.group(1), m.group(2)
            if scope == "inputs":
                return inputs[rest.removeprefix("parameters.")]
            if scope == "steps":
                step, _, name = rest.partition(".outputs.parameters.")
                return self.step_outputs[step][name]
            if rest == "uid":
                return WORKFLOW_UID
            if rest.startswith("outputs.parameters."):
                return self.outputs[rest.removeprefix("outputs.parameters.")]
            return self.parameters[rest.removeprefix("parameters.")]

        return _REF.sub(value, text)

    def run(self, pod: Any) -> None:
        """Run every step of ``main`` with ``pod(step, template, env_of) -> PodRun`` (the
        test's runner), until one fails."""
        for group in self.templates["main"]["steps"]:
            (step,) = group
            template = self.templates[step["template"]]
            declared = {
                p["name"]: p.get("default")
                for p in template.get("inputs", {}).get("parameters", [])
            }
            try:
                given = {
                    p["name"]: self.resolve(str(p["value"]), {})
                    for p in step.get("arguments", {}).get("parameters", [])
                }
                inputs = {k: given.get(k, v) for k, v in declared.items()}
                missing = [k for k, v in inputs.items() if v is None]
                if missing:
                    raise KeyError(missing)
                nodes = (
                    template["containerSet"]["containers"]
                    if "containerSet" in template
                    else [{**template["container"], "name": "main"}]
                )
                env_of = {
                    n["name"]: {
                        e["name"]: self.resolve(str(e.get("value", "")), inputs)
                        for e in n.get("env", [])
                    }
                    for n in nodes
                }
                args = {
                    n["name"]: [self.resolve(str(a), inputs) for a in n.get("args") or []]
                    for n in nodes
                }
            except KeyError as exc:
                self.failed = f"{step['name']}: unresolved {exc}"
                return
            template = copy.deepcopy(template)
            for n in (
                template["containerSet"]["containers"]
                if "containerSet" in template
                else [template["container"]]
            ):
                n["args"] = args[n.get("name", "main")]
            done = pod(step["name"], template, env_of)
            self.ran.append(StepRun(step["name"], env_of, done))
            if done.outputs is None or any(done.exit_codes.values()):
                self.failed = f"{step['name']}: {done.error or done.exit_codes}"
                return
            self.step_outputs[step["name"]] = done.outputs
            for p in (template.get("outputs") or {}).get("parameters") or []:
                if p.get("globalName"):
                    self.outputs[p["globalName"]] = done.outputs[p["name"]]
