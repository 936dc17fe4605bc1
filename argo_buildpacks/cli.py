"""The ``argo-buildpacks`` command line.

Every command is a thin layer over the Python API. Exit codes: 0 success; 1 failure (lint
findings, a run that did not succeed, a server error); 2 usage errors and bad input
(invalid config, version, image or file). Errors are printed as ``Error: ...`` lines on
stderr without a traceback (``--debug`` shows it).

Start-up stays fast: this module imports only click at the top; Hera (and pydantic) are
imported inside the commands that need them, so ``--help``, ``--version`` and ``tags``
never load them.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from argo_buildpacks import __version__
from argo_buildpacks._cli_config import (
    build_flag_options,
    config_from,
    looks_like_config,
    read_text,
    template_options,
)
from argo_buildpacks._cli_server import ServerSettings, server_options
from argo_buildpacks.errors import ArgoBuildpacksError, ConfigError, LintError, WaitTimeoutError

if TYPE_CHECKING:
    from argo_buildpacks.linting import Finding

__all__ = ["cli", "main"]

PROG = "argo-buildpacks"
CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_OUTPUT = click.option(
    "--output",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json is for tools.",
)


class _Failure(click.ClickException):
    """An error already phrased for the user: ``Error: <line>`` per line; exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print one ``Error:`` line per line of the message."""
        for line in self.format_message().splitlines() or [""]:
            click.echo(f"Error: {line}", file=file or sys.stderr)


class _BadInput(_Failure):
    """Bad input (an invalid config, version, image or file): exit status 2."""

    exit_code = 2


def _as_failure(exc: Exception, debug: bool) -> _Failure:
    """The message and exit status for an error that reached the top of a command."""
    if isinstance(exc, LintError):
        errors = [f for f in exc.findings if getattr(f, "severity", "error") == "error"]
        lines = [f"not applied: {len(errors)} lint error(s):"] if errors else [str(exc)]
        return _Failure("\n".join(lines + [f"  {finding}" for finding in errors]))
    if isinstance(exc, ConfigError):
        return _BadInput(str(exc))
    if isinstance(exc, ArgoBuildpacksError):
        return _Failure(str(exc))
    if isinstance(exc, OSError):  # writing -o FILE, reading stdin...
        where = f"{exc.filename}: " if exc.filename else ""
        return _Failure(f"{where}{exc.strerror or exc}")
    message = f"unexpected {type(exc).__name__}: {exc}"
    if not debug:
        message += f" (run '{PROG} --debug ...' for the traceback)"
    return _Failure(message)


class _Group(click.Group):
    """The root group: turns errors into exit codes and ``Error:`` lines, no tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report library errors and unexpected ones without a traceback."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # handled in main: the reader went away
            debug = bool(ctx.params.get("debug"))
            if debug:
                traceback.print_exc()
            raise _as_failure(exc, debug) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands in the order of the job: render, lint, apply, submit, status..."""
        return list(self.commands)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; usage errors become one ``Error:`` line and exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else PROG
            click.echo(f"Error: {exc.format_message()} (see '{where} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # The reader went away (`... | head`): nothing left to say to it.
            _silence_stdout()
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def _write(text: str, path: str | None) -> None:
    """Write ``text`` to ``path`` (parent directories created), or to stdout."""
    if path is None or path == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- the group


@click.group(name=PROG, cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.option(
    "--debug",
    is_flag=True,
    envvar="ARGO_BUILDPACKS_DEBUG",
    show_envvar=True,
    help="Show the traceback of errors.",
)
def cli(debug: bool) -> None:
    """Build git repositories into OCI images with Cloud Native Buildpacks on Argo Workflows.

    Render a build config to a WorkflowTemplate, check it offline, apply it to an Argo
    server and run it for a version. Server commands read the argo CLI's variables
    (ARGO_SERVER, ARGO_TOKEN, ARGO_NAMESPACE, ARGO_SECURE, ARGO_INSECURE_SKIP_VERIFY).

    Exit status: 0 success, 1 failure (lint findings, failed run, server error),
    2 usage error or bad input.

    \b
    Examples:
      argo-buildpacks render -f app.yaml -o app.workflowtemplate.yaml
      argo-buildpacks lint app.workflowtemplate.yaml
      argo-buildpacks apply app.yaml
      argo-buildpacks submit my-app --tag 1.4.2 --wait
    """


# --------------------------------------------------------------------------- offline

_MANIFEST_FORMAT = click.option(
    "--output",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
    help="Manifest format.",
)


@cli.command()
@click.option(
    "-f",
    "--file",
    "config_file",
    metavar="CONFIG.yaml",
    help="Build config file ('-' reads stdin); flags override its keys.",
)
@build_flag_options
@template_options
@click.option(
    "-o",
    "--output-file",
    metavar="FILE",
    help="Write to FILE (parent directories are created) instead of stdout.",
)
@_MANIFEST_FORMAT
@click.option(
    "--library",
    metavar="NAME",
    help="Render a thin template that calls the components of the library NAME "
    "(see 'argo-buildpacks library'); needs --library-file.",
)
@click.option(
    "--library-file",
    metavar="FILE",
    help="The library NAME as installed (the file 'argo-buildpacks library -o' wrote, or "
    "'kubectl get clusterworkflowtemplate NAME -o yaml'): the app is checked against its "
    "builder and settings.",
)
def render(
    config_file: str | None,
    template_options: dict[str, Any],
    output_file: str | None,
    fmt: str,
    library: str | None,
    library_file: str | None,
    **flags: Any,
) -> None:
    """Render a build config to a WorkflowTemplate manifest.

    The config comes from a file (-f), from flags, or from a file with flags overriding
    some of its keys. Flag values are validated exactly as config keys are.

    With trigger, schedule or deploy in the config, every object it implies is written
    as one stream that 'kubectl apply -f -' accepts: ServiceAccounts, Roles and
    RoleBindings, the WorkflowTemplate, the EventSource, Sensor and CronWorkflow.

    \b
    Examples:
      argo-buildpacks render -f app.yaml
      argo-buildpacks render -f app.yaml --mode pack-dind --allow-privileged -o wt.yaml
      argo-buildpacks render --name my-app --repo https://github.com/acme/my-app.git \\
          --image ghcr.io/acme/my-app --output json
      argo-buildpacks render -f app.yaml --library argo-buildpacks --library-file lib.yaml
    """
    config = config_from(config_file, flags)  # bad input fails before Hera is imported
    if library_file is not None and library is None:
        raise ConfigError("--library-file needs --library NAME: the library to call")
    if library is None:
        # Every object the config implies (RBAC, EventSource, Sensor, CronWorkflow when
        # configured): one multi-document stream `kubectl apply -f -` accepts.
        from argo_buildpacks.rbac import release_manifests

        docs = release_manifests(config, **template_options)
        template: Any = (
            docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}
        )
    else:
        from argo_buildpacks.library import app_template

        if template_options["mode"] or template_options["allow_privileged"]:
            raise ConfigError(
                "--library: library mode is daemonless; drop --mode/--allow-privileged"
            )
        if config.trigger or config.schedule or config.deploy:
            raise ConfigError(
                "--library renders the build only; trigger, schedule and deploy need the "
                "full template: drop --library"
            )
        layout = template_options["layout"]
        if layout:
            config = config.model_copy(update={"layout": layout})
        if library_file is None:
            raise ConfigError(
                f"--library {library}: give the library as installed with --library-file FILE "
                "(from 'argo-buildpacks library -o FILE' or 'kubectl get "
                f"clusterworkflowtemplate {library} -o yaml'); the app is checked against it"
            )
        lib = _installed_library(library_file, library)
        template = app_template(config, lib, kind=template_options["kind"])
    _write(_format(template, fmt), output_file)
    if output_file not in (None, "-"):
        kind = template_options["kind"]
        click.echo(f"wrote {output_file}: {kind} {config.name}", err=True)


def _installed_library(path: str, name: str) -> Any:
    """The ClusterWorkflowTemplate ``name`` from the manifest file ``path`` (one document or
    several), as Hera reads it back: the real library, never one made from the app's config."""
    from pathlib import Path

    import yaml
    from hera.workflows import ClusterWorkflowTemplate

    try:
        text = Path(path).read_text(encoding="utf-8")
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except OSError as exc:
        raise ConfigError(f"--library-file {path}: cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"--library-file {path}: not YAML: {exc}") from None
    found = [
        d
        for d in docs
        if d.get("kind") == "ClusterWorkflowTemplate"
        and (d.get("metadata") or {}).get("name") == name
    ]
    if not found:
        have = [
            f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}"
            for d in docs
            if d.get("kind")
        ]
        raise ConfigError(
            f"--library-file {path}: no ClusterWorkflowTemplate named {name!r} "
            f"(found: {', '.join(have) or 'nothing'})"
        )
    try:
        return ClusterWorkflowTemplate.from_dict(found[0])
    except Exception as exc:  # a malformed manifest is user input: one line, exit 2
        raise ConfigError(
            f"--library-file {path}: not a valid ClusterWorkflowTemplate: {exc}"
        ) from None


def _format(obj: Any, fmt: str) -> str:
    from argo_buildpacks.pipeline import render as render_yaml
    from argo_buildpacks.pipeline import to_manifest

    if fmt == "json":
        return json.dumps(to_manifest(obj), indent=2) + "\n"
    if isinstance(obj, dict) and obj.get("kind") == "List":  # a stream of documents
        return render_yaml(obj["items"])
    return render_yaml(obj)


@cli.command("library")
@click.option("--name", default="argo-buildpacks", show_default=True, help="The library's name.")
@click.option(
    "--builder",
    default="paketobuildpacks/builder-jammy-base:0.4.642",
    show_default=True,
    metavar="IMAGE",
    help="A known builder image (its uid/gid become the pods'); one library per builder.",
)
@click.option(
    "--registry",
    "registries",
    multiple=True,
    required=True,
    metavar="REGISTRY",
    help="A registry (host[:port]) or repository prefix builds may push to; repeat for more.",
)
@click.option(
    "--git-host",
    "git_hosts",
    multiple=True,
    metavar="HOST",
    help="A git host that receives the namespace's git credentials; repeat for more.",
)
@click.option(
    "-o",
    "--output-file",
    metavar="FILE",
    help="Write to FILE (parent directories are created) instead of stdout.",
)
@_MANIFEST_FORMAT
def library_command(
    name: str,
    builder: str,
    registries: tuple[str, ...],
    git_hosts: tuple[str, ...],
    output_file: str | None,
    fmt: str,
) -> None:
    """Render the components as one ClusterWorkflowTemplate for every app to call.

    Apply it once; render each app with 'render --library NAME'. The library fixes the
    builder (its uid/gid), the helper images, resources and retries, and everything that
    grants access: the Secrets (the run namespace's argo-buildpacks-git and
    argo-buildpacks-registry), the registries builds push to and the git hosts that get
    credentials. The rest is per app.

    \b
    Examples:
      argo-buildpacks library --registry ghcr.io/acme --git-host github.com -o library.yaml
      argo-buildpacks apply library.yaml
      argo-buildpacks render -f app.yaml --library argo-buildpacks --library-file library.yaml \\
          -o app.yaml
    """
    from argo_buildpacks._validate import dns_label
    from argo_buildpacks.config import Builder

    try:
        dns_label(name, what="--name")
        resolved = Builder.from_image(builder)
    except ValueError as exc:
        raise ConfigError(f"--builder: {exc}" if "builder" in str(exc) else str(exc)) from None
    from argo_buildpacks.library import library_template

    lib = library_template(name=name, builder=resolved, registries=registries, git_hosts=git_hosts)
    _write(_format(lib, fmt), output_file)
    if output_file not in (None, "-"):
        click.echo(f"wrote {output_file}: ClusterWorkflowTemplate {name}", err=True)


def _manifests_text(path: str, text: str) -> tuple[str, int]:
    """The YAML of the manifests in a file (a build config is rendered first), and how many
    documents it holds."""
    import yaml

    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return text, 1  # lint reports the YAML error with its position
    if len(documents) == 1 and looks_like_config(documents[0]):
        from argo_buildpacks.config import BuildConfig
        from argo_buildpacks.pipeline import render as render_yaml
        from argo_buildpacks.pipeline import workflow_template

        config = BuildConfig.from_yaml(text, source="<stdin>" if path == "-" else path)
        # Rendering for a check sends nothing anywhere, so privileged modes are checked too.
        return render_yaml(workflow_template(config, allow_privileged=True)), 1
    return text, len(documents)


def _finding_json(path: str, finding: Finding) -> dict[str, str]:
    return {
        "file": path,
        "document": finding.document,
        "path": finding.path,
        "message": finding.message,
        "severity": finding.severity,
    }


@cli.command("lint")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@_OUTPUT
def lint_command(files: tuple[str, ...], strict: bool, output: str) -> None:
    """Check manifests offline, as `argo lint --strict` would.

    Each FILE holds Argo manifests (one or several YAML documents) or a build config,
    which is rendered and its WorkflowTemplate checked. The files are checked as one set,
    so a templateRef in one resolves to a library in another. Findings are printed as
    `FILE: [DOCUMENT: ]PATH: MESSAGE`; the exit status is 1 when there is an error
    (with --strict, any finding). Warnings are what could not be checked offline.

    \b
    Examples:
      argo-buildpacks lint build/app.workflowtemplate.yaml
      argo-buildpacks render -f app.yaml | argo-buildpacks lint -
    """
    import yaml

    from argo_buildpacks.linting import lint

    texts = [(path, *_manifests_text(path, read_text(path))) for path in files]
    parsed: dict[str, list[Any]] = {}
    for path, text, _ in texts:
        try:
            parsed[path] = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
        except yaml.YAMLError:
            parsed[path] = []  # lint reports it for this file
    results: list[tuple[str, Finding, bool]] = []
    for path, text, documents in texts:
        # The files are one set: a templateRef in one resolves to a library in another.
        others = [d for other, docs in parsed.items() if other != path for d in docs]
        results += [(path, f, documents > 1) for f in lint(text, context=others)]
    if output == "json":
        _echo_json([_finding_json(path, f) for path, f, _ in results])
    else:
        for path, finding, several in results:
            parts = [path, finding.document if several else "", finding.path, finding.message]
            if finding.severity != "error":
                parts[-1] = f"{finding.severity}: {finding.message}"
            click.echo(": ".join(p for p in parts if p))
        count = len(results)
        what = f"{count} finding{'s' * (count != 1)}" if count else "no findings"
        click.echo(f"{what} in {len(files)} file{'s' * (len(files) != 1)}", err=True)
    if any(f.severity == "error" or strict for _, f, _ in results):
        sys.exit(1)


# --------------------------------------------------------------------------- server


def _load_templates(
    files: Sequence[str], options: Mapping[str, Any], namespace: str, explicit: bool
) -> list[tuple[str, dict[str, Any]]]:
    """Every template manifest to apply, checked before anything is sent.

    A build config without a ``namespace`` key, like a manifest without
    ``metadata.namespace``, goes to ``namespace``; one given ``explicit``-ly on the command
    line must agree with the namespace a file names.
    """
    import yaml

    from argo_buildpacks.config import BuildConfig
    from argo_buildpacks.linting import lint
    from argo_buildpacks.pipeline import to_manifest, workflow_template

    items: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        text = read_text(path)
        source = "<stdin>" if path == "-" else path
        try:
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
        if len(documents) == 1 and looks_like_config(documents[0]):
            data = {"namespace": namespace, **documents[0]}
            config = BuildConfig.from_dict(data, source=source)
            items.append((source, to_manifest(workflow_template(config, **options))))
            continue
        if not documents:
            raise ConfigError(f"{source}: no YAML documents")
        for number, doc in enumerate(documents, start=1):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            if kind not in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
                raise ConfigError(
                    f"{source}: document {number} is {'a ' + kind if kind else 'not a manifest'}"
                    "; apply takes build configs and WorkflowTemplate or "
                    "ClusterWorkflowTemplate manifests (run a template with submit)"
                )
            items.append((source, doc))
    if explicit:
        for source, manifest in items:
            given = (manifest.get("metadata") or {}).get("namespace")
            if manifest["kind"] == "WorkflowTemplate" and given and given != namespace:
                raise ConfigError(
                    f"{source}: {manifest['kind']} {manifest['metadata'].get('name')!r} is in "
                    f"namespace {given!r}, not {namespace!r} given by -n/--namespace"
                )
    findings = lint([m for _, m in items])
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise LintError(
            f"not applied: {len(errors)} lint error(s): " + "; ".join(map(str, errors)), errors
        )
    return items


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@template_options
@server_options
@_OUTPUT
def apply(
    files: tuple[str, ...],
    template_options: dict[str, Any],
    server: ServerSettings,
    output: str,
) -> None:
    """Create or update WorkflowTemplates on the Argo server.

    Each FILE is a build config (rendered first, with the template options) or YAML
    manifests of WorkflowTemplates / ClusterWorkflowTemplates. Everything is linted before
    anything is sent. Prints created, updated or unchanged for each template.

    \b
    Examples:
      argo-buildpacks apply app.yaml
      argo-buildpacks apply build/*.workflowtemplate.yaml -n ci --output json
    """
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("namespace") == click.core.ParameterSource.COMMANDLINE
    items = _load_templates(files, template_options, server.namespace, explicit)
    results = []
    with server.connect() as client:
        for _, manifest in items:
            result = client.apply(manifest)
            results.append(result)
            if output == "text":
                where = f"{result.namespace}/" if result.namespace else ""
                click.echo(
                    f"{result.kind} {where}{result.name} {result.action} "
                    f"(resourceVersion {result.resource_version})"
                )
    if output == "json":
        import dataclasses

        _echo_json([dataclasses.asdict(r) for r in results])


def _key_values(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint=f"'{option}'")
        pairs[key] = value
    return pairs


@cli.command()
@click.argument("name", metavar="NAME")
@click.option("--tag", metavar="VERSION", help="Version to build (SemVer; omit with tag.from_git).")
@click.option(
    "--release",
    metavar="GIT_TAG",
    help="Build the git tag GIT_TAG as its version: sets tag and revision (e.g. v1.4.2).",
)
@click.option(
    "-p", "--parameter", "parameters", metavar="KEY=VALUE", multiple=True,
    help="Workflow parameter, e.g. revision=v1.4.2 (repeatable).",
)  # fmt: skip
@click.option(
    "-l", "--label", "labels", metavar="KEY=VALUE", multiple=True,
    help="Label for the workflow (repeatable).",
)  # fmt: skip
@click.option("--cluster", is_flag=True, help="Run a ClusterWorkflowTemplate.")
@click.option("--wait", is_flag=True, help="Wait for the run to finish, showing its progress.")
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    help="With --wait: give up after this long (default 3600).",
)
@click.option(
    "--poll-interval",
    metavar="SECONDS",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="With --wait: seconds between status reads.",
)
@server_options
@_OUTPUT
def submit(
    name: str,
    tag: str | None,
    release: str | None,
    parameters: tuple[str, ...],
    labels: tuple[str, ...],
    cluster: bool,
    wait: bool,
    timeout: float | None,
    poll_interval: float,
    server: ServerSettings,
    output: str,
) -> None:
    """Run the WorkflowTemplate NAME for a version.

    With --wait, show the steps until the run finishes and print its outputs (image,
    digest, tags, commit); the exit status is 0 only if it succeeded. The live display
    is drawn on a terminal; otherwise one line is printed per change.

    \b
    Examples:
      argo-buildpacks submit my-app --tag 1.4.2
      argo-buildpacks submit my-app --tag v1.5.0-rc.1 -p revision=release-1.5 --wait
      argo-buildpacks submit my-app --tag 1.4.2 --wait --timeout 1800 --output json
      argo-buildpacks submit my-app --release v1.4.2 --wait
    """
    from argo_buildpacks.tags import SemverTag

    if timeout is not None and not wait:
        raise click.UsageError("--timeout needs --wait")
    if tag is not None:
        tag = str(SemverTag.parse(tag))  # before connecting: bad input is exit 2 either way
    params = _key_values(parameters, "--parameter")
    if release is not None:  # before connecting: a conflict is bad input (exit 2)
        from argo_buildpacks.release_config import release_arguments

        tag, params = release_arguments(release, tag=tag, parameters=params)
    label_map = _key_values(labels, "--label")
    with server.connect() as client:
        run = client.submit(name, tag, params, cluster=cluster, labels=label_map)
        if not wait:
            if output == "json":
                import dataclasses

                _echo_json(dataclasses.asdict(run))
            else:
                click.echo(f"submitted {run.namespace}/{run.name}")
                click.echo(f"  follow it: {PROG} status {run.name} -n {run.namespace}", err=True)
            return
        status = _wait(client, run, timeout or 3600.0, poll_interval, output)
    _finish(status, output)


def _wait(client: Any, run: Any, timeout: float, poll_interval: float, output: str) -> Any:
    from argo_buildpacks._cli_progress import progress_for

    # Progress goes where the result does not: stdout for text, stderr when stdout is JSON.
    err = output == "json"
    stream = sys.stderr if err else sys.stdout
    if not err:
        click.echo(f"submitted {run.namespace}/{run.name}")
    try:
        with progress_for(stream, lambda line: click.echo(line, err=err)) as progress:
            return client.wait(
                run, timeout=timeout, poll_interval=poll_interval, on_update=progress
            )
    except WaitTimeoutError as exc:
        raise WaitTimeoutError(
            f"{exc}; the run goes on: {PROG} status {run.name} -n {run.namespace}",
            last_phase=exc.last_phase,
        ) from exc
    except KeyboardInterrupt:
        click.echo(
            f"stopped waiting; the run goes on: {PROG} status {run.name} -n {run.namespace}",
            err=True,
        )
        sys.exit(130)


def _finish(status: Any, output: str) -> NoReturn:
    from argo_buildpacks._cli_progress import format_result, status_json

    if output == "json":
        _echo_json(status_json(status))
    else:
        click.echo(format_result(status))
        if not status.succeeded:
            click.echo(
                f"  see why: {PROG} logs {status.name} -n {status.namespace} "
                f"(or {PROG} status {status.name})",
                err=True,
            )
    sys.exit(0 if status.succeeded else 1)


@cli.command()
@click.argument("run", metavar="RUN")
@server_options
@_OUTPUT
def status(run: str, server: ServerSettings, output: str) -> None:
    """Show a run's phase, steps and outputs.

    The exit status is 0 whenever the status could be read, whatever the phase (use the
    JSON output's "phase" or "succeeded" in scripts).

    \b
    Examples:
      argo-buildpacks status my-app-x7k2p
      argo-buildpacks status my-app-x7k2p -n ci --output json
    """
    from argo_buildpacks._cli_progress import format_status, status_json

    with server.connect() as client:
        current = client.status(run)
    if output == "json":
        _echo_json(status_json(current))
    else:
        click.echo(format_status(current))


@cli.command()
@click.argument("run", metavar="RUN")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming until the pods finish.")
@click.option(
    "-c",
    "--container",
    metavar="NAME",
    default="main",
    show_default=True,
    help="Container to read (the build is 'main').",
)
@click.option("--pod", metavar="POD", help="Only this pod's lines.")
@server_options
@_OUTPUT
def logs(
    run: str, follow: bool, container: str, pod: str | None, server: ServerSettings, output: str
) -> None:
    """Print a run's logs as `POD: LINE` (JSON lines with --output json).

    \b
    Examples:
      argo-buildpacks logs my-app-x7k2p
      argo-buildpacks logs my-app-x7k2p --follow -c git-clone
    """
    with server.connect() as client:
        lines = client.logs(run, follow=follow, container=container, pod_name=pod)
        try:
            for line in lines:
                if output == "json":
                    click.echo(json.dumps({"pod_name": line.pod_name, "content": line.content}))
                else:
                    click.echo(f"{line.pod_name}: {line.content}")
        except KeyboardInterrupt:
            sys.exit(130)
        finally:
            close = getattr(lines, "close", None)
            if callable(close):
                close()


# --------------------------------------------------------------------------- more offline


@cli.command()
@click.argument("version", metavar="VERSION")
@click.option(
    "--floating/--no-floating",
    default=True,
    show_default=True,
    help="Include MAJOR.MINOR and MAJOR (stable releases only).",
)
@click.option("--latest", is_flag=True, help="Include 'latest' (stable releases only).")
@click.option("--image", metavar="REPOSITORY", help="Print full references REPOSITORY:TAG instead.")
@_OUTPUT
def tags(version: str, floating: bool, latest: bool, image: str | None, output: str) -> None:
    """Print the image tags a build of VERSION pushes, one per line.

    VERSION is SemVer 2.0.0 (one leading 'v' allowed); build metadata '+' becomes '_'.
    Pre-releases push only their own tag.

    \b
    Examples:
      argo-buildpacks tags v1.4.2 --latest       # 1.4.2, 1.4, 1, latest
      argo-buildpacks tags 2.0.0-rc.1 --output json
    """
    from argo_buildpacks.tags import SemverTag

    names = SemverTag.parse(version).oci_tags(floating=floating, latest=latest)
    if image is not None:
        from argo_buildpacks.images import ImageRef

        ref = ImageRef.parse(image)
        if ref.tag is not None or ref.digest is not None:
            raise ConfigError(f"--image {image!r} must have no tag or digest (use {ref.name!r})")
        names = [str(ref.with_tag(name)) for name in names]
    if output == "json":
        _echo_json(names)
    else:
        for name in names:
            click.echo(name)


@cli.command()
@click.option("-o", "--output-file", metavar="FILE", help="Write to FILE instead of stdout.")
def schema(output_file: str | None) -> None:
    """Print the JSON Schema of the build config file, for editors.

    \b
    Examples:
      argo-buildpacks schema -o .schemas/argo-buildpacks.json
      # then, at the top of app.yaml:
      # yaml-language-server: $schema=.schemas/argo-buildpacks.json
    """
    from argo_buildpacks.config import BuildConfig

    _write(json.dumps(BuildConfig.json_schema(), indent=2) + "\n", output_file)


@cli.command("_docs", hidden=True)
def docs_command() -> None:
    """Print docs/cli.md, the reference generated from every command's --help."""
    from argo_buildpacks._cli_docs import reference

    click.echo(reference(cli), nl=False)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The console script's entry point: run the command line and exit with its status."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)
    raise AssertionError("unreachable: click exits")  # pragma: no cover


if __name__ == "__main__":
    main()
