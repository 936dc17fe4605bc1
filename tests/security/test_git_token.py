"""The git token against a hostile server: a redirect to another origin gets nothing.

Three local servers on 127.0.0.1: the configured repository's (HTTPS), which answers every
request with a redirect to another origin, either another HTTPS port or plain HTTP; and those
two, which log every request they receive. The clone script must not follow the redirect, so
the other origins never see a request, let alone the token. A control run of plain git with
the same header shows what happens without that: the token travels to the other origin.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from argo_buildpacks.components import git_clone
from argo_buildpacks.model.config import Builder, GitSource
from tests.support.runscript import SHELLS, Shell, render, run

BUILDER = Builder.from_image("paketobuildpacks/builder-jammy-base")
TOKEN = "ghp_SECRETtoken1234567890"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@dataclass
class Server:
    """A local HTTP(S) server that logs each request's path and headers."""

    httpd: http.server.HTTPServer
    scheme: str
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"


def serve(scheme: str, ctx: ssl.SSLContext | None, redirect_to: str | None) -> Server:
    server: Server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.seen.append((self.path, dict(self.headers.items())))
            if redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", redirect_to + self.path)
            else:
                self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 5
    if ctx is not None:
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    server = Server(httpd, scheme)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


@dataclass(frozen=True)
class Servers:
    repo: Server
    other_https: Server
    other_http: Server
    ca_file: Path


@pytest.fixture
def servers(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Servers]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    other_https = serve("https", ctx, None)
    other_http = serve("http", None, None)
    target = other_http if getattr(request, "param", "https") == "http" else other_https
    repo = serve("https", ctx, target.origin)
    yield Servers(repo, other_https, other_http, ca_file)
    for s in (repo, other_https, other_http):
        s.httpd.shutdown()
        s.httpd.server_close()


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("servers", ["https", "http"], indirect=True)
def test_a_redirect_to_another_origin_gets_nothing(
    shell: Shell, tmp_path: Path, servers: Servers
) -> None:
    url = f"{servers.repo.origin}/acme/app.git"
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    component = git_clone(
        GitSource(url=url, credentials={"https_token_secret": "git-token"}), builder=BUILDER
    )
    (tmp_path / "tmp").mkdir()
    done = run(
        shell,
        render(component),
        params={"revision": "main"},
        env={
            "WORKSPACE": str(tmp_path / "ws"),
            "OUT_DIR": str(tmp_path / "ws" / "out"),
            "GIT_TOKEN_FILE": str(token),
            "GIT_SSL_CAINFO": str(servers.ca_file),
            "RETRY_DELAY": "0",
            "TMPDIR": str(tmp_path / "tmp"),
        },
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"git-clone: fetching 'main' from '{url}' failed and would fail again"
    )
    # The configured repository got the header (that is what it is for) ...
    assert servers.repo.seen
    assert servers.repo.seen[0][1].get("Authorization") == f"Basic {BASIC}"
    # ... and no other origin got any request at all.
    assert servers.other_https.seen == []
    assert servers.other_http.seen == []
    assert TOKEN not in done.stdout + done.stderr and BASIC not in done.stdout + done.stderr
    assert not (tmp_path / "ws" / "out" / "commit").exists()


@pytest.mark.parametrize("servers", ["https"], indirect=True)
def test_control_git_follows_the_redirect_otherwise(tmp_path: Path, servers: Servers) -> None:
    """Without ``http.followRedirects=false`` git follows the redirect to the other origin
    (proof these servers would see it). Whether the header goes along is then up to the
    libcurl in the image (some versions send it; this machine's strips it): the script does
    not leave it to libcurl."""
    url = f"{servers.repo.origin}/acme/app.git"
    subprocess.run(
        ["git", "-c", f"http.{url}.extraHeader=Authorization: Basic {BASIC}", "ls-remote", url],
        env={
            "GIT_SSL_CAINFO": str(servers.ca_file),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(tmp_path),
            "GIT_TERMINAL_PROMPT": "0",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert [path for path, _ in servers.other_https.seen] == [
        "/acme/app.git/info/refs?service=git-upload-pack"
    ]
