"""Semantic versions as image tags.

`SemverTag` is a SemVer 2.0.0 version (parsed by the ``semver`` package) plus what a
build needs from it: the OCI tag it is pushed as, the floating tags a stable release may also
move, and the mapping from ``git describe --tags --long`` output. The in-cluster tag check
(`argo_buildpacks.components.tag_check`) applies exactly these rules in POSIX ``sh``.
"""

from __future__ import annotations

import re
from functools import total_ordering
from typing import TYPE_CHECKING, Any

import semver

from argo_buildpacks.errors import TagError
from argo_buildpacks.model._scalar import string_scalar_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

__all__ = ["OCI_TAG_MAX_LENGTH", "OCI_TAG_PATTERN", "SemverTag"]

#: The OCI distribution spec's tag grammar.
OCI_TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
OCI_TAG_MAX_LENGTH = 128
_OCI_TAG = re.compile(OCI_TAG_PATTERN)

_ALLOWED = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-")
_NUMERIC = re.compile(r"[0-9]+")
_DESCRIBE = re.compile(r"(?P<tag>.+)-(?P<distance>0|[1-9][0-9]*)-g(?P<sha>[0-9a-f]{4,64})")
_BARE_SHA = re.compile(r"[0-9a-f]{4,64}")
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _explain(text: str) -> str | None:
    """Say which SemVer 2.0.0 rule ``text`` (already without its ``v``) breaks, or ``None``."""
    if not text:
        return "it is empty"
    for ch in text:
        if ch.isspace():
            return "it contains whitespace"
        if ch not in _ALLOWED:
            return f"it contains {ch!r}; only ASCII letters, digits, '.', '-' and '+' are allowed"
    if text.count("+") > 1:
        return (
            "it has a second '+'; build metadata is one '+' followed by dot-separated identifiers"
        )
    rest, _, build = text.partition("+")
    core, dash, pre = rest.partition("-")
    parts = core.split(".")
    if len(parts) != 3:
        return f"its core {core!r} is not MAJOR.MINOR.PATCH (three dot-separated numbers)"
    for label, part in zip(("MAJOR", "MINOR", "PATCH"), parts, strict=True):
        if not part:
            return f"{label} is empty"
        if not _NUMERIC.fullmatch(part):
            return f"{label} {part!r} is not a number"
        if len(part) > 1 and part[0] == "0":
            return f"{label} {part!r} has a leading zero"
    if dash:
        for ident in pre.split("."):
            if not ident:
                return f"the pre-release {pre!r} has an empty identifier"
            if _NUMERIC.fullmatch(ident) and len(ident) > 1 and ident[0] == "0":
                return f"the pre-release identifier {ident!r} is numeric with a leading zero"
    if "+" in text:
        for ident in build.split("."):
            if not ident:
                return f"the build metadata {build!r} has an empty identifier"
    return None


@total_ordering
class SemverTag:
    """A validated SemVer 2.0.0 version, used as an image tag.

    Create one with `parse` (which accepts one leading ``v``) or
    `from_git_describe`. Versions compare by SemVer precedence (build metadata is
    ignored for ordering); ``==`` compares the whole version, build metadata included.

    >>> v = SemverTag.parse("v1.4.2+build.7")
    >>> str(v), v.oci_tag, v.floating_tags(latest=True)
    ('1.4.2+build.7', '1.4.2_build.7', ['1.4', '1', 'latest'])
    """

    __slots__ = ("_version",)

    def __init__(
        self,
        major: int,
        minor: int,
        patch: int,
        prerelease: str | None = None,
        build: str | None = None,
    ) -> None:
        text = f"{major}.{minor}.{patch}"
        if prerelease is not None:
            text += f"-{prerelease}"
        if build is not None:
            text += f"+{build}"
        self._version = _parse_semver(text, text)

    @classmethod
    def parse(cls, text: str) -> SemverTag:
        """Parse ``text`` as SemVer 2.0.0, allowing one leading ``v`` (normalised away).

        Raises:
            TagError: naming the input and the rule it breaks.
        """
        if not isinstance(text, str):
            raise TagError(f"version must be a string, got {type(text).__name__}")
        bare = text[1:] if text.startswith("v") else text
        # Capped before parsing, in bytes as the in-cluster check counts them.
        size = len(bare.encode("utf-8", "surrogatepass"))
        if size > OCI_TAG_MAX_LENGTH:
            raise TagError(
                f"the version is {size} bytes long; a version has at most {OCI_TAG_MAX_LENGTH} "
                "(an OCI tag's limit), not counting one leading 'v'"
            )
        tag = cls.__new__(cls)
        tag._version = _parse_semver(bare, text)
        return tag

    @classmethod
    def from_git_describe(cls, text: str, *, fallback: bool = False) -> SemverTag:
        """Map ``git describe --tags --long [--always]`` output to a version.

        * ``v1.4.2-0-gabc1234`` (the commit is tagged): ``1.4.2``.
        * ``v1.4.2-3-gabc1234`` (3 commits after the tag): the next patch as a development
          pre-release with the commit as build metadata, ``1.4.3-dev.3+gabc1234``. After a
          pre-release tag the pre-release is extended instead, so the result still sorts
          before the coming release: ``v2.0.0-rc.1-3-gabc1234`` gives
          ``2.0.0-rc.1.dev.3+gabc1234``.
        * ``abc1234`` (no tag reachable, from ``--always``): a `TagError`, unless
          ``fallback=True``, which gives ``0.0.0-dev+gabc1234``.

        Build metadata of the tag itself is dropped when commits follow it.

        Raises:
            TagError: the output is not a string or not describe output, or its tag is
                not SemVer.
        """
        if not isinstance(text, str):
            raise TagError(f"git describe output must be a string, got {type(text).__name__}")
        # ASCII whitespace only, as the in-cluster script strips it: git writes a newline.
        out = text.strip(_ASCII_SPACE)
        match = _DESCRIBE.fullmatch(out)
        if match is None:
            if _BARE_SHA.fullmatch(out):
                if fallback:
                    return cls(0, 0, 0, "dev", f"g{out}")
                raise TagError(
                    f"git describe output {out!r} names no tag: no tag is reachable from the "
                    "commit (tag a release, or pass fallback=True for 0.0.0-dev+g<sha>)"
                )
            raise TagError(f"{out!r} is not `git describe --tags --long` output (TAG-N-gSHA)")
        try:
            base = cls.parse(match["tag"])
        except TagError as exc:
            raise TagError(f"git describe found tag {match['tag']!r}, which {exc}") from None
        distance, sha = int(match["distance"]), match["sha"]
        if distance == 0:
            return base
        if base.prerelease is not None:
            return cls(
                base.major, base.minor, base.patch, f"{base.prerelease}.dev.{distance}", f"g{sha}"
            )
        return cls(base.major, base.minor, base.patch + 1, f"dev.{distance}", f"g{sha}")

    @property
    def major(self) -> int:
        """The MAJOR number."""
        return int(self._version.major)

    @property
    def minor(self) -> int:
        """The MINOR number."""
        return int(self._version.minor)

    @property
    def patch(self) -> int:
        """The PATCH number."""
        return int(self._version.patch)

    @property
    def prerelease(self) -> str | None:
        """The pre-release part without its ``-``, or ``None``."""
        value = self._version.prerelease
        return None if value is None else str(value)

    @property
    def build(self) -> str | None:
        """The build metadata without its ``+``, or ``None``."""
        value = self._version.build
        return None if value is None else str(value)

    @property
    def is_prerelease(self) -> bool:
        """Whether this is a pre-release (floating tags are never pushed for one)."""
        return self._version.prerelease is not None

    @property
    def oci_tag(self) -> str:
        """The image tag: the version with ``+`` replaced by ``_`` (as Helm does).

        Raises:
            TagError: the result is longer than the 128 characters an OCI tag may have.
        """
        tag = str(self).replace("+", "_")
        if len(tag) > OCI_TAG_MAX_LENGTH:
            raise TagError(
                f"version {str(self)!r} is {len(tag)} characters long; an OCI tag may have at "
                f"most {OCI_TAG_MAX_LENGTH} (shorten the pre-release or build metadata)"
            )
        # Cannot fail for a valid SemVer version; kept as a guard on the grammar.
        if not _OCI_TAG.fullmatch(tag):  # pragma: no cover
            raise TagError(f"{tag!r} is not a valid OCI tag")
        return tag

    def floating_tags(self, latest: bool = False) -> list[str]:
        """The extra tags a stable release may also push: ``MAJOR.MINOR``, ``MAJOR``
        and, when ``latest``, ``latest``. Empty for a pre-release."""
        if self.is_prerelease:
            return []
        tags = [f"{self.major}.{self.minor}", f"{self.major}"]
        if latest:
            tags.append("latest")
        return tags

    def oci_tags(self, floating: bool = True, latest: bool = False) -> list[str]:
        """Every tag a build of this version pushes: `oci_tag` first."""
        return [self.oci_tag, *(self.floating_tags(latest) if floating else [])]

    def __str__(self) -> str:
        return str(self._version)

    def __repr__(self) -> str:
        return f"SemverTag({str(self)!r})"

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SemverTag):
            return NotImplemented
        return str(self) == str(other)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemverTag):
            return NotImplemented
        return bool(self._version.compare(other._version) < 0)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, SemverTag):
            return NotImplemented
        return bool(self._version.compare(other._version) <= 0)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return string_scalar_schema(_coerce)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "title": "SemVer 2.0.0 version",
            "description": "A SemVer 2.0.0 version; one leading 'v' is accepted.",
            "examples": ["1.4.2", "v2.0.0-rc.1"],
        }


def _coerce(value: Any) -> SemverTag:
    if isinstance(value, SemverTag):
        return value
    if isinstance(value, str):
        return SemverTag.parse(value)
    raise TagError(f"a version must be a string, got {type(value).__name__}")


def _parse_semver(bare: str, original: str) -> semver.Version:
    why = _explain(bare)
    if why is None:
        try:
            return semver.Version.parse(bare)
        except ValueError:  # pragma: no cover - _explain is at least as strict
            why = "it is not SemVer 2.0.0"
    if original.startswith("v") and bare.startswith(("v", "V")):
        why = "only one leading 'v' is allowed"
    elif original.startswith("V"):
        why = "only a lower-case leading 'v' is allowed"
    raise TagError(f"{original!r} is not a SemVer 2.0.0 version: {why}")
