"""The offline commands that make things: ``render``, ``library``, ``tags`` and ``schema``.

Hera is imported inside the commands, after the input has been checked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from argo_buildpacks.cli._common import (
    echo_data,
    files_argument,
    files_option,
    gather_files,
    output_file_option,
    output_option,
    resource_name,
    summary,
    write,
)
from argo_buildpacks.cli._config import (
    BUILD_FLAGS,
    build_flag_options,
    config_from,
    read_text,
    template_options,
)
from argo_buildpacks.errors import ConfigError

__all__ = ["format_manifests", "library_command", "render", "schema", "tags"]


def format_manifests(objs: Sequence[Any], output: str) -> str:
    """Manifests as a YAML stream, JSON (a ``List`` when several, as kubectl prints) or
    ``kind[.group]/name`` lines (``-o name``, see `resource_name`)."""
    from argo_buildpacks._kits.yaml_emit import render as render_yaml
    from argo_buildpacks._kits.yaml_emit import to_manifest

    if output == "yaml":
        return render_yaml(list(objs))
    manifests = [to_manifest(obj) for obj in objs]
    if output == "name":
        return "".join(f"{_name_of(m)}\n" for m in manifests)
    data: Any = (
        manifests[0]
        if len(manifests) == 1
        else {"apiVersion": "v1", "kind": "List", "items": manifests}
    )
    return json.dumps(data, indent=2) + "\n"


def _name_of(manifest: dict[str, Any]) -> str:
    name = str((manifest.get("metadata") or {}).get("name"))
    return resource_name(str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")), name)


@click.command()
@files_option("CONFIG.yaml")
@files_argument("[CONFIG.yaml]...")
@build_flag_options
@template_options
@output_option("yaml", "json", "name", default="yaml")
@output_file_option
@click.option(
    "--library",
    metavar="NAME",
    help="Render a thin template that calls the components of the library NAME "
    "(see 'argo-buildpacks library'); needs --library-file.",
)
@click.option(
    "--library-file",
    metavar="FILE",
    help="The library NAME as installed (the file 'argo-buildpacks library --output-file' "
    "wrote, or 'kubectl get clusterworkflowtemplate NAME -o yaml'): the app is checked "
    "against its builder and settings.",
)
def render(
    file_options: tuple[str, ...],
    files: tuple[str, ...],
    template_options: dict[str, Any],
    output: str,
    output_file: str | None,
    library: str | None,
    library_file: str | None,
    **flags: Any,
) -> None:
    """Render build configs to WorkflowTemplate manifests.

    Each config comes from a file (-f, repeatable, or positional), from flags, or from a
    file with flags overriding some of its keys (every file, when there are several).
    Flag values are validated exactly as config keys are. Several configs give one
    multi-document stream (-o json: a List).

    Every object a config implies is written as one stream that 'kubectl apply -f -'
    accepts: ServiceAccounts (always the app's executor account and its token Secret),
    Roles and RoleBindings, the WorkflowTemplate, and with trigger, schedule, deploy or
    rebase the EventSource, Sensor, CronWorkflows and rebase template. With --library the
    stream is the same, with the app's thin template (calling the library) in place of the
    full one.

    \b
    Examples:
      argo-buildpacks render -f app.yaml
      argo-buildpacks render -f app.yaml -f other.yaml > templates.yaml
      argo-buildpacks render app.yaml --mode pack-dind --allow-privileged --output-file wt.yaml
      argo-buildpacks render --name my-app --repo https://github.com/acme/my-app.git \\
          --image ghcr.io/acme/my-app -o json
      argo-buildpacks render -f app.yaml --library argo-buildpacks --library-file lib.yaml
    """
    from argo_buildpacks.model.monorepo import Monorepo

    paths = gather_files(file_options, files)
    # Bad input fails before Hera is imported. A file with `apps` is a monorepo's.
    loaded = [_load(path, flags) for path in paths] or [config_from(None, flags)]
    configs = [c for c in loaded if not isinstance(c, Monorepo)]
    monorepos = [c for c in loaded if isinstance(c, Monorepo)]
    if monorepos and (
        library is not None or template_options["layout"] or template_options["mode"]
    ):
        raise ConfigError(
            f"{monorepos[0].name}: a monorepo config renders its own layout, daemonless; drop "
            "--library, --layout and --mode"
        )
    if library_file is not None and library is None:
        raise ConfigError("--library-file needs --library NAME: the library to call")
    made: list[Any] = []
    if library is None:
        # Every object each config implies (RBAC, EventSource, Sensor, CronWorkflow when
        # configured): one multi-document stream `kubectl apply -f -` accepts.
        from argo_buildpacks.templates.rbac import release_manifests

        for config in configs:
            made += release_manifests(config, **template_options)
        if monorepos:
            from argo_buildpacks.templates.monorepo import monorepo_manifests

            for mono in monorepos:
                made += monorepo_manifests(mono, kind=template_options["kind"])
    else:
        from argo_buildpacks.templates.app import app_manifests

        if template_options["mode"] or template_options["allow_privileged"]:
            raise ConfigError(
                "--library: library mode is daemonless; drop --mode/--allow-privileged"
            )
        if library_file is None:
            raise ConfigError(
                f"--library {library}: give the library as installed with --library-file FILE "
                "(from 'argo-buildpacks library --output-file FILE' or 'kubectl get "
                f"clusterworkflowtemplate {library} -o yaml'); the app is checked against it"
            )
        lib = _installed_library(library_file, library)
        for config in configs:
            layout = template_options["layout"]
            if layout:
                config = config.model_copy(update={"layout": layout})
            # The same objects as without --library (RBAC with the executor account and its
            # token, trigger, schedule, deploy, rebase), around the thin template.
            made += app_manifests(config, lib, kind=template_options["kind"])
    write(format_manifests(made, output), output_file)
    _wrote(output_file, made)


def _load(path: str, flags: dict[str, Any]) -> Any:
    """The config of ``path``: a `Monorepo` when the file has ``apps``, else as `config_from`
    reads it (standard input is read once, so it is always a build config)."""
    from argo_buildpacks._kits import yaml_io
    from argo_buildpacks.model.monorepo import Monorepo, is_monorepo

    if path == "-":
        return config_from(path, flags)
    data = yaml_io.load(read_text(path), source=path)
    if not is_monorepo(data):
        return config_from(path, flags)
    given = [f.flag for f in BUILD_FLAGS if flags.get(f.dest) not in (None, ())]
    if given:
        raise ConfigError(
            f"{path}: a monorepo config (it has 'apps') takes no config flags "
            f"({', '.join(given)}); "
            "set them in the file"
        )
    return Monorepo.from_dict(data, source=path)


def _wrote(output_file: str | None, objs: Sequence[Any]) -> None:
    """``wrote FILE: 5 objects (ServiceAccount/a, ..., WorkflowTemplate/app)`` on stderr."""
    if output_file in (None, "-"):
        return
    from argo_buildpacks._kits.yaml_emit import to_manifest

    click.echo(f"wrote {output_file}: {summary([to_manifest(o) for o in objs])}", err=True)


def _installed_library(path: str, name: str) -> Any:
    """The ClusterWorkflowTemplate ``name`` from the manifest file ``path`` (one document or
    several), as Hera reads it back: the real library, never one made from the app's config.

    Raises:
        ConfigError: the file cannot be read or parsed, or holds no such library.
    """
    from argo_buildpacks._kits import yaml_io as _yaml
    from argo_buildpacks.cli._config import read_text

    source = f"--library-file {path}"
    docs = [d for d in _yaml.load_all(read_text(path), source=source) if isinstance(d, dict)]
    found = [
        d
        for d in docs
        if d.get("kind") == "ClusterWorkflowTemplate"
        and (d.get("metadata") or {}).get("name") == name
    ]
    if not found:
        have = [f"{d.get('kind')}/{(d.get('metadata') or {}).get('name')}" for d in docs]
        raise ConfigError(
            f"{source}: no ClusterWorkflowTemplate named {name!r} "
            f"(found: {', '.join(have) or 'nothing'})"
        )
    from hera.workflows import ClusterWorkflowTemplate

    try:
        return ClusterWorkflowTemplate.from_dict(found[0])
    except Exception as exc:  # a malformed manifest is user input: one line, exit 2
        raise ConfigError(f"{source}: not a valid ClusterWorkflowTemplate: {exc}") from None


@click.command("library")
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
    "--resource",
    "resource_values",
    multiple=True,
    metavar="PHASE.PART.NAME=QTY",
    help="The library's resources, per key over the defaults (e.g. "
    "build.requests.memory=3Gi; PHASE build, clone or tag_check; PART requests or limits); "
    "repeat for more.",
)
@click.option(
    "--max-resource",
    "max_resource_values",
    multiple=True,
    metavar="PHASE.PART.NAME=QTY",
    help="The most an app may ask (e.g. build.limits.memory=16Gi); what is not given is "
    "capped at the library's own value. Repeat for more.",
)
@click.option(
    "--retries",
    "retry_values",
    multiple=True,
    metavar="STEP=N",
    help="Retries of every app: clone=N (extra fetch attempts), push=N (extra build/push "
    "attempts); repeat for both.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warn", "error"]),
    default="info",
    show_default=True,
    help="The lifecycle's log level for every app.",
)
@click.option("--allow-any-sha", is_flag=True, help="Let runs build commits no branch reaches.")
@click.option("--allow-pull-requests", is_flag=True, help="Let runs build pull/merge-request refs.")
@output_option("yaml", "json", "name", default="yaml")
@output_file_option
def library_command(
    name: str,
    builder: str,
    registries: tuple[str, ...],
    git_hosts: tuple[str, ...],
    resource_values: tuple[str, ...],
    max_resource_values: tuple[str, ...],
    retry_values: tuple[str, ...],
    log_level: str,
    allow_any_sha: bool,
    allow_pull_requests: bool,
    output: str,
    output_file: str | None,
) -> None:
    """Render the components as one ClusterWorkflowTemplate for every app to call.

    Apply it once; render each app with 'render --library NAME'. The library fixes the
    builder (its uid/gid), the helper images, resources and retries, and everything that
    grants access: the Secrets (the run namespace's argo-buildpacks-git and
    argo-buildpacks-registry), the registries builds push to and the git hosts that get
    credentials. The rest is per app.

    \b
    Examples:
      argo-buildpacks library --registry ghcr.io/acme --git-host github.com \\
          --output-file library.yaml
      argo-buildpacks library --registry ghcr.io/acme --max-resource build.limits.memory=16Gi \\
          --max-resource build.requests.memory=8Gi --output-file library.yaml
      argo-buildpacks render -f app.yaml --library argo-buildpacks \\
          --library-file library.yaml
      argo-buildpacks apply -f library.yaml
      argo-buildpacks render -f app.yaml --library argo-buildpacks --output-file app.yaml
    """
    from argo_buildpacks._kits.names import dns_label
    from argo_buildpacks.model.config import Builder

    try:
        dns_label(name, what="--name")
        resolved = Builder.from_image(builder)
    except ValueError as exc:
        raise ConfigError(f"--builder: {exc}" if "builder" in str(exc) else str(exc)) from None
    from argo_buildpacks.model.config import Resources, Retries
    from argo_buildpacks.templates.library import library_template

    resources = _nested("--resource", resource_values)
    retries = _pairs("--retries", retry_values)
    try:
        own = Resources.model_validate(resources) if resources else None
    except ConfigError as exc:
        raise ConfigError(f"--resource: {exc}") from None
    try:
        retry = Retries.model_validate(retries) if retries else None
    except ConfigError as exc:
        raise ConfigError(f"--retries: {exc}") from None
    lib = library_template(
        name=name,
        builder=resolved,
        registries=registries,
        git_hosts=git_hosts,
        resources=own,
        retries=retry,
        log_level=log_level,
        allow_any_sha=allow_any_sha,
        allow_pull_requests=allow_pull_requests,
        max_resources=_nested("--max-resource", max_resource_values),
    )
    write(format_manifests([lib], output), output_file)
    _wrote(output_file, [lib])


def _pairs(option: str, values: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a mapping; a value without ``=`` is named."""
    found: dict[str, str] = {}
    for value in values:
        key, eq, item = value.partition("=")
        if not eq or not key or not item:
            raise ConfigError(f"{option} {value!r}: expected KEY=VALUE (e.g. clone=5)")
        found[key.strip()] = item.strip()
    return found


def _nested(option: str, values: Sequence[str]) -> dict[str, dict[str, dict[str, str]]]:
    """``PHASE.PART.NAME=QTY`` options as ``{phase: {part: {name: qty}}}``."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for key, qty in _pairs(option, values).items():
        phase, _, rest = key.partition(".")
        part, _, resource = rest.partition(".")
        if not (phase and part and resource):
            raise ConfigError(
                f"{option} {key}={qty}: expected PHASE.PART.NAME=QTY "
                "(e.g. build.limits.memory=16Gi)"
            )
        found.setdefault(phase, {}).setdefault(part, {})[resource] = qty
    return found


@click.command()
@click.argument("version", metavar="VERSION")
@click.option(
    "--floating/--no-floating",
    default=True,
    show_default=True,
    help="Include MAJOR.MINOR and MAJOR (stable releases only).",
)
@click.option("--latest", is_flag=True, help="Include 'latest' (stable releases only).")
@click.option("--image", metavar="REPOSITORY", help="Print full references REPOSITORY:TAG instead.")
@output_option("text", "json", "yaml", default="text")
def tags(version: str, floating: bool, latest: bool, image: str | None, output: str) -> None:
    """Print the image tags a build of VERSION pushes, one per line.

    VERSION is SemVer 2.0.0 (one leading 'v' allowed); build metadata '+' becomes '_'.
    Pre-releases push only their own tag.

    \b
    Examples:
      argo-buildpacks tags v1.4.2 --latest       # 1.4.2, 1.4, 1, latest
      argo-buildpacks tags 2.0.0-rc.1 -o json
    """
    from argo_buildpacks.model.tags import SemverTag

    names = SemverTag.parse(version).oci_tags(floating=floating, latest=latest)
    if image is not None:
        from argo_buildpacks.model.images import ImageRef

        ref = ImageRef.parse(image)
        if ref.tag is not None or ref.digest is not None:
            raise ConfigError(f"--image {image!r} must have no tag or digest (use {ref.name!r})")
        names = [str(ref.with_tag(name)) for name in names]
    if output == "text":
        for name in names:
            click.echo(name)
    else:
        echo_data(names, output)


@click.command()
@output_option("json", "yaml", default="json")
@output_file_option
def schema(output: str, output_file: str | None) -> None:
    """Print the JSON Schema of the build config file, for editors.

    \b
    Examples:
      argo-buildpacks schema --output-file .schemas/argo-buildpacks.json
      # then, at the top of app.yaml:
      # yaml-language-server: $schema=.schemas/argo-buildpacks.json
    """
    from argo_buildpacks.model.config import BuildConfig

    data = BuildConfig.json_schema()
    if output == "json":
        write(json.dumps(data, indent=2) + "\n", output_file)
    else:
        import yaml

        write(yaml.safe_dump(data, sort_keys=False), output_file)
