"""``argo-buildpacks lint``: check manifests and build configs offline, file by file.

One bad file (missing, unreadable, huge, not YAML, a config that does not validate) is a
finding for that file; the others are still checked and every result is printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from argo_buildpacks._kits.text import escape
from argo_buildpacks.cli._common import (
    echo_data,
    files_argument,
    files_option,
    gather_files,
    output_option,
)
from argo_buildpacks.cli._config import looks_like_config, read_text
from argo_buildpacks.errors import ConfigError

if TYPE_CHECKING:
    from argo_buildpacks.linting._lint import Finding

__all__ = ["lint_command"]


def _source(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _load(path: str) -> tuple[list[Any], int]:
    """The manifests of one file (a build config is rendered first) and how many documents
    it holds.

    Raises:
        ConfigError: the file cannot be read or parsed, or its config is invalid.
    """
    from argo_buildpacks._kits import yaml_io as _yaml

    source = _source(path)
    text = read_text(path)
    documents = [d for d in _yaml.load_all(text, source=source) if d is not None]
    if len(documents) == 1 and looks_like_config(documents[0]):
        from argo_buildpacks._kits.yaml_emit import to_manifest
        from argo_buildpacks.model.config import BuildConfig
        from argo_buildpacks.templates.pipeline import workflow_template

        config = BuildConfig.from_dict(documents[0], source=source)
        # Rendering for a check sends nothing anywhere, so privileged modes are checked too.
        return [to_manifest(workflow_template(config, allow_privileged=True))], 1
    return documents, len(documents)


def _file_finding(path: str, exc: Exception) -> Finding:
    from argo_buildpacks.linting._lint import Finding

    message = str(exc)
    prefix = f"{_source(path)}: "
    message = message[len(prefix) :] if message.startswith(prefix) else message
    return Finding("", " ".join(message.split()))


def _finding_json(path: str, finding: Finding) -> dict[str, str]:
    return {
        "file": path,
        "document": finding.document,
        "path": finding.path,
        "message": finding.message,
        "severity": finding.severity,
    }


class _ArgoVersion(click.Choice):  # type: ignore[type-arg]
    """The lint targets, with the reason an Argo that leaks the executor's token into the
    main containers (3.4.8 to 3.5.11) is refused."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from argo_buildpacks.linting._base import older_argo

        reason = older_argo(value) if isinstance(value, str) else None
        if reason is not None:
            self.fail(reason.replace("argo_version ", "", 1), param, ctx)
        return super().convert(value, param, ctx)


@click.command("lint")
@files_option()
@files_argument("[FILE]...")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option(
    "--argo-version",
    type=_ArgoVersion(["3.6", "3.7", "4.0", "4.1"]),
    default="4.1",
    show_default=True,
    help="The Argo release the manifests are for: fields it does not know are errors.",
)
@click.option(
    "--restricted",
    is_flag=True,
    help="Check every pod against the Pod Security Standard 'restricted' (errors).",
)
@click.option(
    "--submit",
    "submit_mode",
    is_flag=True,
    help="Check as a submission: arguments not supplied and templates not in the files are errors.",
)
@output_option("text", "json", "yaml", default="text")
def lint_command(
    file_options: tuple[str, ...],
    files: tuple[str, ...],
    strict: bool,
    argo_version: str,
    restricted: bool,
    submit_mode: bool,
    output: str,
) -> None:
    """Check manifests offline, as `argo lint --strict` would.

    Each FILE (-f, repeatable, or positional) holds Argo manifests (one or several YAML
    documents) or a build config, which is rendered and its WorkflowTemplate checked. The
    files are checked as one set, so a templateRef in one resolves to a library in
    another. A file that cannot be read or parsed is a finding of its own; the others are
    still checked. Findings are printed as `FILE: [DOCUMENT: ]PATH: MESSAGE`; the exit
    status is 1 when there is an error (with --strict, any warning too). Warnings are what
    could not be checked offline; notes (documents of other kinds, skipped as `argo lint`
    skips them) never fail the lint.

    \b
    Examples:
      argo-buildpacks lint build/app.workflowtemplate.yaml
      argo-buildpacks lint -f library.yaml -f app.yaml -o json
      argo-buildpacks lint --argo-version 3.6 --restricted app.workflowtemplate.yaml
      argo-buildpacks render -f app.yaml | argo-buildpacks lint -
    """
    from argo_buildpacks.linting._lint import lint

    paths = gather_files(file_options, files)
    if not paths:
        raise click.UsageError("give at least one file: lint FILE... or -f FILE")
    loaded: dict[str, tuple[list[Any], int]] = {}
    results: list[tuple[str, Finding, bool]] = []
    for path in paths:
        try:
            loaded[path] = _load(path)
        except (ConfigError, RecursionError, MemoryError) as exc:
            results.append((path, _file_finding(path, exc), False))
    for path, (documents, count) in loaded.items():
        # The files are one set: a templateRef in one resolves to a library in another.
        others = [d for other, (docs, _) in loaded.items() if other != path for d in docs]
        context = [d for d in others if isinstance(d, dict)]
        try:
            findings = lint(
                documents,
                context=context,
                argo_version=argo_version,
                restricted=restricted,
                submit=submit_mode,
            )
        except (ConfigError, RecursionError) as exc:
            findings = [_file_finding(path, exc)]
        except Exception as exc:  # a checker's bug must not hide the other files' results
            if click.get_current_context().find_root().params.get("debug"):
                raise
            findings = [_file_finding(path, RuntimeError(f"could not be checked: {exc!r}"))]
        results += [(path, f, count > 1) for f in findings]
    order = {path: i for i, path in enumerate(paths)}
    results.sort(key=lambda r: order[r[0]])
    if output != "text":
        echo_data([_finding_json(path, f) for path, f, _ in results], output)
    else:
        for path, finding, several in results:
            parts = [path, finding.document if several else "", finding.path, finding.message]
            if finding.severity != "error":
                parts[-1] = f"{finding.severity}: {finding.message}"
            click.echo(escape(": ".join(p for p in parts if p)))
        count = len(results)
        what = f"{count} finding{'s' * (count != 1)}" if count else "no findings"
        click.echo(f"{what} in {len(paths)} file{'s' * (len(paths) != 1)}", err=True)
    failing = ("error", "warning") if strict else ("error",)
    if any(f.severity in failing for _, f, _ in results):
        sys.exit(1)
