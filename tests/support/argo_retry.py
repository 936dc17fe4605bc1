"""Argo's two kinds of retry, as argoexec and the controller apply them (Argo v4.1.2).

- **In-pod, a containerSet's ``retryStrategy``.** Each container's emissary runs its command
  under ``retry.OnError(backoff, func(error) bool { return true }, ...)``
  (``cmd/argoexec/commands/emissary.go`` 223-228): every non-zero exit is retried, whatever
  the cause. The backoff is ``ContainerSetTemplate.GetRetryStrategy``
  (``pkg/apis/workflow/v1alpha1/container_set_template_types.go`` 30-51):
  ``wait.Backoff{Steps: retries, Duration: duration}``, or ``Steps: 1`` without a strategy.
  client-go's ``wait.ExponentialBackoff`` (``k8s.io/apimachinery/pkg/util/wait/backoff.go``)
  calls the function at most ``Steps`` times and sleeps ``Duration`` between two calls
  (``Factor`` 0: no growth), never after the last.
- **A template's ``retryStrategy``** (a new pod per attempt): ``processNodeRetries``
  (``workflow/controller/operator.go`` 1153-1172) retries a ``Failed`` node (a non-zero
  exit) only for ``Always`` and ``OnFailure``, an ``Error`` node (the pod itself failed:
  evicted, deleted) only for ``Always`` and ``OnError``.

- **A containerSet's dependencies.** A container waits for each dependency's
  ``/var/run/argo/ctr/NAME/exitcode`` in turn and, at the first non-zero one, never runs its
  command: it returns a plain error (``emissary.go`` 186-207), so its file repeats the
  dependency's code (the deferred write, 62-69, of ``exitCode = code``, 201) while the
  container itself exits 64 (``cmd/argoexec/main.go`` 24-44: an error that is not an
  ``Exited`` one).
- **What a template ``expression`` sees of a pod.** ``lastRetry.exitCode`` is the node's
  ``outputs.exitCode`` (``operator.go`` 2160-2164), which is the terminated exit code of the
  container named ``main`` (``getExitCode``, 1711-1717), whichever container failed.

The model counts attempts and adds up the waits instead of sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

__all__ = [
    "Attempts",
    "Ran",
    "container_set_backoff",
    "emissary_attempts",
    "last_retry_exit_code",
    "run_container_set",
    "template_retries",
]

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")


@dataclass
class Attempts:
    """What the emissary did with one container: each attempt's exit code, and the seconds
    it waited between attempts."""

    codes: list[int] = field(default_factory=list)
    waited: float = 0.0


def go_duration(text: str) -> float:
    """Go's ``time.ParseDuration`` for the forms a template uses (``30s``, ``1m30s``)."""
    parts = _GO_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Go duration: {text!r}")
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


def container_set_backoff(template: Mapping[str, Any]) -> tuple[int, float]:
    """``(Steps, Duration in seconds)`` for the containers of a containerSet template
    (container_set_template_types.go 30-51)."""
    strategy = (template.get("containerSet") or {}).get("retryStrategy")
    if not strategy or strategy.get("retries") is None:
        return 1, 0.0
    return int(strategy["retries"]), go_duration(str(strategy.get("duration") or "0s"))


def emissary_attempts(template: Mapping[str, Any], run: Callable[[], int]) -> Attempts:
    """Run one container of ``template`` the way its emissary does: ``run`` (one attempt,
    returning the exit code) until it exits 0 or the backoff's steps are used up."""
    steps, duration = container_set_backoff(template)
    done = Attempts()
    while steps > 0:
        done.codes.append(run())
        if done.codes[-1] == 0 or steps == 1:
            break
        steps -= 1
        done.waited += duration
    return done


def template_retries(strategy: Mapping[str, Any] | None, phase: str) -> bool:
    """Whether the controller starts another pod after one that ended in ``phase``
    (``"Failed"``: the script exited non-zero; ``"Error"``: the pod failed) under a template
    ``retryStrategy`` with a limit left (operator.go 1153-1172)."""
    if not strategy or not int(strategy.get("limit") or 0):
        return False
    # RetryPolicyActual (workflow_types.go 2396-2402): OnFailure when unset, no expression.
    policy = strategy.get("retryPolicy") or "OnFailure"
    on_failed = policy in ("Always", "OnFailure")
    on_error = policy in ("Always", "OnError")
    return on_failed if phase == "Failed" else on_error if phase == "Error" else False


@dataclass
class Ran:
    """One container of a containerSet pod: its command's attempts (none: a dependency
    failed), the code in its ``exitcode`` file and the container's own exit code."""

    attempts: Attempts
    exitcode_file: int
    exit_code: int


def run_container_set(template: Mapping[str, Any], run: Callable[[str], int]) -> dict[str, Ran]:
    """Run every container of a containerSet ``template`` as its emissary does: in
    dependency order, each under the set's backoff (``run(name)`` is one attempt), or not
    at all after a failed dependency (emissary.go 186-207)."""
    graph = {
        c["name"]: list(c.get("dependencies") or []) for c in template["containerSet"]["containers"]
    }
    done: dict[str, Ran] = {}
    while len(done) < len(graph):
        ready = [n for n, deps in graph.items() if n not in done and set(deps) <= set(done)]
        if not ready:
            raise ValueError(f"a dependency cycle or unknown dependency in {graph}")
        for name in ready:
            failed = next((d for d in graph[name] if done[d].exitcode_file != 0), None)
            if failed is not None:
                done[name] = Ran(Attempts(), done[failed].exitcode_file, 64)
                continue
            attempts = emissary_attempts(template, partial(run, name))
            done[name] = Ran(attempts, attempts.codes[-1], attempts.codes[-1])
    return done


def last_retry_exit_code(pod: Mapping[str, Ran]) -> str:
    """``lastRetry.exitCode`` for a template ``expression`` after this pod (operator.go
    2160-2164, 1711-1717): ``main``'s exit code, ``-1`` without a ``main``."""
    return str(pod["main"].exit_code) if "main" in pod else "-1"
