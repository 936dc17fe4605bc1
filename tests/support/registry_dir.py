"""A registry in a directory, a fake ``crane`` that reads it and a fake lifecycle exporter
that pushes to it.

Enough of a registry for the provenance step: tags (``tags/<ref>`` holds a digest) and image
configs (``blobs/<hex>``: ``{"config": {"Labels": {...}}}``, a manifest digest being the
config's sha256). The fake ``crane`` answers ``crane digest -- REPO:TAG`` and ``crane
config -- REPO@DIGEST`` from it and records every call; the fake ``exporter`` writes the
project metadata it was handed (``-project-metadata``, else the lifecycle's default
``<layers>/project-metadata.toml``) into the ``io.buildpacks.project.metadata`` label of the
image it pushes, as the lifecycle's exporter does (buildpacks/lifecycle phase/exporter.go
setLabels), and records the commit it read.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.support.runscript import write_executable

__all__ = ["FAKE_CRANE", "FAKE_EXPORTER", "Registry", "project"]

FAKE_CRANE = r"""d=$FAKE_REGISTRY
printf '%s\n' "$*" >>"$d/crane.calls"
[ "$2" = -- ] || { echo "crane: expected -- before the reference" >&2; exit 2; }
key=$(printf '%s' "$3" | tr '/:@' '___')
case "$1" in
  digest)
    [ -f "$d/tags/$key" ] || { echo "MANIFEST_UNKNOWN: $3" >&2; exit 1; }
    cat "$d/tags/$key" ;;
  config)
    digest=${3#*@}
    [ -f "$d/blobs/${digest#sha256:}" ] || { echo "MANIFEST_UNKNOWN: $3" >&2; exit 1; }
    cat "$d/blobs/${digest#sha256:}" ;;
  *) echo "crane: unexpected $*" >&2; exit 2 ;;
esac
"""

FAKE_EXPORTER = r"""d=$FAKE_REGISTRY
report= project= layers= images=
while [ $# -gt 0 ]; do
  case "$1" in
    -report) report=$2; shift 2 ;;
    -project-metadata) project=$2; shift 2 ;;
    -layers) layers=$2; shift 2 ;;
    -app | -log-level | -uid | -gid | -cache-image) shift 2 ;;
    -*) shift ;;
    *) images="$images $1"; shift ;;
  esac
done
project=${project:-$layers/project-metadata.toml}
# The image's layers take a while to push: a build running beside this has time to act.
sleep "${FAKE_EXPORT_DELAY:-0}"
commit=$(sed -n 's/^ *commit = "\(.*\)"$/\1/p' "$project" 2>/dev/null | head -n 1)
run=$(sed -n 's/^ *argo-buildpacks-run = "\(.*\)"$/\1/p' "$project" 2>/dev/null | head -n 1)
printf '%s' "$commit" >"$FAKE_DIR/exported.commit"
label='{"source":{"type":"git"'
[ -z "$commit" ] || label="$label"',"version":{"commit":"'"$commit"'"}'
[ -z "$run" ] || label="$label"',"metadata":{"argo-buildpacks-run":"'"$run"'"}'
label="$label}}"
escaped=$(printf '%s' "$label" | sed 's/"/\\"/g')
config='{"config":{"Labels":{"io.buildpacks.project.metadata":"'"$escaped"'"}}}'
mkdir -p "$d/blobs" "$d/tags"
hex=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
printf '%s' "$config" >"$d/blobs/$hex"
for image in $images; do
  printf 'sha256:%s' "$hex" >"$d/tags/$(printf '%s' "$image" | tr '/:@' '___')"
done
printf '[image]\n  digest = "sha256:%s"\n' "$hex" >"$report"
"""


class Registry:
    """The directory registry at ``root``, and a ``bin`` directory with the fake ``crane``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tags").mkdir(parents=True, exist_ok=True)
        (root / "blobs").mkdir(exist_ok=True)
        self.bin = root.parent / f"{root.name}-bin"
        write_executable(self.bin / "crane", FAKE_CRANE)

    def push(self, repository: str, tags: list[str], project: dict[str, Any] | None) -> str:
        """Push an image whose project metadata label is ``project`` (none: no label) under
        each tag; return its digest."""
        labels = {}
        if project is not None:
            labels["io.buildpacks.project.metadata"] = json.dumps(project, separators=(",", ":"))
        config = json.dumps({"config": {"Labels": labels}}, separators=(",", ":"))
        hexdigest = hashlib.sha256(config.encode()).hexdigest()
        (self.root / "blobs" / hexdigest).write_text(config)
        for tag in tags:
            self.tag(f"{repository}:{tag}", f"sha256:{hexdigest}")
        return f"sha256:{hexdigest}"

    def tag(self, reference: str, digest: str) -> None:
        """Point ``reference`` (``repo:tag``) at ``digest``."""
        key = reference.replace("/", "_").replace(":", "_").replace("@", "_")
        (self.root / "tags" / key).write_text(digest)

    def resolve(self, reference: str) -> str:
        """The digest ``reference`` (``repo:tag``) points at."""
        key = reference.replace("/", "_").replace(":", "_").replace("@", "_")
        return (self.root / "tags" / key).read_text()

    def calls(self) -> list[str]:
        """Every ``crane`` call, one line each."""
        path = self.root / "crane.calls"
        return path.read_text().splitlines() if path.exists() else []


def project(commit: str | None, run: str | None) -> dict[str, Any]:
    """Project metadata as the export records it (``source.version.commit``, the run)."""
    source: dict[str, Any] = {"type": "git"}
    if commit:
        source["version"] = {"commit": commit}
    if run:
        source["metadata"] = {"argo-buildpacks-run": run}
    return {"source": source}
