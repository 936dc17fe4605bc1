"""A monorepo: one repository, several apps, each its own image, built from one clone.

The config file is a build config (``docs/config.md``) without ``image``, plus ``apps``:
a list of ``{name, path, image}`` with per-app overrides of the build's own settings
(``builder``, ``buildpacks``, ``env``, ``resources``, images). Everything else (the source,
the tag policy, the workspace, the deadline) is the monorepo's and shared:

.. code-block:: yaml

    name: shop
    source: {url: https://github.com/acme/shop.git}
    apps:
      - {name: shop-api, path: services/api, image: ghcr.io/acme/shop-api}
      - {name: shop-web, path: web, image: ghcr.io/acme/shop-web, builder: heroku/builder:24}

`Monorepo` holds each app as a whole `argo_buildpacks.model.config.BuildConfig` (its
``source.subpath`` is the app's ``path``), so every component factory takes it as it is.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argo_buildpacks._kits import git, yaml_io
from argo_buildpacks.errors import ConfigError
from argo_buildpacks.model.config import BuildConfig

__all__ = ["APP_KEYS", "UNSUPPORTED_KEYS", "Monorepo", "is_monorepo"]

#: What an app entry may set: its name, directory and image, and the build's own settings.
APP_KEYS = (
    "name",
    "path",
    "image",
    "builder",
    "buildpacks",
    "env",
    "cache_image",
    "run_image",
    "previous_image",
    "registry_secret",
    "resources",
    "sbom",
    "creation_time",
    "log_level",
)
#: Top-level keys a monorepo config refuses, each with why.
UNSUPPORTED_KEYS = {
    "image": "each app has its own: give apps[].image",
    "trigger": "not supported for a monorepo yet: render one config per app for it",
    "schedule": "not supported for a monorepo yet: render one config per app for it",
    "deploy": "not supported for a monorepo yet: render one config per app for it",
    "sign": "not supported for a monorepo yet: render one config per app for it",
    "rebase": "not supported for a monorepo yet: render one config per app for it",
}


_STAND_IN = "registry.invalid/argo-buildpacks-monorepo"


def is_monorepo(data: object) -> bool:
    """Whether parsed config data is a monorepo config (it has an ``apps`` key)."""
    return isinstance(data, Mapping) and "apps" in data


@dataclass(frozen=True)
class Monorepo:
    """One repository's apps, built from one clone in one workflow.

    `shared` is the monorepo's own settings as a `BuildConfig` (named after the monorepo,
    with the first app's image, which nothing pushes to): the clone, the tag policy and
    everything workflow-wide come from it. `apps` are the apps' whole configs, in file order.
    """

    shared: BuildConfig
    apps: tuple[BuildConfig, ...]

    @property
    def name(self) -> str:
        """The WorkflowTemplate's name."""
        return self.shared.name

    @property
    def namespace(self) -> str:
        """The WorkflowTemplate's namespace."""
        return self.shared.namespace

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> Monorepo:
        """Validate a mapping (parsed YAML).

        Raises:
            ConfigError: naming the app (``apps[1] (shop-web)``), the key and the bad value:
                an unknown or refused key, a path that leaves the repository, two apps of one
                name or one image, or any build setting `BuildConfig` refuses.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: expected a mapping of config keys, got {type(data).__name__}"
            )
        base = dict(data)
        raw_apps = base.pop("apps", None)
        problems = [
            f"{source}: {key}: {why}" for key, why in UNSUPPORTED_KEYS.items() if key in base
        ]
        src = base.get("source")
        if isinstance(src, Mapping) and src.get("subpath") not in (None, ""):
            problems.append(
                f"{source}: source.subpath: {src['subpath']!r}: each app has its own directory; "
                "give apps[].path"
            )
        if base.get("mode", "daemonless") != "daemonless":
            problems.append(
                f"{source}: mode: {base['mode']!r}: a monorepo builds daemonless (one build pod "
                "per app, reading the one clone read-only)"
            )
        if base.get("layout", "steps") != "steps":
            problems.append(
                f"{source}: layout: {base['layout']!r}: a monorepo's builds share one clone on "
                "the workflow's volume claim: layout 'steps'"
            )
        if "image" in (base.get("overridable") or []):
            problems.append(
                f"{source}: overridable: 'image': a monorepo has one image per app, fixed when "
                "the template is installed"
            )
        if not isinstance(raw_apps, list) or not raw_apps:
            problems.append(
                f"{source}: apps: expected a non-empty list of {{name, path, image}}, got "
                f"{type(raw_apps).__name__ if raw_apps is not None else 'nothing'}"
            )
            raw_apps = []
        if problems:
            raise ConfigError("\n".join(problems))
        base.pop("image", None)
        base["layout"] = "steps"
        # The shared settings alone first (their problems reported once, at the top level),
        # on a stand-in image that nothing sees: it becomes the first app's below.
        shared = BuildConfig.from_dict({**base, "image": _STAND_IN}, source=source)
        apps = _apps(base, raw_apps, source)
        return cls(shared=shared.model_copy(update={"image": apps[0].image}), apps=tuple(apps))

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<yaml>") -> Monorepo:
        """Parse and validate YAML text (one document), with the package's safe loader.

        Raises:
            ConfigError: the text is not YAML, or the config is invalid.
        """
        data = yaml_io.load(text, source=source)
        if data is None:
            raise ConfigError(f"{source}: the file is empty")
        return cls.from_dict(data, source=source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Monorepo:
        """Load a monorepo config file (YAML).

        Raises:
            ConfigError: the file is missing, unreadable or too big, or the config is invalid.
        """
        p = Path(path)
        return cls.from_yaml(yaml_io.read_file(p, what="config file"), source=str(p))


_WHY_UNIQUE = {
    "name": ": each app's templates and outputs are named after it",
    "image": ": two builds pushing one image overwrite each other's tags",
    "cache_image": ": two apps' builds would overwrite each other's cache (give each its own)",
}


def _apps(base: Mapping[str, Any], raw_apps: Sequence[Any], source: str) -> list[BuildConfig]:
    problems: list[str] = []
    apps: list[BuildConfig] = []
    names: dict[str, str] = {}
    images: dict[str, str] = {}
    caches: dict[str, str] = {}
    for i, raw in enumerate(raw_apps):
        where = f"{source}: apps[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: expected a mapping {{name, path, image}}, got {raw!r}")
            continue
        name = raw.get("name")
        if isinstance(name, str):
            where += f" ({name})"
        unknown = sorted(str(k) for k in raw if k not in APP_KEYS)
        for key in unknown:
            hint = next(iter(difflib.get_close_matches(key, APP_KEYS, n=1)), None)
            problems.append(
                f"{where}: {key}: not an app setting"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + f"; an app may set: {', '.join(APP_KEYS)}"
            )
        for key in ("name", "path", "image"):
            if key not in raw:
                problems.append(f"{where}: {key}: required")
        if unknown or any(k not in raw for k in ("name", "path", "image")):
            continue
        path = raw["path"]
        try:
            path = git.relative_path(str(path), what="path") if isinstance(path, str) else None
        except ValueError as exc:
            problems.append(f"{where}: path: {exc}")
            continue
        if path is None:
            problems.append(
                f"{where}: path: expected a directory of the repository, got {raw['path']!r}"
            )
            continue
        own = {k: v for k, v in raw.items() if k != "path"}
        merged = {**base, **own, "source": {**dict(base.get("source") or {}), "subpath": path}}
        try:
            app = BuildConfig.from_dict(merged, source=where)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        checks = [(names, app.name, "name"), (images, app.image.name, "image")]
        if app.cache_image is not None:
            checks.append((caches, app.cache_image.name, "cache_image"))
        for seen, key, what in checks:
            if key in seen:
                problems.append(
                    f"{where}: {what}: {key!r} is also {seen[key]}'s" + _WHY_UNIQUE[what]
                )
            seen.setdefault(key, f"apps[{i}] ({app.name})")
        apps.append(app)
    if problems:
        raise ConfigError("\n".join(problems))
    return apps
