"""What lets a plain value class (`SemverTag`, `ImageRef`) be a pydantic field: validated
from a string by its own parser, written back as its string form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_core import CoreSchema

__all__ = ["string_scalar_schema"]


def string_scalar_schema(coerce: Callable[[Any], Any]) -> CoreSchema:
    """The core schema of a type parsed by ``coerce`` and serialised as ``str(value)``."""
    # Imported when a pydantic model uses the type: the type alone stays light to import.
    from pydantic_core import core_schema

    return core_schema.no_info_plain_validator_function(
        coerce, serialization=core_schema.plain_serializer_function_ser_schema(str)
    )
