"""OCI image references.

`ImageRef` parses and validates an image reference with the grammar of
``github.com/distribution/reference`` (the one Docker, containerd and registries use)::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [ registry "/" ] repository          (at most 255 characters)
    registry         := host [ ":" port ]
    host             := domain-component ( "." domain-component )* | "[" IPv6 "]"
    domain-component := [A-Za-z0-9] | [A-Za-z0-9] [A-Za-z0-9-]* [A-Za-z0-9]
    repository       := path-component ( "/" path-component )*
    path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*
    separator        := "." | "_" | "__" | "-"+
    tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest           := algorithm ":" hex
    algorithm        := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
    hex              := [0-9a-fA-F]{32,}

The first ``/``-separated component is the registry only when it contains ``.`` or ``:``
or is ``localhost`` (Docker's rule); otherwise the whole name is a Docker Hub repository and
is kept as given: ``alpine`` stays ``alpine`` (`ImageRef.canonical` expands it to
``docker.io/library/alpine``). Host names may use upper case (they are case-insensitive);
repository paths may not.

Checks beyond the grammar, as ``go-digest`` and the network make them: the algorithm is one
``go-digest`` registers (``sha256``, ``sha384``, ``sha512``; any other is "unsupported", as
distribution's ``reference.Parse`` says), its hex is exactly 64, 96 or 128 lower-case hex
digits, and a port is a number from 1 to 65535.
"""

from __future__ import annotations

import dataclasses
import re
import string
from typing import TYPE_CHECKING, Any

from argo_buildpacks.errors import ImageRefError
from argo_buildpacks.model._scalar import string_scalar_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

__all__ = ["DOCKER_HUB", "IMAGE_TAG_MAX_LENGTH", "NAME_TOTAL_LENGTH_MAX", "ImageRef"]

#: distribution's ``NameTotalLengthMax``: the longest ``registry/repository`` allowed.
NAME_TOTAL_LENGTH_MAX = 255
#: The longest tag allowed.
IMAGE_TAG_MAX_LENGTH = 128
#: The registry a reference without one is pulled from.
DOCKER_HUB = "docker.io"

_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io"})
_MAX_PORT = 65535
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_PATH_CHARS = frozenset(string.ascii_lowercase + string.digits + "._-")
_SEPARATOR_RUN = re.compile(r"[._-]+")
_DOMAIN_COMPONENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_IPV6 = re.compile(r"\[[A-Fa-f0-9:]*:[A-Fa-f0-9:]*\]")
_PORT = re.compile(r"[0-9]+")
# Same grammar as tags.OCI_TAG_PATTERN; spelled out here so that tags may import this module.
_TAG_FIRST = frozenset(string.ascii_letters + string.digits + "_")
_TAG_CHARS = _TAG_FIRST | frozenset(".-")
_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*")
_LOWER_HEX_CHARS = frozenset(string.digits + "abcdef")
# go-digest's registered algorithms and the exact length of their lower-case hex.
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_PATH_RULE = "path components: [a-z0-9] separated by '.', '_', '__' or '-'"
_HOST_RULE = (
    "host labels: letters, digits and '-' (not first or last) joined by '.', "
    "or an IPv6 address in brackets; then an optional ':port'"
)
_TAG_RULE = "tags: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128"
_ALGORITHM_RULE = (
    "algorithms: letters and digits starting with a letter, joined by '+', '.', '_' or '-'"
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageRef:
    """A validated OCI image reference: ``[registry/]repository[:tag][@digest]``.

    Parse one with `parse`, or build it from its parts (which are validated the
    same way). It is immutable and hashable, compares by its parts, and ``str()`` gives the
    reference back exactly as written: a Docker Hub short name stays short.

    >>> ref = ImageRef.parse("paketobuildpacks/builder-jammy-base:0.4")
    >>> ref.registry, ref.repository, ref.tag, str(ref)
    (None, 'paketobuildpacks/builder-jammy-base', '0.4', 'paketobuildpacks/builder-jammy-base:0.4')
    >>> str(ref.canonical)
    'docker.io/paketobuildpacks/builder-jammy-base:0.4'

    Attributes:
        repository: the path, e.g. ``acme/app`` (lower-case).
        registry: ``host[:port]`` (``ghcr.io``, ``localhost:5000``, ``[::1]:5000``), or
            ``None`` for Docker Hub.
        tag: the tag without its ``:``, or ``None``.
        digest: ``algorithm:hex`` without its ``@``, or ``None``.

    Raises:
        ImageRefError: (from the constructor) a part is invalid; the message names the part,
            its value and what is allowed.
    """

    repository: str
    registry: str | None = None
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.repository, str):
            raise ImageRefError(
                f"image repository must be a string, got {type(self.repository).__name__}"
            )
        for part in ("registry", "tag", "digest"):
            value = getattr(self, part)
            if value is not None and not isinstance(value, str):
                raise ImageRefError(
                    f"image {part} must be a string or None, got {type(value).__name__}"
                )
        why = _problem(self)
        if why is not None:
            raise ImageRefError(f"image {str(self)!r}: {why}")

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Parse ``text`` as ``[registry/]repository[:tag][@digest]``.

        Nothing is normalised: ``str(ImageRef.parse(text)) == text``.

        Raises:
            ImageRefError: naming the input, the part that is wrong and what is allowed.
        """
        if not isinstance(text, str):
            raise ImageRefError(f"an image reference must be a string, got {type(text).__name__}")
        if not text:
            raise ImageRefError("image '': is empty; expected [registry/]repository[:tag][@digest]")
        for index, char in enumerate(text):
            if char.isspace():
                raise ImageRefError(
                    f"image {text!r}: contains whitespace {char!r} at position {index}; "
                    "an image reference has none"
                )
        if text.count("@") > 1:
            raise ImageRefError(
                f"image {text!r}: contains more than one '@'; only one digest may follow the name"
            )
        rest, at, digest = text.partition("@")
        if rest.startswith("[") and "/" not in rest:
            raise ImageRefError(
                f"image {text!r}: starts with an IPv6 registry but has no '/repository' after it"
            )
        # A ':' after the last '/' starts the tag; one before it belongs to a registry port.
        colon = rest.find(":", rest.rfind("/") + 1)
        name, tag = (rest[:colon], rest[colon + 1 :]) if colon >= 0 else (rest, None)
        first, slash, remainder = name.partition("/")
        # A '[' cannot start a path component, so it can only be meant as an IPv6 registry.
        if slash and (_looks_like_registry(first) or first.startswith("[")):
            registry, repository = first, remainder
        else:
            registry, repository = None, name
        return cls(
            registry=registry,
            repository=repository,
            tag=tag,
            digest=digest if at else None,
        )

    @property
    def name(self) -> str:
        """``registry/repository`` (just ``repository`` without a registry): no tag, no digest."""
        return self.repository if self.registry is None else f"{self.registry}/{self.repository}"

    @property
    def canonical(self) -> ImageRef:
        """The fully qualified reference, as Docker resolves it.

        A Docker Hub reference (no registry, ``docker.io`` or ``index.docker.io``) gets the
        registry ``docker.io``, and a one-component repository the ``library/`` namespace:
        ``alpine:3.20`` becomes ``docker.io/library/alpine:3.20``. Other references are
        returned unchanged. No default ``latest`` tag is added.

        Raises:
            ImageRefError: the expanded name is longer than 255 characters.
        """
        if self.registry is not None and self.registry.lower() not in _DOCKER_HUB_ALIASES:
            return self
        repository = self.repository if "/" in self.repository else f"library/{self.repository}"
        return dataclasses.replace(self, registry=DOCKER_HUB, repository=repository)

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository with ``tag`` and **no digest**.

        A new tag names a (potentially) different image, so a digest pinned to the old one
        would contradict it; it is dropped.

        Raises:
            ImageRefError: ``tag`` is not a valid tag.
        """
        return dataclasses.replace(self, tag=tag, digest=None)

    def with_digest(self, digest: str) -> ImageRef:
        """The same reference pinned to ``digest`` (``algorithm:hex``); the tag is kept.

        Raises:
            ImageRefError: ``digest`` is not a valid digest.
        """
        return dataclasses.replace(self, digest=digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    def __repr__(self) -> str:
        return f"ImageRef({str(self)!r})"

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
            "title": "OCI image reference",
            "description": (
                "An image reference, [registry/]repository[:tag][@digest]; a name without a "
                "registry is on Docker Hub."
            ),
            "examples": ["ghcr.io/acme/app:1.4.2", "paketobuildpacks/builder-jammy-base:0.4"],
        }


def _coerce(value: Any) -> ImageRef:
    if isinstance(value, ImageRef):
        return value
    if isinstance(value, str):
        return ImageRef.parse(value)
    raise ImageRefError(f"an image reference must be a string, got {type(value).__name__}")


def _looks_like_registry(component: str) -> bool:
    return component == "localhost" or "." in component or ":" in component


def _problem(ref: ImageRef) -> str | None:
    """Say what is wrong with the first bad part of ``ref``, left to right, or ``None``."""
    if ref.registry is not None:
        why = _registry_problem(ref.registry)
        if why is not None:
            return why
    why = _repository_problem(ref.repository)
    if why is not None:
        return why
    first, slash, _ = ref.repository.partition("/")
    if ref.registry is None and slash and _looks_like_registry(first):
        # Written out, it would parse back with ``first`` as the registry.
        return (
            f"repository {ref.repository!r} starts with {first!r}, which reads as a registry; "
            "pass it as the registry instead"
        )
    if len(ref.name) > NAME_TOTAL_LENGTH_MAX:
        return (
            f"name {ref.name!r} is {len(ref.name)} characters long; registry/repository "
            f"may have at most {NAME_TOTAL_LENGTH_MAX}"
        )
    if ref.tag is not None:
        why = _tag_problem(ref.tag)
        if why is not None:
            return why
    if ref.digest is not None:
        return _digest_problem(ref.digest)
    return None


def _registry_problem(registry: str) -> str | None:
    if not registry:
        return f"registry is empty ({_HOST_RULE})"
    if registry.startswith("["):
        end = registry.find("]")
        if end < 0:
            return f"registry {registry!r} opens an IPv6 address with '[' but has no ']'"
        host, rest = registry[: end + 1], registry[end + 1 :]
        if _IPV6.fullmatch(host) is None:
            return (
                f"registry {registry!r} has IPv6 address {host!r}; an IPv6 address is hex "
                "digits and at least one ':' inside the brackets"
            )
        if rest and not rest.startswith(":"):
            return f"registry {registry!r} has {rest!r} after the IPv6 address; only ':port' may"
        port = rest[1:] if rest else None
    else:
        if not _looks_like_registry(registry):
            return (
                f"registry {registry!r} must contain '.' or ':' or be 'localhost'; otherwise "
                "it reads as the first path component of a Docker Hub repository"
            )
        host, colon, port_text = registry.partition(":")
        if ":" in port_text:
            return (
                f"registry {registry!r} has more than one ':'; write an IPv6 address in "
                "brackets, e.g. '[::1]:5000'"
            )
        for label in host.split("."):
            if not label:
                return f"registry {registry!r} has an empty host label ({_HOST_RULE})"
            if _DOMAIN_COMPONENT.fullmatch(label) is None:
                return f"registry {registry!r} has invalid host label {label!r} ({_HOST_RULE})"
        port = port_text if colon else None
    if port is not None:
        if not port:
            return f"registry {registry!r} has an empty port after ':'"
        if _PORT.fullmatch(port) is None or not 1 <= int(port) <= _MAX_PORT:
            return f"registry {registry!r} has port {port!r}; a port is a number from 1 to 65535"
    return None


def _repository_problem(repository: str) -> str | None:
    if not repository:
        return f"repository is empty ({_PATH_RULE})"
    components = repository.split("/")
    if all(_PATH_COMPONENT.fullmatch(c) for c in components):
        return None
    lower = repository.lower()
    if repository.isascii() and all(_PATH_COMPONENT.fullmatch(c) for c in lower.split("/")):
        return f"repository {repository!r} must be lower-case ({_PATH_RULE})"
    for component in components:
        why = _component_problem(component)
        if why is not None:
            return f"repository {repository!r} {why} ({_PATH_RULE})"
    return f"repository {repository!r} is invalid ({_PATH_RULE})"  # pragma: no cover


def _component_problem(component: str) -> str | None:
    if not component:
        return "has an empty path component (a leading, trailing or doubled '/')"
    for char in component:
        if char not in _PATH_CHARS:
            case = ", upper case is not allowed" if char.isupper() else ""
            return f"has path component {component!r} containing {char!r}{case}"
    if component[0] in "._-":
        return f"has path component {component!r} starting with separator {component[0]!r}"
    if component[-1] in "._-":
        return f"has path component {component!r} ending with separator {component[-1]!r}"
    for match in _SEPARATOR_RUN.finditer(component):
        run = match.group()
        if run not in (".", "_", "__") and set(run) != {"-"}:
            return f"has path component {component!r} with separator {run!r}"
    return None  # pragma: no cover - the checks above cover every way to miss the pattern


def _tag_problem(tag: str) -> str | None:
    if not tag:
        return "tag is empty: give a tag after ':' or drop the ':'"
    if len(tag) > IMAGE_TAG_MAX_LENGTH:
        return f"tag {tag!r} is {len(tag)} characters long ({_TAG_RULE})"
    if tag[0] not in _TAG_FIRST:
        return f"tag {tag!r} starts with {tag[0]!r} ({_TAG_RULE})"
    for char in tag:
        if char not in _TAG_CHARS:
            return f"tag {tag!r} contains {char!r} ({_TAG_RULE})"
    return None


def _digest_problem(digest: str) -> str | None:
    if not digest:
        return "'@' is not followed by a digest (algorithm:hex, e.g. sha256:<64 hex digits>)"
    algorithm, colon, hex_part = digest.partition(":")
    if not colon:
        return f"digest {digest!r} has no ':'; a digest is algorithm:hex, e.g. sha256:<64 hex>"
    if _ALGORITHM.fullmatch(algorithm) is None:
        return f"digest {digest!r} has algorithm {algorithm!r} ({_ALGORITHM_RULE})"
    length = _DIGEST_LENGTHS.get(algorithm)
    if length is None:
        # go-digest's Digest.Validate: a well-formed digest of an algorithm it does not
        # know is ErrDigestUnsupported, and distribution's reference.Parse refuses it.
        known = ", ".join(_DIGEST_LENGTHS)
        return f"digest {digest!r}: unsupported digest algorithm {algorithm!r} (known: {known})"
    bad = next((c for c in hex_part if c not in _LOWER_HEX_CHARS), None)
    if bad is not None or len(hex_part) != length:
        found = f"contains {bad!r}" if bad is not None else f"has {len(hex_part)}"
        return (
            f"digest {digest!r}: a {algorithm} digest is exactly {length} lower-case hex "
            f"digits (0-9, a-f), this one {found}"
        )
    return None
