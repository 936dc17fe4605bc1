"""A private CA and insecure registries: the clone trusts ``source.ca`` against a real HTTPS
git server (and keeps the image's own roots); bad settings are refused by name, before
anything renders or any git runs.

The git server is ``git http-backend`` (smart HTTP, so shallow fetches work) behind Python's
HTTPS server on 127.0.0.1, its certificate issued by a ``trustme`` CA that only the test
knows.
"""

from __future__ import annotations

import http.server
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from argo_buildpacks import BuildConfig
from argo_buildpacks.components.git_clone import git_clone
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.builder import Builder
from argo_buildpacks.templates.app import app_template
from argo_buildpacks.templates.library import library_template
from tests.support.gitrepos import make_repo
from tests.support.runscript import SHELLS, Shell, render, run, write_executable

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _backend() -> str:
    found = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True, timeout=10
    )
    return os.path.join(found.stdout.strip(), "git-http-backend")


class _GitHandler(http.server.BaseHTTPRequestHandler):
    """CGI glue for ``git http-backend`` (RFC 3875 variables; its reply's CGI headers)."""

    root: Path
    requests: list[str]

    def _cgi(self) -> None:
        self.requests.append(self.path)
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding") or "",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol") or "",
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        done = subprocess.run(
            [_backend()], input=body, env=env, capture_output=True, check=False, timeout=30
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _cgi
    do_POST = _cgi

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@dataclass
class GitServer:
    """An HTTPS git server and the CA that issued its certificate."""

    url: str
    ca_file: Path
    requests: list[str]
    commit: str


def _serve(root: Path, ca: trustme.CA) -> tuple[http.server.HTTPServer, list[str]]:
    requests: list[str] = []
    handler = type("Handler", (_GitHandler,), {"root": root, "requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, requests


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[GitServer, GitServer]]:
    """Two HTTPS git servers: ``private`` (its CA is ``source.ca``) and ``public`` (its CA
    stands for the image's own roots)."""
    repo = make_repo(tmp_path / "src")
    repo.commit("first", {"app.py": "print(1)\n"})
    bare = tmp_path / "srv" / "app.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True, timeout=30
    )
    made: list[tuple[http.server.HTTPServer, GitServer]] = []
    for name in ("private", "public"):
        ca = trustme.CA()
        ca_file = tmp_path / f"{name}-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        httpd, requests = _serve(tmp_path / "srv", ca)
        url = f"https://127.0.0.1:{httpd.server_address[1]}/app.git"
        made.append((httpd, GitServer(url, ca_file, requests, repo.head())))
    yield made[0][1], made[1][1]
    for httpd, _ in made:
        httpd.shutdown()
        httpd.server_close()


def _clone(
    shell: Shell, tmp_path: Path, url: str, *, ca: bool = True, **env: str | None
) -> subprocess.CompletedProcess[str]:
    source: dict[str, Any] = {"url": url}
    if ca:
        source["ca"] = {"config_map": "internal-ca"}
    config = BuildConfig.from_dict({"name": "app", "source": source, "image": "ghcr.io/acme/app"})
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return run(
        shell,
        render(git_clone(config)),
        params={"revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "RETRIES": "0",
            "TMPDIR": str(tmp_path / "tmp"),
            **env,
        },
        cwd=tmp_path,
        timeout=60,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_the_clone_trusts_the_private_ca_and_keeps_the_image_roots(
    shell: Shell, tmp_path: Path, servers: tuple[GitServer, GitServer]
) -> None:
    private, public = servers
    # SYSTEM_CA_FILE stands for the image's bundle (/etc/ssl/certs/ca-certificates.crt).
    for server in (private, public):
        done = _clone(
            shell,
            tmp_path,
            server.url,
            GIT_CA_FILE=str(private.ca_file),
            SYSTEM_CA_FILE=str(public.ca_file),
        )
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "ws" / "out" / "commit").read_text() == server.commit
        assert (tmp_path / "ws" / "src" / "app.py").exists()
        assert server.requests


@pytest.mark.parametrize("shell", SHELLS)
def test_without_the_ca_the_private_server_is_not_trusted(
    shell: Shell, tmp_path: Path, servers: tuple[GitServer, GitServer]
) -> None:
    """The control: the same clone without ``source.ca`` fails the TLS check."""
    private, public = servers
    done = _clone(
        shell, tmp_path, private.url, ca=False, SYSTEM_CA_FILE=str(public.ca_file), HOME=None
    )
    assert done.returncode == 1
    assert "certificate" in done.stderr.lower()
    assert not (tmp_path / "ws" / "out" / "commit").exists()


RECORDING_GIT = """printf '%s\\n' "$*" >>"$FAKE_DIR/git.calls"
exit 1
"""


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        (None, "git-clone: the CA bundle (source.ca) is not mounted at '{path}'"),
        (
            "not a certificate\n",
            "git-clone: the CA bundle at '{path}' (source.ca) holds no PEM certificate",
        ),
    ],
)
def test_a_missing_or_empty_bundle_is_refused_before_git_runs(
    shell: Shell, tmp_path: Path, content: str | None, refusal: str
) -> None:
    """A clone that was told to trust a CA never goes on without it (where it would fail
    later with a TLS error, or reach a server the platform did not mean)."""
    fake = tmp_path / "fake"
    fake.mkdir()
    write_executable(tmp_path / "bin" / "git", RECORDING_GIT)
    bundle = tmp_path / "ca.crt"
    if content is not None:
        bundle.write_text(content)
    done = run(
        shell,
        render(
            git_clone(
                BuildConfig.from_dict(
                    {
                        "name": "app",
                        "source": {
                            "url": "https://git.internal/acme/app.git",
                            "ca": {"secret": "git-ca"},
                        },
                        "image": "ghcr.io/acme/app",
                    }
                )
            )
        ),
        params={"revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "GIT_CA_FILE": str(bundle),
            "FAKE_DIR": str(fake),
        },
        path_prefix=[tmp_path / "bin"],
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == refusal.format(path=bundle)
    assert not (fake / "git.calls").exists()


# --- refused settings -------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "name": "app",
    "source": {"url": "https://github.com/acme/app.git"},
    "image": "ghcr.io/acme/app",
    "builder": {
        "image": "paketobuildpacks/builder-jammy-base",
        "uid": 1001,
        "gid": 1000,
        "platform_api": "0.13",
    },
}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"registry": {"insecure": ["*.internal"]}},
            "config: registry.insecure.0: registry '*.internal' has a wildcard; name each "
            "insecure registry as host[:port]",
        ),
        (
            {"registry": {"insecure": ["http://registry.local:5000"]}},
            "config: registry.insecure.0: registry 'http://registry.local:5000' must be "
            "host[:port] alone, without a scheme or a path (e.g. 'registry.local:5000')",
        ),
        (
            {"registry": {"insecure": ["Registry.local"]}},
            "config: registry.insecure.0: registry 'Registry.local' must be lower-case, as "
            "image references spell the registry",
        ),
        (
            {"registry": {"insecure": ["registry"]}},
            "config: registry.insecure.0: registry 'registry' is not a registry host: it needs "
            "a '.' or a ':port', or is 'localhost'",
        ),
        (
            {"registry": {"insecure": ["registry.local:70000"]}},
            "config: registry.insecure.0: registry 'registry.local:70000' has port '70000'; a "
            "port is a number from 1 to 65535",
        ),
        (
            {"registry": {"insecure": ["a.io", "a.io"]}},
            "config: registry.insecure: registry 'a.io' is listed more than once",
        ),
        (
            {"registry": {"ca": {"secret": "ca", "config_map": "ca"}}},
            "config: registry.ca: give exactly one of secret or config_map (the bundle's source)",
        ),
        (
            {"registry": {"ca": {"config_map": "Internal_CA"}}},
            "config: registry.ca.config_map: ConfigMap name 'Internal_CA' is not a DNS-1123 "
            "subdomain: use lower-case letters, digits, '-' and '.', starting and ending with "
            "a letter or digit",
        ),
        (
            {"registry": {"ca": {"secret": "ca", "key": "../ca"}}},
            "config: registry.ca.key: Secret key '../ca' may only contain letters, digits, "
            "'-', '_' and '.'",
        ),
        (
            {
                "registry": {"insecure": ["registry.local"]},
                "builder": "paketobuildpacks/builder-jammy-base",
            },
            "config: (top level): registry.insecure needs builder.platform_api 0.13 or later "
            "(it is '0.12'): the lifecycle takes -insecure-registry from Platform API 0.13 "
            "(lifecycle 0.18) on",
        ),
        (
            {"registry": {"ca": {"secret": "ca"}}, "mode": "pack-dind", "creation_time": "now"},
            "config: (top level): registry.ca and registry.insecure need mode 'daemonless' "
            "(mode is 'pack-dind'): pack's lifecycle containers are started by the Docker "
            "daemon and mount nothing of the pod",
        ),
        (
            {"source": {"url": "https://github.com/acme/app.git", "ca": {}}},
            "config: source.ca: give exactly one of secret or config_map (the bundle's source)",
        ),
    ],
)
def test_bad_settings_are_refused_by_name(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        BuildConfig.from_dict({**BASE, **extra})
    assert str(refused.value).splitlines()[0].startswith(message), str(refused.value)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"registry": {"insecure": ["registry.local:5000"]}}, "registry.insecure"),
        (
            {"source": {"url": "https://github.com/acme/app.git", "ca": {"secret": "ca"}}},
            "source.ca",
        ),
    ],
)
def test_a_library_app_with_a_trust_setting_is_refused_not_dropped(
    extra: dict[str, Any], key: str
) -> None:
    """Library templates are shared by the namespace's apps: an app's CA or insecure registry
    is refused by name, never rendered into nothing."""
    lib = library_template(builder=Builder.model_validate(BASE["builder"]), registries=["ghcr.io"])
    with pytest.raises(ConfigError) as refused:
        app_template(BuildConfig.from_dict({**BASE, **extra}), lib)
    assert str(refused.value) == (
        f"app 'app': {key} is set, but library templates mount no CA and reach every registry "
        f"over verified TLS (the library is shared); use workflow_template, or drop {key}"
    )
