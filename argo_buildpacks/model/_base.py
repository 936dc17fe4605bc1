"""The base of every config model, and the one place pydantic's errors become `ConfigError`.

`errors.py` promises that no pydantic ``ValidationError`` escapes the library: each way of
making a model (calling the class, ``model_validate``, ``model_validate_json``,
``model_validate_strings``, ``model_copy(update=...)``) raises `ConfigError` instead, with one
line per problem naming the key path, the bad value and what is allowed
(`format_validation_error`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic._internal._model_construction import ModelMetaclass

from argo_buildpacks.errors import ConfigError

__all__ = ["Model", "config_error", "format_validation_error"]

_M = TypeVar("_M", bound="Model")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class _RaisesConfigError(ModelMetaclass):
    """Turns the constructor's ``ValidationError`` into `ConfigError`.

    On the metaclass, not in ``__init__``: pydantic calls a model's own ``__init__`` when it
    validates it as a nested field too, and the error must stay pydantic's there so that it
    keeps its location.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise config_error(exc, cls.__name__, cast("type[BaseModel]", cls)) from None


class Model(BaseModel, metaclass=_RaisesConfigError):
    """A config section: frozen, no unknown keys, defaults validated too, no NUL or lone
    surrogate in any string; every way of making one raises `ConfigError`."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # Nested models are validated by pydantic's core, not through these class methods, so
    # an error inside keeps its location and is turned into ConfigError once, at the top.
    @classmethod
    def model_validate(cls: type[_M], obj: Any, *args: Any, **kwargs: Any) -> _M:
        """Validate ``obj`` (a mapping or an instance).

        Raises:
            ConfigError: one line per problem, ``<class>: key.path: message``.
        """
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise config_error(exc, cls.__name__, cls) from None

    @classmethod
    def model_validate_json(cls: type[_M], json_data: Any, *args: Any, **kwargs: Any) -> _M:
        """Validate JSON text.

        Raises:
            ConfigError: not JSON, or as `model_validate`.
        """
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise config_error(exc, cls.__name__, cls) from None

    @classmethod
    def model_validate_strings(cls: type[_M], obj: Any, *args: Any, **kwargs: Any) -> _M:
        """Validate a mapping of strings (as from environment variables).

        Raises:
            ConfigError: as `model_validate`.
        """
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            raise config_error(exc, cls.__name__, cls) from None

    @classmethod
    def _validated(cls: type[_M], data: Any, *, source: str) -> _M:
        """``model_validate``, with the messages starting ``<source>:`` (a file name).

        Raises:
            ConfigError: one line per problem, ``<source>: key.path: message``.
        """
        try:
            return super().model_validate(data)
        except ValidationError as exc:
            raise config_error(exc, source, cls) from None

    def model_copy(self: _M, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> _M:
        """A copy; the fields in ``update`` are validated as the constructor validates them.

        Raises:
            ConfigError: an updated value is invalid (pydantic's own ``model_copy`` would
                store it unchecked).
        """
        if not update:
            return super().model_copy(deep=deep)
        if not isinstance(update, Mapping):
            raise ConfigError(f"model_copy: update must be a mapping, not {type(update).__name__}")
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update)
        return type(self)._validated(data, source=f"{type(self).__name__}.model_copy")

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse, as the model is frozen.

        Raises:
            ConfigError: always for a field (pydantic's would be a ``ValidationError``);
                `model_copy` with ``update`` makes a changed copy.
        """
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise config_error(exc, type(self).__name__, type(self)) from None

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_or_surrogate(cls, value: Any) -> Any:
        # A NUL cannot reach a container's argument or environment, and a lone surrogate
        # cannot be encoded at all: refuse both where they are given (YAML goes through
        # _kits.yaml_io, which refuses them too; this covers the Python API and the CLI's
        # flags).
        for text, where in _strings(value, ""):
            bad = _BAD_CHARACTER.search(text)
            if bad is None:
                continue
            where = f"{where.lstrip('.')}: " if where else ""
            if bad.group() == "\x00":
                raise ValueError(f"{where}contains a NUL character")
            raise ValueError(f"{where}contains a lone surrogate, not a character")
        return value


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield value, where
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield key, where
            if not isinstance(item, BaseModel):
                yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if not isinstance(item, BaseModel):
                yield from _strings(item, f"{where}[{i}]")


def config_error(exc: ValidationError, source: str, model: type[BaseModel]) -> ConfigError:
    """``exc`` as a `ConfigError`: the message of `format_validation_error`, and ``errors()``
    as pydantic's without the input values (they may hold a credential)."""
    return ConfigError(
        format_validation_error(exc, source=source, model=model),
        errors=[
            {"loc": tuple(e["loc"]), "msg": str(e["msg"]), "type": e["type"]}
            for e in exc.errors(include_url=False)
        ],
    )


def _model_at(loc: tuple[int | str, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for "did you mean" on unknown keys)."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def format_validation_error(
    exc: ValidationError, *, source: str, model: type[BaseModel] | None = None
) -> str:
    """Turn a pydantic error into one line per problem: ``source: key.path: message``.

    Args:
        exc: the error.
        source: what the lines start with (a file name, ``BuildConfig``...).
        model: the model validated, for "did you mean" on an unknown key (without it, the
            allowed keys are not listed).
    """
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc if p != "[key]") or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1], model) if model is not None else None
            key = str(loc[-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listed = f" (allowed: {', '.join(allowed)})" if allowed else ""
            lines.append(f"{source}: {path}: unknown key {key!r}{hint}{listed}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] == "missing":
            lines.append(f"{source}: {path}: required key is missing")
        elif loc and (loc[-1] in ("url", "repo") or str(loc[-1]).endswith("_url")):
            # A URL may hold a credential: its message shows it redacted, never the input.
            lines.append(f"{source}: {path}: {msg}")
        elif isinstance(given, (str, int, float, bool)) and repr(given) not in msg:
            lines.append(f"{source}: {path}: {msg} (got {given!r})")
        else:
            lines.append(f"{source}: {path}: {msg}")
    return "\n".join(lines)
