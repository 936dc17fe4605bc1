"""The command line's inputs: reading files, and a build config from a file and/or flags.

A config built from flags goes through the same validation as a config file
(`BuildConfig.from_dict`), and each problem is reported against the flag that
supplied the value (``--image: ...``) rather than a config key.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from argo_buildpacks.errors import ConfigError

if TYPE_CHECKING:
    from argo_buildpacks.model.config import BuildConfig

__all__ = [
    "BUILD_FLAGS",
    "Flag",
    "build_flag_options",
    "config_from",
    "looks_like_config",
    "read_text",
    "template_options",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Flag:
    """A ``render`` flag and the config key it sets.

    Attributes:
        dest: the click parameter name.
        flag: the flag as users type it (used in messages).
        key: the config key path it sets.
        required: the config cannot do without it (when no file is given).
    """

    dest: str
    flag: str
    key: tuple[str, ...]
    required: bool = False


BUILD_FLAGS: tuple[Flag, ...] = (
    Flag("name", "--name", ("name",), required=True),
    Flag("config_namespace", "--namespace", ("namespace",)),
    Flag("repo", "--repo", ("source", "url"), required=True),
    Flag("revision", "--revision", ("source", "revision")),
    Flag("subpath", "--subpath", ("source", "subpath")),
    Flag("git_token_secret", "--git-token-secret", ("source", "credentials", "https_token_secret")),
    Flag("git_ssh_secret", "--git-ssh-secret", ("source", "credentials", "ssh_key_secret")),
    Flag("image", "--image", ("image",), required=True),
    Flag("builder", "--builder", ("builder",)),
    Flag("buildpacks", "--buildpack", ("buildpacks",)),
    Flag("env", "--env", ("env",)),
    Flag("cache_image", "--cache-image", ("cache_image",)),
    Flag("run_image", "--run-image", ("run_image",)),
    Flag("registry_secret", "--registry-secret", ("registry_secret",)),
    Flag("service_account", "--service-account", ("service_account",)),
    Flag("tag_from_git", "--tag-from-git", ("tag", "from_git")),
    Flag("floating", "--floating", ("tag", "floating")),
    Flag("latest", "--latest", ("tag", "latest")),
    Flag("creation_time", "--creation-time", ("creation_time",)),
)


def build_flag_options(func: F) -> F:
    """Add the config flags of ``render`` (``--name``, ``--repo``, ``--image``...)."""
    options = [
        click.option("--name", metavar="NAME", help="Template name (config key name)."),
        click.option(
            "-n",
            "--namespace",
            "config_namespace",
            metavar="NAMESPACE",
            help="Namespace of the app's objects (config key namespace); a deploy's Role and "
            "RoleBinding stay in the namespace it deploys to.",
        ),
        click.option("--repo", metavar="URL", help="Git repository URL (source.url)."),
        click.option("--revision", metavar="REV", help="Branch, tag or full commit SHA."),
        click.option("--subpath", metavar="DIR", help="App directory inside the repository."),
        click.option("--git-token-secret", metavar="SECRET", help="Secret with an HTTPS token."),
        click.option("--git-ssh-secret", metavar="SECRET", help="Secret with an SSH key."),
        click.option("--image", metavar="REPOSITORY", help="Image to push, without a tag."),
        click.option("--builder", metavar="IMAGE", help="A known builder image."),
        click.option(
            "--buildpack",
            "buildpacks",
            metavar="ID[@VERSION]",
            multiple=True,
            help="Buildpack to use (repeatable).",
        ),
        click.option(
            "--env", metavar="NAME=VALUE", multiple=True, help="Build-time variable (repeatable)."
        ),
        click.option("--cache-image", metavar="IMAGE", help="Image holding the build cache."),
        click.option("--run-image", metavar="IMAGE", help="Run image to build on."),
        click.option("--registry-secret", metavar="SECRET", help="Docker config Secret to push."),
        click.option("--service-account", metavar="NAME", help="ServiceAccount of the pods."),
        click.option(
            "--tag-from-git/--no-tag-from-git",
            default=None,
            help="Allow an empty tag: derive it from git describe.",
        ),
        click.option(
            "--floating/--no-floating",
            default=None,
            help="Also push MAJOR.MINOR and MAJOR tags.",
        ),
        click.option("--latest/--no-latest", default=None, help="Also push 'latest'."),
        click.option(
            "--creation-time",
            type=click.Choice(["commit", "epoch", "now"]),
            help="Image creation time.",
        ),
    ]
    decorated: Callable[..., Any] = func
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]


def template_options(func: F) -> F:
    """Add ``--layout``, ``--mode``, ``--kind`` and ``--allow-privileged``."""
    options = [
        click.option(
            "--layout",
            type=click.Choice(["single-pod", "steps"]),
            help="Override the config's layout.",
        ),
        click.option(
            "--mode",
            type=click.Choice(["daemonless", "pack-dind", "pack-socket"]),
            help="Override the config's mode.",
        ),
        click.option(
            "--kind",
            type=click.Choice(["WorkflowTemplate", "ClusterWorkflowTemplate"]),
            default="WorkflowTemplate",
            show_default=True,
            help="Kind of template to make.",
        ),
        click.option(
            "--allow-privileged",
            is_flag=True,
            help="Accept privileged pods: the pack-dind and pack-socket modes, and (apply) "
            "templates that give a pod root on the node.",
        ),
    ]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        options = {key: kwargs.pop(key) for key in ("layout", "mode", "kind", "allow_privileged")}
        return func(template_options=options, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]


def read_text(path: str) -> str:
    """Read a UTF-8 file of at most `argo_buildpacks._kits.yaml_io.MAX_BYTES`; ``-`` reads stdin.

    Raises:
        ConfigError: the file is missing, a directory or a device (``/dev/zero``), too
            big, unreadable or not UTF-8 text.
    """
    from argo_buildpacks._kits import yaml_io as _yaml

    if path == "-":
        text = sys.stdin.read(_yaml.MAX_BYTES + 1)
        if len(text) > _yaml.MAX_BYTES:
            raise ConfigError(f"<stdin>: larger than {_yaml.MAX_BYTES} characters; not read")
        return text
    return _yaml.read_file(path)


def looks_like_config(document: object) -> bool:
    """Whether a parsed YAML document is a build config rather than a Kubernetes manifest."""
    return isinstance(document, Mapping) and not ({"apiVersion", "kind"} & set(document))


def config_from(path: str | None, flags: Mapping[str, Any]) -> BuildConfig:
    """The build config from a file (``path``), flags, or a file with flags overriding it.

    Args:
        path: a config file, ``-`` for standard input, or ``None``.
        flags: the click parameters of `build_flag_options` (``None``/empty: not given).

    Raises:
        ConfigError: one line per problem, naming the flag (``--image: ...``) for values
            that came from flags and ``FILE: key: ...`` for values from the file.
        click.UsageError: neither a file nor the required flags were given.
    """
    from argo_buildpacks.model.config import BuildConfig

    given = [f for f in BUILD_FLAGS if flags.get(f.dest) not in (None, ())]
    if path is not None and not given:
        return BuildConfig.from_yaml(read_text(path), source=_source(path))
    if path is None and not given:
        raise click.UsageError(
            "give a config file with -f CONFIG.yaml, or at least --name, --repo and --image"
        )
    data = _load_mapping(path) if path is not None else {}
    _apply_flags(data, given, flags)
    return _validate(data, _source(path) if path is not None else "flags", given, path is None)


def _source(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _load_mapping(path: str) -> dict[str, Any]:
    from argo_buildpacks._kits import yaml_io as _yaml

    source = _source(path)
    data = _yaml.load(read_text(path), source=source)
    if data is None:
        raise ConfigError(f"{source}: the file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of config keys, got {type(data).__name__}")
    return data


def _apply_flags(data: dict[str, Any], given: Sequence[Flag], flags: Mapping[str, Any]) -> None:
    if any(flag.key[:2] == ("source", "credentials") for flag in given):
        # A credential flag replaces the file's credentials: there may be only one kind.
        _child(data, "source")["credentials"] = {}
    for flag in given:
        value = flags[flag.dest]
        if flag.dest == "env":
            env = data.get("env")
            value = {**(env if isinstance(env, dict) else {}), **_pairs(value)}
        elif flag.dest == "buildpacks":
            value = list(value)
        parent = data
        for part in flag.key[:-1]:
            parent = _child(parent, part)
        parent[flag.key[-1]] = value


def _child(parent: dict[str, Any], key: str) -> dict[str, Any]:
    child = parent.get(key)
    if not isinstance(child, dict):
        child = {}
        parent[key] = child
    return child


def _pairs(values: Sequence[str]) -> dict[str, str]:
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="'--env'")
        pairs[key] = value
    return pairs


def _validate(
    data: dict[str, Any], source: str, given: Sequence[Flag], flags_only: bool
) -> BuildConfig:
    from argo_buildpacks.model.config import BuildConfig

    try:
        return BuildConfig.from_dict(data, source=source)
    except ConfigError as exc:
        errors = exc.errors()
        lines = str(exc).split("\n")
        if len(lines) != len(errors):  # pragma: no cover - one line per error by contract
            raise ConfigError("\n".join(lines)) from None
        out = [
            _for_flag(err, line, source, given, flags_only)
            for err, line in zip(errors, lines, strict=True)
        ]
        raise ConfigError("\n".join(out)) from None


def _for_flag(
    err: Mapping[str, Any], line: str, source: str, given: Sequence[Flag], flags_only: bool
) -> str:
    """Say ``--flag: message`` for a problem in a value that a flag supplied."""
    loc = tuple(str(p) for p in err["loc"] if p != "[key]")
    prefix = f"{source}: {'.'.join(loc) or '(top level)'}: "
    message = line[len(prefix) :] if line.startswith(prefix) else None
    if err["type"] == "missing" and flags_only:
        for flag in BUILD_FLAGS:
            if flag.required and flag.key[: len(loc)] == loc:
                return f"{flag.flag}: required (or give a config file with -f CONFIG.yaml)"
    if message is None:
        return line
    for flag in sorted(given, key=lambda f: -len(f.key)):
        if loc[: len(flag.key)] == flag.key:
            return f"{flag.flag}: {message}"
    return line
