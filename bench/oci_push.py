"""The benchmark's fake exporter: push a lifecycle-like image to a registry, counting.

Called by the fake lifecycle's ``exporter`` with the exporter's own arguments (``-app``,
``-layers``, ``-report``, ``IMAGE:TAG``...). It makes one layer per directory the fake
builder left under ``<layers>/<buildpack>/<layer>``, one for the app directory and the
run image's (constant) layers, then pushes what the registry lacks over the OCI
distribution API (``HEAD`` a blob, upload only when absent, as the real exporter reuses
layers), the config and the manifest, and writes ``report.toml`` with the manifest digest.
It appends what it sent to ``$PUSH_LOG`` as JSON lines (one per request that uploaded).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

#: The run image's layers: constant bytes, the same for every build (1 MiB and 256 KiB).
RUN_LAYERS = (b"run-image-os" * 87382, b"run-image-ca" * 21846)
#: The patched run image's layers (a CVE fix): what a rebase puts under the app's layers.
PATCHED_RUN_LAYERS = (b"run-image-os-patched" * 52429, b"run-image-ca" * 21846)


def tar_dir(path: Path) -> bytes:
    """A reproducible tar of ``path`` (sorted, zero times and owners), like the lifecycle's."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for item in sorted(path.rglob("*")):
            info = tar.gettarinfo(str(item), arcname=str(item.relative_to(path)))
            info.mtime = info.uid = info.gid = 0
            info.uname = info.gname = ""
            if item.is_file():
                with item.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return buf.getvalue()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """Just enough of the distribution API: blob exists, monolithic upload, manifest put."""

    def __init__(self, base: str, repo: str, log: Path) -> None:
        self.base, self.repo, self.log = base.rstrip("/"), repo, log

    def _request(
        self, method: str, url: str, data: bytes | None = None, ctype: str | None = None
    ) -> tuple[int, dict[str, str]]:
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - 127.0.0.1
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                return resp.status, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers)

    def _record(self, kind: str, size: int) -> None:
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": kind, "bytes": size}) + "\n")

    def blob(self, data: bytes, kind: str) -> str:
        d = digest(data)
        status, _ = self._request("HEAD", f"{self.base}/v2/{self.repo}/blobs/{d}")
        if status == 200:
            return d
        status, headers = self._request("POST", f"{self.base}/v2/{self.repo}/blobs/uploads/")
        if status != 202:
            raise SystemExit(f"oci-push: upload start answered {status}")
        location = headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        status, _ = self._request(
            "PUT", f"{location}{sep}digest={d}", data, "application/octet-stream"
        )
        if status != 201:
            raise SystemExit(f"oci-push: blob upload answered {status}")
        self._record(kind, len(data))
        return d

    def get_manifest(self, tag: str) -> dict[str, object]:
        req = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            f"{self.base}/v2/{self.repo}/manifests/{tag}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            loaded: dict[str, object] = json.loads(resp.read())
            return loaded

    def manifest(self, tag: str, data: bytes) -> None:
        status, _ = self._request(
            "PUT",
            f"{self.base}/v2/{self.repo}/manifests/{tag}",
            data,
            "application/vnd.oci.image.manifest.v1+json",
        )
        if status != 201:
            raise SystemExit(f"oci-push: manifest put answered {status}")
        self._record("manifest", len(data))


def seed_patched_run_image(registry_url: str, repo: str, log: Path) -> None:
    """Publish the patched run image's layers (the run image's publisher does that, not the
    build): a rebase then finds them in the registry."""
    reg = Registry(registry_url, repo, log)
    for data in PATCHED_RUN_LAYERS:
        reg.blob(data, "seed")


def rebase(reg: Registry, refs: list[str], report: str) -> int:
    """The fake rebaser's push: the app's layers on the patched run image's, a new config
    and manifest; no layer of the app is uploaded again."""
    old = reg.get_manifest(refs[0].rpartition(":")[2])
    layers = list(old["layers"])  # type: ignore[call-overload]
    new_base = [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(d), "size": len(d)}
        for d in PATCHED_RUN_LAYERS
    ]
    for data in PATCHED_RUN_LAYERS:
        reg.blob(data, "layer")  # present already (seeded): a HEAD, no upload
    layers = new_base + layers[len(RUN_LAYERS) :]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        },
        sort_keys=True,
    ).encode()
    return finish(reg, refs, report, config, layers)


def finish(
    reg: Registry, refs: list[str], report: str, config: bytes, layers: list[dict[str, object]]
) -> int:
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": reg.blob(config, "config"),
                "size": len(config),
            },
            "layers": layers,
        },
        sort_keys=True,
    ).encode()
    for ref in refs:
        reg.manifest(ref.rpartition(":")[2], manifest)
    tag = refs[0].rpartition(":")[2]
    Path(report).write_text(
        f'[image]\n  tags = ["{tag}"]\n  digest = "{digest(manifest)}"\n', encoding="utf-8"
    )
    return 0


def main(argv: list[str]) -> int:
    opts: dict[str, str] = {}
    refs: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i].startswith("-") and i + 1 < len(argv):
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            refs.append(argv[i])
            i += 1
    registry_url = os.environ["BENCH_REGISTRY"]
    repo = refs[0].rpartition(":")[0].split("/", 1)[1]
    reg = Registry(registry_url, repo, Path(os.environ["PUSH_LOG"]))
    if os.environ.get("BENCH_MODE") == "rebase":
        return rebase(reg, refs, opts["-report"])
    layers_dir = Path(opts["-layers"])
    blobs: list[tuple[str, int]] = []
    for data in RUN_LAYERS:
        blobs.append((reg.blob(data, "layer"), len(data)))
    for layer in sorted(
        p for p in layers_dir.glob("*/*") if p.is_dir() and p.parent.name != "sbom"
    ):
        data = tar_dir(layer)
        blobs.append((reg.blob(data, "layer"), len(data)))
    app = tar_dir(Path(opts["-app"]))
    blobs.append((reg.blob(app, "layer"), len(app)))
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [d for d, _ in blobs]},
        },
        sort_keys=True,
    ).encode()
    layers: list[dict[str, object]] = [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n}
        for d, n in blobs
    ]
    return finish(reg, refs, opts["-report"], config, layers)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
