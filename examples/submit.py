"""Apply the example app's WorkflowTemplate and build a version on a real Argo server.

    ARGO_SERVER=localhost:2746 ARGO_TOKEN=... python examples/submit.py 1.4.2

Uses the argo CLI's environment variables (ARGO_SERVER, ARGO_TOKEN, ARGO_NAMESPACE,
ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY, ARGO_BASE_HREF). Without ARGO_SERVER it says so and
exits 0, so it can run anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from argo_buildpacks import (
    ArgoBuildpacksError,
    ArgoClient,
    BuildConfig,
    RunStatus,
    workflow_template,
)

CONFIG = Path(__file__).resolve().parent / "my-python-app.yaml"


def show(status: RunStatus) -> None:
    """Print each change of phase and progress while the run goes."""
    print(f"  {status.phase:<10} {status.progress or ''}", flush=True)


def main(argv: list[str]) -> int:
    version = argv[1] if len(argv) > 1 else "0.1.0"
    if not os.environ.get("ARGO_SERVER"):
        print("ARGO_SERVER is not set: nothing to submit to (see docs/client.md)")
        return 0
    config = BuildConfig.from_file(CONFIG)
    try:
        with ArgoClient.from_env() as argo:
            applied = argo.apply(workflow_template(config))
            print(f"{applied.kind}/{applied.name}: {applied.action}")
            run = argo.submit(config.name, tag=version)
            print(f"submitted {run.name}")
            status = argo.wait(run, timeout=3600, on_update=show)
    except ArgoBuildpacksError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not status.succeeded:
        print(f"{run.name} {status.phase}: {status.message}", file=sys.stderr)
        return 1
    tags = ", ".join(status.tags)
    print(f"built {status.image}@{status.digest} (tags {tags}, commit {status.commit})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
