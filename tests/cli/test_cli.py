"""The ``argo-buildpacks`` command line: the installed console script in a subprocess (one
smoke run per command, start-up imports, bad input), and click's CliRunner for detail.
Server commands run against the local Argo API of ``tests/support/argo_fake.py``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from argo_buildpacks import __version__
from argo_buildpacks.cli._docs import HELP_COLUMNS, reference
from argo_buildpacks.cli._main import cli
from argo_buildpacks.cli._progress import LiveProgress, PlainProgress, progress_for
from argo_buildpacks.model.runs import NodeStatus, RunStatus
from tests.support.argo_fake import FakeArgo
from tests.support.kube_fake import FakeKube

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my-python-app.yaml"
LIBRARY_APP = ROOT / "examples" / "library-app.yaml"
LIBRARY_FLAGS = ("--registry", "registry.example.com:5000/acme", "--git-host", "github.com")
COMMANDS = (
    "render",
    "library",
    "lint",
    "apply",
    "submit",
    "status",
    "logs",
    "fleet",
    "tags",
    "schema",
    "pods",
)
_SCRIPT = shutil.which("argo-buildpacks", path=str(Path(sys.executable).parent))
#: The installed console script (falls back to the module when not installed).
CLI = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "argo_buildpacks.cli._main"]
NO_ARGO_ENV = {k: v for k, v in os.environ.items() if not k.startswith("ARGO")}


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script with a clean ``ARGO_*`` environment plus ``env``."""
    return subprocess.run(
        [*CLI, *args],
        env={**NO_ARGO_ENV, "COLUMNS": str(HELP_COLUMNS), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def template_of(stream: str) -> dict[str, Any]:
    """The one (Cluster)WorkflowTemplate of a rendered stream (YAML, or JSON: a List): the
    stream also holds the executor's account, its token and Role (templates/rbac.py)."""
    loaded = json.loads(stream) if stream.lstrip().startswith("{") else None
    docs = loaded["items"] if loaded else list(yaml.safe_load_all(stream))
    (template,) = [d for d in docs if d["kind"].endswith("WorkflowTemplate")]
    return dict(template)


def invoke(*args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> Result:
    """Run the command line in-process (click's CliRunner), without the outer ``ARGO_*``."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ARGO")}
    return CliRunner().invoke(cli, list(args), env={**unset, **(env or {})}, input=stdin)


_KUBE: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _kube_api(kube_fake: FakeKube, tmp_path: Path) -> Iterator[FakeKube]:
    """apply installs the Kubernetes objects a config implies: a local API for them."""
    _KUBE["KUBECONFIG"] = str(kube_fake.write_kubeconfig(tmp_path / "kubeconfig"))
    yield kube_fake
    _KUBE.clear()


def server_env(fake: FakeArgo) -> dict[str, str]:
    return {
        "ARGO_SERVER": fake.address,
        "ARGO_SECURE": "false",
        "ARGO_TOKEN": fake.token or "",
        **_KUBE,
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_clean_error(stderr: str, *fragments: str) -> None:
    """An error is ``Error:`` lines naming what is wrong, and never a traceback."""
    assert "Traceback" not in stderr
    assert stderr.startswith("Error: "), stderr
    for fragment in fragments:
        assert fragment in stderr, stderr


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- subprocess


def test_version_and_help_of_the_console_script() -> None:
    assert _SCRIPT is not None, "the console script is installed next to the interpreter"
    version = run_cli("--version")
    assert (version.returncode, version.stdout) == (0, f"argo-buildpacks {__version__}\n")
    top = run_cli("--help")
    assert top.returncode == 0
    listed = [line.split()[0] for line in top.stdout.split("Commands:\n")[1].splitlines()]
    assert listed == list(COMMANDS)


def _imported(*args: str) -> set[str]:
    script = [_SCRIPT] if _SCRIPT else ["-m", "argo_buildpacks.cli._main"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *script, *args],
        env=NO_ARGO_ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize(
    ("args", "forbidden"),
    [
        (("--help",), ("hera", "pydantic", "rich", "requests")),
        (("--version",), ("hera", "pydantic", "rich", "requests")),
        (("submit", "--help"), ("hera", "pydantic", "rich", "requests")),
        (("tags", "1.4.2", "--latest"), ("hera", "pydantic", "rich", "requests")),
    ],
)
def test_fast_commands_do_not_import_hera(
    args: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    modules = _imported(*args)
    assert "click" in modules  # the measurement sees the imports
    loaded = sorted(m for m in modules if m.split(".")[0] in forbidden)
    assert loaded == []


def test_render_then_lint_through_the_console_script(tmp_path: Path) -> None:
    out = tmp_path / "out" / "wt.yaml"
    rendered = run_cli("render", "-f", str(EXAMPLE), "--output-file", str(out))
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == ""
    assert rendered.stderr == (
        f"wrote {out}: 5 objects (ServiceAccount/my-python-app-executor, "
        "Secret/my-python-app-executor.service-account-token, Role/my-python-app-executor, "
        "RoleBinding/my-python-app-executor, WorkflowTemplate/my-python-app)\n"
    )
    manifest = template_of(out.read_text())
    assert (manifest["kind"], manifest["metadata"]["name"]) == ("WorkflowTemplate", "my-python-app")
    linted = run_cli("lint", str(out))
    assert (linted.returncode, linted.stdout) == (0, "")
    assert "no findings in 1 file" in linted.stderr
    piped = run_cli("lint", "-", stdin=out.read_text().replace("entrypoint: main", "entrypoint: x"))
    assert piped.returncode == 1
    assert piped.stdout.startswith("-: WorkflowTemplate/my-python-app: spec.entrypoint: ")


def test_tags_and_schema_through_the_console_script() -> None:
    tags = run_cli("tags", "v1.4.2", "--latest")
    assert (tags.returncode, tags.stdout) == (0, "1.4.2\n1.4\n1\nlatest\n")
    schema = run_cli("schema")
    assert schema.returncode == 0
    document = json.loads(schema.stdout)
    assert {"name", "source", "image"} <= set(document["required"])
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(yaml.safe_load(EXAMPLE.read_text()), document)


def test_server_commands_through_the_console_script(argo_fake: FakeArgo) -> None:
    env = server_env(argo_fake)
    applied = run_cli("apply", "-f", str(EXAMPLE), env=env)
    assert applied.returncode == 0, applied.stderr
    assert "\nWorkflowTemplate argo/my-python-app created" in applied.stdout
    submitted = run_cli(
        "submit", "my-python-app", "--tag", "v1.4.2", "--wait", "--poll-interval", "0.05", env=env
    )
    assert submitted.returncode == 0, submitted.stderr
    (name,) = [n for _, n in argo_fake.workflows]
    # Not a terminal: plain progress lines, then the outputs.
    assert f"{name}  Running" in submitted.stdout
    # The single-pod layout: its pod, then each of its containers.
    assert "  build                Succeeded" in submitted.stdout
    assert "  git-clone            Succeeded" in submitted.stdout
    assert "image   registry.example.com:5000/acme/my-python-app:1.4.2" in submitted.stdout
    status = run_cli("status", name, "-o", "json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["phase"] == "Succeeded"
    logs = run_cli("logs", name, env=env)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.splitlines()[0].endswith("/tag-check: tag-check: started")


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        (("tags", "1.4"), 2, ("'1.4' is not a SemVer 2.0.0 version",)),
        (("render", "-f", "missing.yaml"), 2, ("missing.yaml: no such file",)),
        (("submit", "app", "--tag", "1.04.0"), 2, ("MINOR '04' has a leading zero",)),
        (("render", "--name", "app", "--repo", "https://x.test/a.git", "--image", "A B"), 2,
         ("--image: image 'A B'",)),
        (("status", "run-1"), 2, ("no Argo server given", "ARGO_SERVER")),
        (("lint",), 2, ("give at least one file", "argo-buildpacks lint --help")),
        (("render", "-f", "/dev/zero"), 2, ("/dev/zero: not a regular file",)),
        (("render", "-o", "out.yaml"), 2, ("-o is the output format", "--output-file")),
        # Bytes that are not UTF-8 arrive as lone surrogates: refused, named, and printed
        # as escapes (never a UnicodeEncodeError).
        (("render", "--name", "\udcff", "--repo", "https://x.test/a.git", "--image", "a/b"), 2,
         ("--name: contains a lone surrogate",)),
        (("render", "-f", "\udcff.yaml"), 2, ("\\udcff.yaml: no such file",)),
    ],
)  # fmt: skip
def test_bad_input_through_the_console_script(
    args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    done = run_cli(*args)
    assert done.returncode == code
    assert_clean_error(done.stderr, *fragments)
    assert len(done.stderr.splitlines()) == 1


def test_unknown_config_key_through_the_console_script(tmp_path: Path) -> None:
    config = write(tmp_path / "app.yaml", EXAMPLE.read_text().replace("image:", "imagee:", 1))
    done = run_cli("render", "-f", config)
    assert done.returncode == 2
    assert_clean_error(
        done.stderr, f"{config}: imagee: unknown key 'imagee'; did you mean 'image'?"
    )


def test_server_failures_through_the_console_script(argo_fake: FakeArgo) -> None:
    unreachable = run_cli(
        "apply", str(EXAMPLE), "-s", f"127.0.0.1:{closed_port()}", "--no-secure", env=_KUBE
    )
    assert unreachable.returncode == 1
    assert_clean_error(unreachable.stderr, "cannot reach the Argo server", "--argo-server")
    wrong = run_cli(
        "apply", str(EXAMPLE), env={**server_env(argo_fake), "ARGO_TOKEN": "wrong-token"}
    )
    assert wrong.returncode == 1
    assert_clean_error(wrong.stderr, "HTTP 401", "pass --token or set ARGO_TOKEN")
    assert argo_fake.templates == {}


def test_debug_shows_the_traceback() -> None:
    done = run_cli("--debug", "tags", "1.4")
    assert done.returncode == 2
    assert "Traceback" in done.stderr
    assert "TagError" in done.stderr


# --------------------------------------------------------------------------- render


def test_render_from_flags_builds_the_same_config_as_a_file() -> None:
    done = invoke(
        "render", "--name", "my-app", "--repo", "https://github.com/acme/my-app.git",
        "--image", "ghcr.io/acme/my-app", "--revision", "release-1", "--env", "BP_X=1",
        "--output", "json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    manifest = template_of(done.stdout)
    assert manifest["metadata"]["name"] == "my-app"
    params = {p["name"]: p.get("value") for p in manifest["spec"]["arguments"]["parameters"]}
    assert params["repo"] == "https://github.com/acme/my-app.git"
    assert params["revision"] == "release-1"
    assert params["image"] == "ghcr.io/acme/my-app"
    assert "BP_X" in json.dumps(manifest)


def test_render_flags_override_the_file(tmp_path: Path) -> None:
    done = invoke(
        "render", "-f", str(EXAMPLE), "--image", "ghcr.io/acme/other",
        "--repo", "git@github.com:acme/other.git", "--git-ssh-secret", "git-ssh",
        "--env", "EXTRA=1", "--layout", "steps",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    manifest = template_of(done.stdout)
    assert manifest["metadata"]["annotations"]["argo-buildpacks.io/image"] == "ghcr.io/acme/other"
    text = done.stdout
    assert "git-ssh" in text and "git-token" not in text  # credentials replaced, not merged
    assert "BP_CPYTHON_VERSION" in text and "EXTRA" in text  # env merged
    assert manifest["spec"]["volumeClaimTemplates"]  # the steps layout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--image", "ghcr.io/acme/app:1.0"], "Error: --image: image 'ghcr.io/acme/app:1.0' must "
         "have no tag or digest"),
        (["--revision", "abc1234"], "Error: --revision: revision 'abc1234' looks like an "
         "abbreviated commit SHA"),
        (["--env", "A-B=1"], "Error: --env: environment variable name 'A-B' is invalid"),
        (["--builder", "acme/builder"], "Error: --builder: builder 'acme/builder' is not a known"),
        (["--name", "Bad_Name"], "Error: --name: name 'Bad_Name' is not a DNS-1123 label"),
    ],
)  # fmt: skip
def test_render_flag_errors_name_the_flag(args: list[str], expected: str) -> None:
    done = invoke("render", "-f", str(EXAMPLE), *args)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.startswith(expected), done.stderr


def test_render_from_flags_names_each_missing_flag() -> None:
    done = invoke("render", "--name", "app")
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "Error: --repo: required (or give a config file with -f CONFIG.yaml)",
        "Error: --image: required (or give a config file with -f CONFIG.yaml)",
    ]


def test_render_needs_a_file_or_flags() -> None:
    done = invoke("render")
    assert done.exit_code == 2
    assert done.stderr == (
        "Error: give a config file with -f CONFIG.yaml, or at least --name, --repo and --image "
        "(see 'argo-buildpacks render --help')\n"
    )


def test_render_privileged_mode_needs_the_flag() -> None:
    refused = invoke("render", "-f", str(EXAMPLE), "--mode", "pack-dind")
    assert refused.exit_code == 2
    assert_clean_error(refused.stderr, "privileged", "--allow-privileged")
    allowed = invoke(
        "render", "-f", str(EXAMPLE), "--mode", "pack-dind", "--allow-privileged",
        "--layout", "steps", "--kind", "ClusterWorkflowTemplate",
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    assert template_of(allowed.stdout)["kind"] == "ClusterWorkflowTemplate"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"name: [unclosed\n", "not valid YAML"),
        (b"\xff\xfe bad bytes", "not UTF-8 text"),
        (b"- a list\n", "expected a mapping of config keys"),
    ],
)
def test_render_bad_config_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(content)
    done = invoke("render", "-f", str(path))
    assert done.exit_code == 2
    assert_clean_error(done.stderr, f"{path}: ", expected)
    with_flag = invoke("render", "-f", str(path), "--image", "ghcr.io/acme/app")
    assert with_flag.exit_code == 2
    assert_clean_error(with_flag.stderr, expected)


def test_render_a_directory_is_bad_input(tmp_path: Path) -> None:
    done = invoke("render", "-f", str(tmp_path))
    assert done.exit_code == 2
    assert_clean_error(done.stderr, "is a directory")


def test_render_from_stdin() -> None:
    done = invoke("render", "-f", "-", stdin=EXAMPLE.read_text())
    assert done.exit_code == 0, done.output
    assert template_of(done.stdout)["metadata"]["name"] == "my-python-app"


def test_render_to_an_unwritable_place_fails_cleanly(tmp_path: Path) -> None:
    blocker = write(tmp_path / "file.txt", "")
    done = invoke("render", "-f", str(EXAMPLE), "--output-file", f"{blocker}/wt.yaml")
    assert done.exit_code == 1
    assert_clean_error(done.stderr, "file.txt")


def test_unexpected_errors_are_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from argo_buildpacks.templates import rbac

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaput")

    # render builds every object of a config through release_manifests
    monkeypatch.setattr(rbac, "workflow_template", boom)
    done = invoke("render", "-f", str(EXAMPLE))
    assert done.exit_code == 1
    assert done.stderr == (
        "Error: unexpected RuntimeError: kaput (run 'argo-buildpacks --debug ...' for the "
        "traceback)\n"
    )


# --------------------------------------------------------------------------- lint, tags, schema

_BAD_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: Bad_Name}
spec:
  entrypoint: main
  templates: [{name: other, container: {image: busybox}}]
"""


def test_lint_prints_file_path_message_and_fails(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    good = str(tmp_path / "good.yaml")
    assert invoke("render", "-f", str(EXAMPLE), "--output-file", good).exit_code == 0
    done = invoke("lint", good, bad)
    assert done.exit_code == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f'{bad}: metadata.name: name "Bad_Name" is not a DNS-1123')
    assert lines[1].startswith(f'{bad}: spec.entrypoint: entrypoint template "main"')
    assert len(lines) == 2
    assert "2 findings in 2 files" in done.stderr


def test_lint_names_the_document_in_multi_document_files(tmp_path: Path) -> None:
    fine = invoke("render", "-f", str(EXAMPLE)).stdout
    both = write(tmp_path / "both.yaml", fine + "---\n" + _BAD_TEMPLATE)
    done = invoke("lint", both)
    assert done.exit_code == 1
    assert done.stdout.splitlines()[0].startswith(
        f"{both}: WorkflowTemplate/Bad_Name: metadata.name: "
    )


def test_lint_json_output(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    done = invoke("lint", bad, "--output", "json")
    assert done.exit_code == 1
    findings = json.loads(done.stdout)
    assert [(f["file"], f["path"], f["severity"]) for f in findings] == [
        (bad, "metadata.name", "error"),
        (bad, "spec.entrypoint", "error"),
    ]


def test_lint_a_config_file_checks_its_rendered_template(tmp_path: Path) -> None:
    assert invoke("lint", str(EXAMPLE)).exit_code == 0
    broken = write(
        tmp_path / "app.yaml", EXAMPLE.read_text().replace("name: my-python-app", "name: X")
    )
    done = invoke("lint", broken, str(EXAMPLE))
    assert done.exit_code == 1  # a finding of that file; the other file is still checked
    assert done.stdout.startswith(f"{broken}: name: name 'X'")
    assert "1 finding in 2 files" in done.stderr


def test_lint_reports_invalid_yaml_as_a_finding(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "kind: [\n")
    done = invoke("lint", path)
    assert done.exit_code == 1
    assert done.stdout.startswith(f"{path}: not valid YAML")


def test_lint_missing_file() -> None:
    done = invoke("lint", "nope.yaml")
    assert done.exit_code == 1
    assert done.stdout == "nope.yaml: no such file\n"


def test_lint_one_bad_file_never_aborts_the_set(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    deep = write(tmp_path / "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    dup = write(tmp_path / "dup.yaml", "kind: A\nkind: B\n")
    done = invoke(
        "lint", "-f", "/dev/zero", "-f", deep, "-f", "missing.yaml", dup, bad, "-o", "json"
    )
    assert done.exit_code == 1
    findings = json.loads(done.stdout)  # complete JSON, whatever failed
    by_file = {f["file"]: f["message"] for f in findings}
    assert by_file["/dev/zero"] == "not a regular file; give a file to read"
    assert by_file[deep] == "line 1: nested more than 100 levels deep"
    assert by_file["missing.yaml"] == "no such file"
    assert by_file[dup].startswith("line 2: duplicate key 'kind'")
    assert [f["path"] for f in findings if f["file"] == bad] == ["metadata.name", "spec.entrypoint"]
    assert "Traceback" not in done.stderr


def test_lint_repeated_f_uses_every_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    done = invoke("lint", "-f", str(EXAMPLE), "-f", bad, "-o", "yaml")
    assert done.exit_code == 1
    assert {f["file"] for f in yaml.safe_load(done.stdout)} == {bad}
    assert invoke("lint", "-f", bad, "-f", str(EXAMPLE)).stdout.count(bad) == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["1.4.2"], ["1.4.2", "1.4", "1"]),
        (["v1.4.2", "--latest"], ["1.4.2", "1.4", "1", "latest"]),
        (["1.4.2", "--no-floating", "--latest"], ["1.4.2"]),
        (["2.0.0-rc.1", "--latest"], ["2.0.0-rc.1"]),
        (["1.4.2+build.7"], ["1.4.2_build.7", "1.4", "1"]),
        (["1.4.2", "--image", "ghcr.io/acme/app"], ["ghcr.io/acme/app:1.4.2",
                                                    "ghcr.io/acme/app:1.4", "ghcr.io/acme/app:1"]),
    ],
)  # fmt: skip
def test_tags(args: list[str], expected: list[str]) -> None:
    done = invoke("tags", *args)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == expected
    as_json = invoke("tags", *args, "-o", "json")
    assert json.loads(as_json.stdout) == expected
    assert yaml.safe_load(invoke("tags", *args, "-o", "yaml").stdout) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["01.4.2"], "MAJOR '01' has a leading zero"),
        (["vv1.4.2"], "'vv1.4.2' is not a SemVer 2.0.0 version"),
        (["1.4.2", "--image", "ghcr.io/acme/app:1"], "--image 'ghcr.io/acme/app:1' must have"),
        (["1.4.2", "--image", "Bad Image"], "Bad Image"),
    ],
)  # fmt: skip
def test_tags_bad_input(args: list[str], expected: str) -> None:
    done = invoke("tags", *args)
    assert done.exit_code == 2
    assert_clean_error(done.stderr, expected)


def test_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    done = invoke("schema", "--output-file", str(out))
    assert (done.exit_code, done.stdout) == (0, "")
    assert json.loads(out.read_text())["properties"]["image"]
    as_yaml = invoke("schema", "-o", "yaml")
    assert yaml.safe_load(as_yaml.stdout) == json.loads(out.read_text())


# --------------------------------------------------------------------------- apply


def test_apply_a_config_is_create_then_unchanged_then_updated(
    argo_fake: FakeArgo, tmp_path: Path
) -> None:
    env = server_env(argo_fake)
    first = invoke("apply", str(EXAMPLE), env=env)
    assert first.exit_code == 0, first.output
    assert "\nWorkflowTemplate argo/my-python-app created (resourceVersion " in first.stdout
    again = invoke("apply", str(EXAMPLE), "--output", "json", env=env)
    # The executor's account, token, Role and binding, then the template: all unchanged.
    assert [r["action"] for r in json.loads(again.stdout)] == ["unchanged"] * 5
    changed = write(tmp_path / "app.yaml", EXAMPLE.read_text().replace('"3.12"', '"3.13"'))
    third = invoke("apply", changed, env=env)
    assert "WorkflowTemplate argo/my-python-app updated " in third.stdout
    assert argo_fake.count("PUT") == 1


def test_apply_rendered_manifests_several_documents(argo_fake: FakeArgo, tmp_path: Path) -> None:
    namespaced = invoke("render", "-f", str(EXAMPLE)).stdout
    cluster = invoke(
        "render", "-f", str(EXAMPLE), "--name", "shared-build", "--kind", "ClusterWorkflowTemplate"
    ).stdout
    path = write(tmp_path / "all.yaml", namespaced + "---\n" + cluster)
    done = invoke("apply", path, env=server_env(argo_fake))
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stdout.splitlines() if "WorkflowTemplate" in line]
    assert lines[0].startswith("ClusterWorkflowTemplate shared-build created")
    assert lines[1].startswith("WorkflowTemplate argo/my-python-app created")
    assert "shared-build" in argo_fake.cluster_templates


def test_apply_checks_everything_before_sending_anything(
    argo_fake: FakeArgo, tmp_path: Path
) -> None:
    env = server_env(argo_fake)
    good = invoke("render", "-f", str(EXAMPLE)).stdout
    workflow = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
    with_run = write(tmp_path / "run.yaml", good + "---\n" + workflow)
    refused = invoke("apply", with_run, env=env)
    assert refused.exit_code == 2
    # Document 6: after the executor's account, token, Role, binding and the template.
    assert_clean_error(refused.stderr, "document 6 is a Workflow", "submit")
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    linted = invoke("apply", str(EXAMPLE), bad, env=env)
    assert linted.exit_code == 1
    lines = linted.stderr.splitlines()
    assert lines[0] == "Error: not applied: 2 lint error(s):"
    assert lines[1].startswith("Error:   WorkflowTemplate/Bad_Name: metadata.name: ")
    assert argo_fake.count() == 0


def test_apply_namespace_flag_must_match_the_manifest(argo_fake: FakeArgo) -> None:
    done = invoke("apply", str(EXAMPLE), "-n", "ci", env=server_env(argo_fake))
    assert done.exit_code == 2
    assert_clean_error(done.stderr, "is in namespace 'argo', not 'ci' given by -n/--namespace")
    assert argo_fake.count() == 0


def test_apply_into_a_missing_namespace_is_a_server_error(
    argo_fake: FakeArgo, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "app.yaml", EXAMPLE.read_text().replace("namespace: argo", "namespace: ci")
    )
    done = invoke("apply", config, env=server_env(argo_fake))
    assert done.exit_code == 1
    assert_clean_error(done.stderr, "HTTP 404", "namespace 'ci' does not exist")


# --------------------------------------------------------------------------- submit, status, logs


@pytest.fixture
def applied(argo_fake: FakeArgo) -> dict[str, str]:
    """The example app's template applied to the fake; returns the server environment."""
    env = server_env(argo_fake)
    assert invoke("apply", str(EXAMPLE), env=env).exit_code == 0
    return env


def test_submit_without_wait(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    done = invoke(
        "submit", "my-python-app", "--tag", "v1.4.2", "-p", "revision=release-1",
        "-l", "team=web", env=applied,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (name,) = [n for _, n in argo_fake.workflows]
    assert done.stdout == f"submitted argo/{name}\n"
    assert f"argo-buildpacks status {name} -n argo" in done.stderr
    (request,) = [r for r in argo_fake.requests if r.path.endswith("/submit")]
    options = request.body["submitOptions"]
    assert options["parameters"] == ["tag=1.4.2", "revision=release-1"]
    assert "team=web" in options["labels"]
    as_json = invoke("submit", "my-python-app", "--tag", "1.4.3", "--output", "json", env=applied)
    run = json.loads(as_json.stdout)
    assert (run["namespace"], run["name"].startswith("my-python-app-")) == ("argo", True)


def test_submit_wait_succeeded_prints_outputs(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    done = invoke(
        "submit", "my-python-app", "--tag", "1.4.2", "--wait", "--poll-interval", "0.01",
        env=applied,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (name,) = [n for _, n in argo_fake.workflows]
    lines = done.stdout.splitlines()
    assert lines[0] == f"submitted argo/{name}"
    # the build pod, then provenance; how long it has waited (tests/cli/test_cli_habits.py)
    assert any(re.fullmatch(rf"{name}  Pending for \d+s  0/2", line) for line in lines)
    assert "  build                Running" in lines
    assert "  tag-check            Succeeded" in lines  # each container of the build pod
    assert f"{name}  Succeeded  2/2" in lines
    result = lines[next(i for i, line in enumerate(lines) if line.startswith(f"argo/{name} ")) :]
    assert result[0].startswith(f"argo/{name} Succeeded")
    assert result[1] == "  image   registry.example.com:5000/acme/my-python-app:1.4.2"
    assert result[2].startswith("  digest  sha256:")
    assert result[3] == "  tags    1.4.2"
    assert result[4].startswith("  commit  ")


def test_submit_wait_failed_exits_1(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    argo_fake.final_phase = "Failed"
    done = invoke(
        "submit", "my-python-app", "--tag", "1.4.2", "--wait", "--poll-interval", "0.01",
        env=applied,
    )  # fmt: skip
    assert done.exit_code == 1
    (name,) = [n for _, n in argo_fake.workflows]
    # The fake fails the last pod: the provenance step.
    assert "  provenance           Failed  Error (exit code 1)" in done.stdout
    assert f"argo/{name} Failed" in done.stdout
    assert f"argo-buildpacks logs {name} -n argo" in done.stderr


def test_submit_wait_json_keeps_progress_off_stdout(
    argo_fake: FakeArgo, applied: dict[str, str]
) -> None:
    done = invoke(
        "submit", "my-python-app", "--tag", "1.4.2", "--wait", "--poll-interval", "0.01",
        "--output", "json", env=applied,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    status = json.loads(done.stdout)
    assert (status["phase"], status["succeeded"]) == ("Succeeded", True)
    assert status["outputs"]["image"].endswith(":1.4.2")
    assert "Running" in done.stderr


def test_submit_wait_timeout(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    argo_fake.polls_per_step = 10_000
    done = invoke(
        "submit", "my-python-app", "--tag", "1.4.2", "--wait", "--timeout", "0.2",
        "--poll-interval", "0.05", env=applied,
    )  # fmt: skip
    assert done.exit_code == 1
    (name,) = [n for _, n in argo_fake.workflows]
    assert_clean_error(done.stderr, "is still Pending after 0.2 s", f"status {name}")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tag", "1.4"], "'1.4' is not a SemVer 2.0.0 version"),
        (["--tag", "1.4.2", "-p", "novalue"], "'novalue' is not KEY=VALUE"),
        (["--tag", "1.4.2", "--timeout", "5"], "--timeout needs --wait"),
        (["--tag", "1.4.2", "-l", "bad key=x"], "label key 'bad key' is not a valid"),
        (["--tag", "1.4.2", "--wait", "--timeout", "0"], "Invalid value for '--timeout'"),
    ],
)
def test_submit_bad_input_sends_nothing(
    argo_fake: FakeArgo, args: list[str], expected: str
) -> None:
    done = invoke("submit", "my-python-app", *args, env=server_env(argo_fake))
    assert done.exit_code == 2
    assert_clean_error(done.stderr, expected)
    assert argo_fake.count("POST") == 0


def test_submit_unknown_template(argo_fake: FakeArgo) -> None:
    done = invoke("submit", "nope", "--tag", "1.4.2", env=server_env(argo_fake))
    assert done.exit_code == 1
    assert_clean_error(done.stderr, "HTTP 404", "apply it first")


def test_status_text_and_json(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    invoke("submit", "my-python-app", "--tag", "1.4.2", env=applied)
    (name,) = [n for _, n in argo_fake.workflows]
    pending = invoke("status", name, env=applied)
    assert pending.exit_code == 0, pending.output
    assert f"Name:       {name}" in pending.stdout
    assert "Phase:      Pending" in pending.stdout
    for _ in range(5):  # each read moves the fake's run one step on
        invoke("status", name, env=applied)
    done = invoke("status", name, env=applied)
    text = done.stdout
    assert "Phase:      Succeeded" in text
    steps = text.split("STEP", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    # The pod "build", then each of its containers (the lifecycle's phases among them).
    assert [line.split()[:2] for line in steps] == [
        ["build", "Succeeded"],
        *[
            [c, "Succeeded"]
            for c in ("tag-check", "git-clone", "analyze", "detect", "restore", "build", "main")
        ],
        # Then the pod that publishes the outputs, read back from the registry.
        ["provenance", "Succeeded"],
    ]
    assert "Outputs:\n  image   registry.example.com:5000/acme/my-python-app:1.4.2" in text


def test_status_of_a_failed_run_still_exits_0(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    argo_fake.final_phase = "Failed"
    invoke(
        "submit",
        "my-python-app",
        "--tag",
        "1.4.2",
        "--wait",
        "--poll-interval",
        "0.01",
        env=applied,
    )
    (name,) = [n for _, n in argo_fake.workflows]
    done = invoke("status", name, "--output", "json", env=applied)
    assert done.exit_code == 0
    status = json.loads(done.stdout)
    assert (status["phase"], status["succeeded"]) == ("Failed", False)
    assert status["message"].startswith("child ")


def test_status_unknown_run(argo_fake: FakeArgo) -> None:
    done = invoke("status", "nope-12345", env=server_env(argo_fake))
    assert done.exit_code == 1
    assert_clean_error(done.stderr, "HTTP 404", "no workflow 'nope-12345' in namespace 'argo'")


def test_logs_text_json_follow_and_filters(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    invoke("submit", "my-python-app", "--tag", "1.4.2", env=applied)
    (name,) = [n for _, n in argo_fake.workflows]
    argo_fake.set_logs(
        "argo",
        name,
        [("pod-a", "git-clone", "one"), ("pod-b", "main", "two"), ("pod-a", "git-clone", "three")],
    )
    text = invoke("logs", name, env=applied)
    # Every container of the one-pod run, each line prefixed by its pod and container.
    assert (text.exit_code, text.stdout) == (
        0,
        "pod-a/git-clone: one\npod-a/git-clone: three\npod-b/main: two\n",
    )
    followed = invoke(
        "logs", name, "-f", "--pod", "pod-a", "-c", "git-clone", "-o", "json", env=applied
    )
    assert [json.loads(line) for line in followed.stdout.splitlines()] == [
        {"pod_name": "pod-a", "container": "git-clone", "content": "one"},
        {"pod_name": "pod-a", "container": "git-clone", "content": "three"},
    ]
    last = argo_fake.requests[-1]
    assert last.query["logOptions.follow"] == ["true"]
    assert last.query["logOptions.container"] == ["git-clone"]


def test_logs_error_in_the_stream(argo_fake: FakeArgo, applied: dict[str, str]) -> None:
    invoke("submit", "my-python-app", "--tag", "1.4.2", env=applied)
    (name,) = [n for _, n in argo_fake.workflows]
    argo_fake.set_logs(
        "argo",
        name,
        [("pod-a", "tag-check", "one"), {"error": {"grpc_code": 5, "message": "pod gone"}}],
    )
    done = invoke("logs", name, "-c", "tag-check", env=applied)
    assert done.exit_code == 1
    assert done.stdout == "pod-a/tag-check: one\n"
    assert_clean_error(done.stderr, "pod gone")


# --------------------------------------------------------------------------- server settings


def test_server_flags_instead_of_variables(argo_fake: FakeArgo) -> None:
    done = invoke(
        "apply", str(EXAMPLE), "-s", argo_fake.address, "--no-secure",
        "--token", f"Bearer {argo_fake.token}", "--request-timeout", "5", env=dict(_KUBE),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    url = invoke("status", "x", "-s", f"http://{argo_fake.address}", "--token", "t")
    assert url.exit_code == 1
    assert "HTTP 401" in url.stderr  # a full URL is used as it is


def test_argo_base_href_and_namespace_variables() -> None:
    with FakeArgo(base_href="argo", namespaces=("ci",)) as fake:
        env = {**server_env(fake), "ARGO_BASE_HREF": "/argo/", "ARGO_NAMESPACE": "ci"}
        config = EXAMPLE.read_text().replace("namespace: argo\n", "")
        done = invoke("apply", "-", env=env, stdin=config)
        assert done.exit_code == 0, done.output
        # A config that names no namespace goes to the client's.
        assert "\nWorkflowTemplate ci/my-python-app created" in done.stdout
        assert ("ci", "my-python-app") in fake.templates
        assert all(r.path.startswith("/api/v1/") for r in fake.requests)
        # One that names another is refused when -n says otherwise.
        refused = invoke("apply", str(EXAMPLE), "-n", "ci", env=env)
        assert refused.exit_code == 2


def test_bad_server_variables_are_usage_errors() -> None:
    done = invoke("status", "x", env={"ARGO_SERVER": "localhost:1", "ARGO_SECURE": "maybe"})
    assert done.exit_code == 2
    assert done.stderr.startswith("Error: Invalid value for '--secure'")
    assert len(done.stderr.splitlines()) == 1


def test_https_with_insecure_skip_verify_reaches_no_tls_server(argo_fake: FakeArgo) -> None:
    # The fake speaks plain http: an https client fails the TLS handshake, cleanly.
    done = invoke("status", "x", "-s", argo_fake.address, "-k", "--token", "t")
    assert done.exit_code == 1
    assert_clean_error(done.stderr, "cannot reach the Argo server", "https://")
    assert "Unverified HTTPS request" not in done.output


# --------------------------------------------------------------------------- progress display


def _status(phase: str, *nodes: tuple[str, str], progress: str = "") -> RunStatus:
    root = NodeStatus("wf", "wf", "wf", "Steps", phase)
    steps = [
        NodeStatus(f"wf-{i}", f"wf[0].{n}", n, "Pod", p, "boom" if p == "Failed" else "")
        for i, (n, p) in enumerate(nodes)
    ]
    return RunStatus("wf", "argo", phase, progress=progress, nodes=(root, *steps))


def test_plain_progress_prints_only_changes() -> None:
    lines: list[str] = []
    with PlainProgress(lines.append) as progress:
        progress(_status("Running", ("clone", "Running"), ("build", "Pending"), progress="0/2"))
        progress(_status("Running", ("clone", "Running"), ("build", "Pending"), progress="0/2"))
        progress(_status("Failed", ("clone", "Succeeded"), ("build", "Failed"), progress="1/2"))
    assert lines == [
        "wf  Running  0/2",
        "  clone                Running",
        "  build                Pending",
        "wf  Failed  1/2",
        "  clone                Succeeded",
        "  build                Failed  boom",
    ]


def test_live_progress_draws_a_table_of_steps() -> None:
    stream = io.StringIO()
    with LiveProgress(stream, force_terminal=True) as progress:
        progress(_status("Running", ("git-clone", "Running"), ("build", "Pending"), progress="0/2"))
        progress(_status("Succeeded", ("git-clone", "Succeeded"), ("build", "Succeeded")))
    out = stream.getvalue()
    assert "\x1b[" in out  # drawn with terminal control codes
    for text in ("argo/wf", "git-clone", "build", "Succeeded", "✔"):
        assert text in out


def test_progress_for_picks_live_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress_for(Tty(), print), LiveProgress)
    assert isinstance(progress_for(io.StringIO(), print), PlainProgress)


# --------------------------------------------------------------------------- docs/cli.md


def test_docs_cli_md_is_the_generated_reference() -> None:
    generated = run_cli("_docs")
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout == reference(cli)
    assert (ROOT / "docs" / "cli.md").read_text() == generated.stdout, (
        "docs/cli.md is out of date: python -m argo_buildpacks.cli._main _docs > docs/cli.md"
    )


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_docs_cli_md_matches_the_real_help(command: str) -> None:
    """Each section's block is exactly what ``argo-buildpacks COMMAND --help`` prints."""
    real = run_cli(*([command] if command else []), "--help")
    assert real.returncode == 0
    heading = f"## argo-buildpacks {command}".rstrip()
    page = (ROOT / "docs" / "cli.md").read_text()
    assert f"\n{heading}\n" in page
    block = page.split(f"\n{heading}\n\n```text\n", 1)[1].split("\n```\n", 1)[0]
    assert block + "\n" == real.stdout
    assert "Examples:" in real.stdout


# ---- library mode ------------------------------------------------------------------------


def test_library_and_app_render_apply_and_lint_as_a_set(
    tmp_path: Path, argo_fake: FakeArgo
) -> None:
    lib, app = tmp_path / "lib.yaml", tmp_path / "app.yaml"
    assert invoke("library", *LIBRARY_FLAGS, "--output-file", str(lib)).exit_code == 0
    made = invoke(
        "render", "-f", str(LIBRARY_APP), "--library", "argo-buildpacks",
        "--library-file", str(lib), "--output-file", str(app),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    manifest = template_of(app.read_text())
    step = manifest["spec"]["templates"][0]["steps"][0][0]
    assert step["templateRef"] == {
        "name": "argo-buildpacks",
        "template": "build",
        "clusterScope": True,
    }
    assert yaml.safe_load(lib.read_text())["kind"] == "ClusterWorkflowTemplate"
    # Apart, the app's reference cannot be checked: a warning, exit 0 (1 with --strict).
    alone = invoke("lint", str(app))
    assert alone.exit_code == 0
    assert "could not be checked" in alone.output
    assert invoke("lint", "--strict", str(app)).exit_code == 1
    # Together, the reference resolves; what is left are the library's warnings.
    together = invoke("lint", str(lib), str(app))
    assert together.exit_code == 0
    assert "could not be checked" not in together.output
    applied = invoke("apply", str(lib), str(app), env=server_env(argo_fake))
    assert applied.exit_code == 0, applied.output
    assert "argo-buildpacks" in argo_fake.cluster_templates
    assert ("argo", "orders-api") in argo_fake.templates


def test_lint_fails_on_errors_whatever_the_warnings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\n"
        "spec: {entrypoint: mian, templates: [{name: main, container: {image: busybox}}]}\n"
    )
    result = invoke("lint", str(bad))
    assert result.exit_code == 1
    assert 'entrypoint template "mian" is not defined' in result.output


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("library", "--registry", "r.io", "--builder", "acme/b:1"), "is not a known builder"),
        (("library", "--registry", "r.io", "--name", "Bad"), "--name 'Bad' is not a DNS-1123"),
        (("library",), "Missing option '--registry'"),
        (("library", "--registry", "r.io", "--git-host", "https://x"), "is not a host name"),
        (
            ("render", "-f", str(LIBRARY_APP), "--library", "x", "--mode", "pack-dind"),
            "daemonless",
        ),
        (("render", "-f", str(LIBRARY_APP), "--library", "x"), "--library-file FILE"),
        (("render", "-f", str(LIBRARY_APP), "--library-file", "LIB"), "needs --library NAME"),
        (
            ("render", "-f", str(LIBRARY_APP), "--library", "other", "--library-file", "LIB"),
            "no ClusterWorkflowTemplate named 'other' (found: ClusterWorkflowTemplate/x)",
        ),
        (
            ("render", "-f", str(LIBRARY_APP), "--library", "x", "--library-file", "MISSING"),
            "MISSING",
        ),
        (
            ("render", "-f", str(EXAMPLE), "--library", "x", "--library-file", "LIB"),
            "registry_secret 'regcred'",
        ),
        # The app is checked against the library as installed, not one made from its own
        # config: a heroku/builder:24 app would run in the library's Paketo builder as 1001.
        (
            (
                "render",
                "-f",
                str(LIBRARY_APP),
                "--library",
                "x",
                "--library-file",
                "LIB",
                "--builder",
                "heroku/builder:24",
            ),
            "builds with 'heroku/builder:24 1002:1000' but library 'x' runs",
        ),
    ],
)
def test_library_bad_input(tmp_path: Path, args: tuple[str, ...], why: str) -> None:
    lib = tmp_path / "lib.yaml"
    made = invoke("library", "--name", "x", *LIBRARY_FLAGS, "--output-file", str(lib))
    assert made.exit_code == 0, made.output
    paths = {"LIB": str(lib), "MISSING": str(tmp_path / "missing.yaml")}
    result = invoke(*(paths.get(a, a) for a in args))
    assert result.exit_code == 2, result.output
    assert why.replace("MISSING", str(tmp_path / "missing.yaml")) in result.output


def test_render_library_checks_against_the_library_file(tmp_path: Path) -> None:
    lib = tmp_path / "lib.yaml"
    made = invoke("library", "--name", "x", *LIBRARY_FLAGS, "--output-file", str(lib))
    assert made.exit_code == 0, made.output
    ok = invoke("render", "-f", str(LIBRARY_APP), "--library", "x", "--library-file", str(lib))
    assert ok.exit_code == 0, ok.output
    assert "templateRef" in ok.output


# ---- command-line habits (argo/kubectl) ------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("--debug",)])
def test_no_command_prints_the_help_and_exits_0(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: argo-buildpacks [OPTIONS] [COMMAND]")
    assert "Commands:" in done.stdout
    assert "Error" not in done.stdout + done.stderr


def test_render_takes_every_file_repeated_or_positional(tmp_path: Path) -> None:
    other = write(
        tmp_path / "other.yaml", EXAMPLE.read_text().replace("name: my-python-app", "name: other")
    )
    names = invoke("render", "-f", str(EXAMPLE), "-f", other, "-o", "name")
    templates = [n for n in names.stdout.splitlines() if n.startswith("workflowtemplate.")]
    assert (names.exit_code, templates) == (
        0,
        ["workflowtemplate.argoproj.io/my-python-app", "workflowtemplate.argoproj.io/other"],
    )
    # Each config's objects: its executor account, token, Role, binding, then its template.
    assert "serviceaccount/other-executor" in names.stdout
    stream = invoke("render", str(EXAMPLE), other)
    kinds = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(stream.stdout)]
    assert [k for k in kinds if k[0] == "WorkflowTemplate"] == [
        ("WorkflowTemplate", "my-python-app"),
        ("WorkflowTemplate", "other"),
    ]
    as_json = json.loads(invoke("render", "-f", str(EXAMPLE), other, "-o", "json").stdout)
    assert (as_json["kind"], len(as_json["items"])) == ("List", 10)
    single = invoke("render", "-f", str(EXAMPLE), "-o", "json").stdout
    assert template_of(single)["kind"] == "WorkflowTemplate"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100 levels deep"),
        ('name: "\\ud800"\n', "name: the value contains a lone surrogate"),
        ("name: a\nname: b\n", "line 2: duplicate key 'name'"),
    ],
    ids=["deep", "surrogate", "duplicate-key"],
)
def test_hostile_config_files_are_one_line_exit_2(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path / "app.yaml", text)
    for command in (("render",), ("apply", "-s", "127.0.0.1:1")):
        done = run_cli(*command, "-f", path)
        assert done.returncode == 2, done.stderr
        assert_clean_error(done.stderr, f"{path}: ", fragment)
        assert len(done.stderr.splitlines()) == 1


def test_apply_takes_every_file_and_prints_names(argo_fake: FakeArgo, tmp_path: Path) -> None:
    lib = tmp_path / "lib.yaml"
    assert invoke("library", *LIBRARY_FLAGS, "--output-file", str(lib)).exit_code == 0
    done = invoke(
        "apply", "-f", str(lib), "-f", str(EXAMPLE), "-o", "name", env=server_env(argo_fake)
    )
    assert (done.exit_code, done.stdout) == (
        0,
        "serviceaccount/my-python-app-executor\n"
        "secret/my-python-app-executor.service-account-token\n"
        "role.rbac.authorization.k8s.io/my-python-app-executor\n"
        "rolebinding.rbac.authorization.k8s.io/my-python-app-executor\n"
        "clusterworkflowtemplate.argoproj.io/argo-buildpacks\n"
        "workflowtemplate.argoproj.io/my-python-app\n",
    )
    again = invoke("apply", str(lib), "-f", str(EXAMPLE), "-o", "yaml", env=server_env(argo_fake))
    assert [r["action"] for r in yaml.safe_load(again.stdout)] == ["unchanged"] * 6


def test_apply_refuses_a_privileged_manifest_and_sends_nothing(
    argo_fake: FakeArgo, tmp_path: Path
) -> None:
    rendered = invoke(
        "render", "-f", str(EXAMPLE), "--mode", "pack-socket", "--layout", "steps",
        "--allow-privileged",
    ).stdout  # fmt: skip
    path = write(tmp_path / "privileged.yaml", rendered)
    env = server_env(argo_fake)
    refused = invoke("apply", "-f", path, env=env)
    assert refused.exit_code == 2
    assert_clean_error(refused.stderr, "gives a pod root on the node", "--allow-privileged")
    assert argo_fake.requests == []  # nothing was sent
    allowed = invoke("apply", "-f", path, "--allow-privileged", env=env)
    assert allowed.exit_code == 0, allowed.output
    assert ("argo", "my-python-app") in argo_fake.templates


def test_submit_refuses_an_undeclared_parameter(
    argo_fake: FakeArgo, applied: dict[str, str]
) -> None:
    done = invoke("submit", "my-python-app", "--tag", "1.4.2", "-p", "revison=main", env=applied)
    assert done.exit_code == 2
    assert_clean_error(
        done.stderr,
        "'revison' are not declared",
        "declared: expected-commit, image, repo, revision",
    )
    assert argo_fake.count("POST", "/submit$") == 0


def test_submit_without_tag_needs_a_template_that_derives_it(
    argo_fake: FakeArgo, applied: dict[str, str], tmp_path: Path
) -> None:
    refused = invoke("submit", "my-python-app", env=applied)
    assert refused.exit_code == 2
    assert_clean_error(refused.stderr, "needs a tag: it does not derive one from git", "--tag")
    assert argo_fake.count("POST", "/submit$") == 0
    from_git = write(
        tmp_path / "app.yaml",
        EXAMPLE.read_text().replace("from_git: false", "from_git: true"),
    )
    assert "from_git: true" in Path(from_git).read_text()
    assert invoke("apply", "-f", from_git, env=applied).exit_code == 0
    done = invoke("submit", "my-python-app", "-o", "name", env=applied)
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().startswith("workflow.argoproj.io/my-python-app-")


def test_control_characters_from_logs_and_errors_are_escaped(
    argo_fake: FakeArgo, applied: dict[str, str]
) -> None:
    invoke("submit", "my-python-app", "--tag", "1.4.2", env=applied)
    (name,) = [n for _, n in argo_fake.workflows]
    hostile = "ok\x1b[2J\x1b]0;pwned\x07\rfake line\u202e"
    argo_fake.set_logs(
        "argo",
        name,
        [("pod", "main", hostile), {"error": {"grpc_code": 5, "message": "gone\x1b[31m\r"}}],
    )
    done = invoke("logs", name, "-c", "main", env=applied)
    assert done.stdout == "pod/main: ok\\x1b[2J\\x1b]0;pwned\\x07\\x0dfake line\\u202e\n"
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert "HTTP 404: gone\\x1b[31m" in done.stderr
    as_json = invoke("logs", name, "-c", "main", "-o", "json", env=applied)
    assert json.loads(as_json.stdout.splitlines()[0])["content"] == hostile


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_never_talks_to_a_server_whatever_argo_server_holds(
    argo_fake: FakeArgo,
) -> None:
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make demo would install .venv first")
    done = subprocess.run(
        ["make", "-s", "demo"],
        cwd=ROOT,
        env={**NO_ARGO_ENV, **server_env(argo_fake)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no findings in 1 file" in done.stderr
    assert "make demo-apply" in done.stdout
    assert argo_fake.requests == []


def test_progress_escapes_what_the_server_says() -> None:
    node = NodeStatus("n1", "run.build", "build", "Pod", "Failed", message="oom\x1b[2J\rok")
    status = RunStatus("run", "argo", "Failed", nodes=(node,))
    plain: list[str] = []
    PlainProgress(plain.append)(status)
    assert plain[-1] == "  build                Failed  oom\\x1b[2J\\x0dok"
    screen = io.StringIO()
    with LiveProgress(screen, force_terminal=True) as live:
        live(status)
    assert "[2J" not in screen.getvalue().replace("\\x1b[2J", "")


def test_lint_a_checker_crash_on_one_file_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argo_buildpacks.linting import _lint as linting

    real = linting.lint

    def crashes_on_bad(documents: Any, **kwargs: Any) -> Any:
        if any((d.get("metadata") or {}).get("name") == "Bad_Name" for d in documents):
            raise TypeError("a bug")
        return real(documents, **kwargs)

    monkeypatch.setattr(linting, "lint", crashes_on_bad)
    bad = write(tmp_path / "bad.yaml", _BAD_TEMPLATE)
    done = invoke("lint", bad, str(EXAMPLE), "-o", "json")
    assert done.exit_code == 1
    findings = json.loads(done.stdout)
    assert findings == [
        {
            "file": bad,
            "document": "",
            "path": "",
            "message": "could not be checked: TypeError('a bug')",
            "severity": "error",
        }
    ]


def test_status_lists_steps_in_run_order_with_containers_under_their_pod() -> None:
    from argo_buildpacks.cli._progress import format_status

    root = NodeStatus("r", "run", "run", "Steps", "Failed", children=("g",))
    group = NodeStatus("g", "run[0]", "[0]", "StepGroup", "Failed", children=("p",))
    pod = NodeStatus("p", "run[0].build", "build", "Pod", "Failed", children=("c1", "c2", "c3"))
    containers = [
        NodeStatus(f"c{i}", f"run[0].build.{name}", name, "Container", phase)
        for i, (name, phase) in enumerate(
            [("tag-check", "Succeeded"), ("git-clone", "Failed"), ("main", "Pending")], start=1
        )
    ]
    # The server lists status.nodes by id (a Go map), not in run order.
    shuffled = (containers[2], pod, containers[0], root, containers[1], group)
    text = format_status(RunStatus("run", "argo", "Failed", nodes=shuffled))
    assert text.split("STEP", 1)[1].splitlines()[1:] == [
        "build        Failed",
        "  tag-check  Succeeded",
        "  git-clone  Failed",
        "  main       Pending",
    ]


def test_lint_options_reach_the_linter(tmp_path: Path) -> None:
    rendered = invoke("render", "-f", str(EXAMPLE)).stdout
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n---\n"
    path = write(tmp_path / "wt.yaml", other + rendered)
    # A note about the skipped kind never fails, not even --strict.
    strict = invoke("lint", "--strict", path)
    assert strict.exit_code == 0, strict.output
    assert "info: skipped: ConfigMap" in strict.output
    # --submit: the tag the template leaves to each run is missing.
    submit = invoke("lint", "--submit", path)
    assert submit.exit_code == 1
    assert 'parameter "tag" needs a value' in submit.output
    # --argo-version: a field the target does not know (the single, deprecated mutex form
    # is an error from Argo 4.0 on, a warning on 3.6).
    single = rendered.replace(
        "    mutexes:\n    - name: argo-buildpacks-registry-example-com-5000-acme-my-python-app\n",
        "    mutex:\n      name: argo-buildpacks-registry-example-com-5000-acme-my-python-app\n",
    )
    assert single != rendered
    old = write(tmp_path / "old.yaml", single)
    assert invoke("lint", "--argo-version", "3.6", old).exit_code == 0
    assert invoke("lint", "--argo-version", "3.6", "--strict", old).exit_code == 1
    assert invoke("lint", "--argo-version", "4.1", old).exit_code == 1
    bad = invoke("lint", "--argo-version", "2.9", old)
    assert bad.exit_code == 2
    assert "'2.9' is not one of '3.6', '3.7', '4.0', '4.1'" in bad.output
    # --restricted: a privileged template's warnings become errors.
    privileged = invoke(
        "render", "-f", str(EXAMPLE), "--mode", "pack-dind", "--layout", "steps",
        "--allow-privileged",
    ).stdout  # fmt: skip
    dind = write(tmp_path / "dind.yaml", privileged)
    assert invoke("lint", dind).exit_code == 0
    restricted = invoke("lint", "--restricted", dind)
    assert restricted.exit_code == 1
    assert "container 'dind' is privileged" in restricted.output
