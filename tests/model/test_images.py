"""Tests for argo_buildpacks.model.images.ImageRef."""

from __future__ import annotations

import dataclasses
import json
import re

import pydantic
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from argo_buildpacks.errors import ConfigError, ImageRefError
from argo_buildpacks.model.images import ImageRef

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "0123456789abcdef" * 8
SHA384 = "sha384:" + "0123456789abcdef" * 6

# distribution/reference regexp.go, spelled with ASCII classes (Go's \w and [[:xdigit:]]).
_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?")


# text, registry, repository, tag, digest
VALID: list[tuple[str, str | None, str, str | None, str | None]] = [
    ("alpine", None, "alpine", None, None),
    ("alpine:3.20", None, "alpine", "3.20", None),
    ("library/alpine", None, "library/alpine", None, None),
    (
        "paketobuildpacks/builder-jammy-base:0.4",
        None,
        "paketobuildpacks/builder-jammy-base",
        "0.4",
        None,
    ),
    ("ghcr.io/acme/app:1.0", "ghcr.io", "acme/app", "1.0", None),
    ("ghcr.io/acme/team/app", "ghcr.io", "acme/team/app", None, None),
    ("docker.io/library/alpine:latest", "docker.io", "library/alpine", "latest", None),
    ("registry.example.com:5000/app", "registry.example.com:5000", "app", None, None),
    ("registry.example.com:5000/app:v2", "registry.example.com:5000", "app", "v2", None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/app", "localhost:5000", "app", None, None),
    ("localhost:5000/app:dev", "localhost:5000", "app", "dev", None),
    ("localhost", None, "localhost", None, None),
    ("localhost:5000", None, "localhost", "5000", None),
    ("example.com", None, "example.com", None, None),
    ("registry:5000/app", "registry:5000", "app", None, None),
    ("127.0.0.1:5000/app", "127.0.0.1:5000", "app", None, None),
    ("[::1]:5000/app", "[::1]:5000", "app", None, None),
    ("[::1]/app:1", "[::1]", "app", "1", None),
    (
        "[2001:db8::ff00:42:8329]:443/acme/app",
        "[2001:db8::ff00:42:8329]:443",
        "acme/app",
        None,
        None,
    ),
    ("GHCR.IO/acme/app", "GHCR.IO", "acme/app", None, None),
    ("My-Registry.Example.com/app", "My-Registry.Example.com", "app", None, None),
    ("a-b.io/app", "a-b.io", "app", None, None),
    (f"app@{SHA256}", None, "app", None, SHA256),
    (f"ghcr.io/acme/app@{SHA256}", "ghcr.io", "acme/app", None, SHA256),
    (f"ghcr.io/acme/app:1.0@{SHA256}", "ghcr.io", "acme/app", "1.0", SHA256),
    (f"localhost:5000/app:1@{SHA512}", "localhost:5000", "app", "1", SHA512),
    (f"app@{SHA384}", None, "app", None, SHA384),
    ("acme/my.app", None, "acme/my.app", None, None),
    ("acme/my_app", None, "acme/my_app", None, None),
    ("acme/my__app", None, "acme/my__app", None, None),
    ("acme/my-app", None, "acme/my-app", None, None),
    ("acme/my---app", None, "acme/my---app", None, None),
    ("a/b/c/d/e/f", None, "a/b/c/d/e/f", None, None),
    ("0/1", None, "0/1", None, None),
    ("app:_", None, "app", "_", None),
    ("app:V1.0-RC_1", None, "app", "V1.0-RC_1", None),
    ("app:" + "t" * 128, None, "app", "t" * 128, None),
    ("a" * 255, None, "a" * 255, None, None),
    ("registry.io/" + "a" * 243, "registry.io", "a" * 243, None, None),
    ("app:1/2", "app:1", "2", None, None),
]

# text, a fragment the message must contain (naming the part and the rule)
INVALID: list[tuple[str, str]] = [
    ("", "is empty"),
    (" ", "whitespace"),
    ("alpine ", "whitespace ' ' at position 6"),
    (" alpine", "whitespace ' ' at position 0"),
    ("acme/ app", "whitespace"),
    ("app:1\n", "whitespace '\\n'"),
    ("app\t:1", "whitespace '\\t'"),
    ("Acme/App:1", "repository 'Acme/App' must be lower-case (path components: [a-z0-9]"),
    ("Alpine", "repository 'Alpine' must be lower-case"),
    ("ghcr.io/Acme/app", "repository 'Acme/app' must be lower-case"),
    ("LOCALHOST/app", "repository 'LOCALHOST/app' must be lower-case"),
    ("registry.io//app", "repository '/app' has an empty path component"),
    ("/app", "repository '/app' has an empty path component"),
    ("app/", "repository 'app/' has an empty path component"),
    ("acme//app", "repository 'acme//app' has an empty path component"),
    ("registry.io/", "repository is empty"),
    ("localhost:5000/", "repository is empty"),
    (":1", "repository is empty"),
    (f"@{SHA256}", "repository is empty"),
    ("-app", "path component '-app' starting with separator '-'"),
    ("_app", "starting with separator '_'"),
    (".app", "starting with separator '.'"),
    ("app-", "path component 'app-' ending with separator '-'"),
    ("acme/app_", "ending with separator '_'"),
    ("acme/app.", "ending with separator '.'"),
    ("a___b", "path component 'a___b' with separator '___'"),
    ("a..b", "with separator '..'"),
    ("a._b", "with separator '._'"),
    ("a-_b", "with separator '-_'"),
    ("acme/ca\u0301fe", "containing"),
    ("acme/app!", "path component 'app!' containing '!'"),
    ("acme/Äpp", "containing 'Ä', upper case is not allowed"),
    ("my_reg.io/app", "registry 'my_reg.io' has invalid host label 'my_reg'"),
    ("-reg.io/app", "host label '-reg'"),
    ("reg-.io/app", "host label 'reg-'"),
    ("reg..io/app", "registry 'reg..io' has an empty host label"),
    (".io/app", "registry '.io' has an empty host label"),
    ("registry.io:abc/app", "registry 'registry.io:abc' has port 'abc'; a port is a number"),
    ("registry.io:/app", "registry 'registry.io:' has an empty port"),
    ("registry.io:0/app", "has port '0'"),
    ("registry.io:65536/app", "has port '65536'; a port is a number from 1 to 65535"),
    ("registry.io:-1/app", "has port '-1'"),
    (":5000/app", "registry ':5000' has an empty host label"),
    ("::1/app", "registry '::1' has more than one ':'; write an IPv6 address in brackets"),
    ("[::1/app", "registry '[::1' opens an IPv6 address with '[' but has no ']'"),
    ("[::g]/app", "registry '[::g]' has IPv6 address '[::g]'; an IPv6 address is hex digits"),
    ("[0]/app", "registry '[0]' has IPv6 address '[0]'"),
    ("[]:5000/app", "IPv6 address '[]'"),
    ("[::1]x:5000/app", "has 'x:5000' after the IPv6 address"),
    ("[::1]:/app", "registry '[::1]:' has an empty port"),
    ("[::1]:5000", "IPv6 registry but has no '/repository'"),
    ("app:", "tag is empty"),
    ("ghcr.io/acme/app:", "tag is empty"),
    (f"app:@{SHA256}", "tag is empty"),
    ("app:" + "t" * 129, "is 129 characters long (tags:"),
    ("app:.1", "tag '.1' starts with '.'"),
    ("app:-1", "tag '-1' starts with '-'"),
    ("app:1+build", "tag '1+build' contains '+'"),
    ("app:1:2", "tag '1:2' contains ':'"),
    ("app:ä", "tag 'ä' starts with 'ä'"),
    ("app@", "'@' is not followed by a digest"),
    ("app:1@", "'@' is not followed by a digest"),
    (f"app@{SHA256}@{SHA256}", "more than one '@'"),
    ("app@sha256", "digest 'sha256' has no ':'"),
    ("app@:" + "a" * 64, "has algorithm ''"),
    ("app@1sha:" + "a" * 64, "has algorithm '1sha'"),
    ("app@sha256-:" + "a" * 64, "has algorithm 'sha256-'"),
    (
        "app@sha256:" + "a" * 63,
        "a sha256 digest is exactly 64 lower-case hex digits (0-9, a-f), this one has 63",
    ),
    ("app@sha256:" + "a" * 65, "this one has 65"),
    ("app@sha256:" + "A" * 64, "this one contains 'A'"),
    ("app@sha256:" + "g" * 64, "this one contains 'g'"),
    ("app@sha256:", "this one has 0"),
    ("app@sha512:" + "a" * 64, "a sha512 digest is exactly 128 lower-case hex digits"),
    ("app@sha384:" + "a" * 64, "a sha384 digest is exactly 96"),
    # go-digest knows sha256/384/512 only; distribution's reference.Parse refuses the rest
    # (its own test case: "validname@invaliddigest:" + 36 hex digits).
    ("validname@invaliddigest:" + "e" * 36, "unsupported digest algorithm 'invaliddigest'"),
    ("app@md5:" + "0123456789ABCDEF" * 2, "unsupported digest algorithm 'md5'"),
    ("app@sha256+b64u.x-y_z:" + "a" * 40, "unsupported digest algorithm 'sha256+b64u.x-y_z'"),
    ("a" * 256, "is 256 characters long; registry/repository may have at most 255"),
    ("registry.io/" + "a" * 244, "name 'registry.io/aaa"),
]


def _row_id(row: tuple[object, ...]) -> str:
    text = str(row[0])
    return text if len(text) <= 40 else f"{text[:37]}..."


@pytest.mark.parametrize("row", VALID, ids=_row_id)
def test_parse_valid(row: tuple[str, str | None, str, str | None, str | None]) -> None:
    text, registry, repository, tag, digest = row
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert str(ref) == text
    assert ref == ImageRef(registry=registry, repository=repository, tag=tag, digest=digest)
    assert hash(ref) == hash(ImageRef.parse(text))
    # Everything accepted is in the distribution grammar, split the same way.
    match = REFERENCE.fullmatch(text)
    assert match is not None
    assert match.groups() == (ref.name, tag, digest)


@pytest.mark.parametrize("row", INVALID, ids=_row_id)
def test_parse_invalid_names_the_part(row: tuple[str, str]) -> None:
    text, fragment = row
    with pytest.raises(ImageRefError) as info:
        ImageRef.parse(text)
    message = str(info.value)
    assert message.startswith(f"image {text!r}: ")
    assert fragment in message


# Refused although the distribution grammar's regexp matches: rules the regexp cannot say
# (checked by distribution in code), each with the rule's words.
STRICTER_THAN_THE_REGEXP = {
    "LOCALHOST/app": "must be lower-case",  # only 'localhost' itself is a registry name
    "my_reg.io/app": "invalid host label",  # has a '.': a registry, so no '_'
    "registry.io:0/app": "a port is a number from 1 to 65535",
    "registry.io:65536/app": "a port is a number from 1 to 65535",
    "[0]/app": "IPv6 address",
    "a" * 256: "may have at most 255",
    "registry.io/" + "a" * 244: "may have at most 255",
}


def test_parse_agrees_with_the_distribution_grammar() -> None:
    # Every row of both tables, parsed: accepted exactly when the grammar matches, except
    # for the digest rules (algorithm, length) and the named rules above.
    texts = [row[0] for row in VALID] + [row[0] for row in INVALID]
    for text in texts:
        try:
            ImageRef.parse(text)
        except ImageRefError as exc:
            accepted, message = False, str(exc)
        else:
            accepted, message = True, ""
        grammar = REFERENCE.fullmatch(text) is not None
        if accepted or not grammar:
            assert accepted == grammar, (text, message)
        elif "@" in text:
            assert "digest" in message, (text, message)
        else:
            assert STRICTER_THAN_THE_REGEXP.get(text, "<not listed>") in message, (text, message)
    # And each listed exception is refused for its rule.
    for text, rule in STRICTER_THAN_THE_REGEXP.items():
        with pytest.raises(ImageRefError, match=re.escape(rule)):
            ImageRef.parse(text)


def test_error_is_a_config_and_value_error() -> None:
    with pytest.raises(ConfigError):
        ImageRef.parse("Bad")
    with pytest.raises(ValueError, match="must be lower-case"):
        ImageRef.parse("Bad")


def test_non_string_is_rejected() -> None:
    with pytest.raises(ImageRefError, match="must be a string, got int"):
        ImageRef.parse(42)  # type: ignore[arg-type]
    with pytest.raises(ImageRefError, match="image repository must be a string, got NoneType"):
        ImageRef(repository=None)  # type: ignore[arg-type]
    with pytest.raises(ImageRefError, match="image tag must be a string or None, got int"):
        ImageRef(repository="app", tag=1)  # type: ignore[arg-type]


def test_docker_hub_short_name_is_kept_as_given() -> None:
    ref = ImageRef.parse("paketobuildpacks/builder-jammy-base:0.4")
    assert ref.registry is None
    assert ref.name == "paketobuildpacks/builder-jammy-base"
    assert str(ref) == "paketobuildpacks/builder-jammy-base:0.4"
    assert repr(ref) == "ImageRef('paketobuildpacks/builder-jammy-base:0.4')"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("alpine", "docker.io/library/alpine"),
        ("alpine:3.20", "docker.io/library/alpine:3.20"),
        (f"alpine@{SHA256}", f"docker.io/library/alpine@{SHA256}"),
        ("library/alpine", "docker.io/library/alpine"),
        ("acme/app:1", "docker.io/acme/app:1"),
        ("docker.io/alpine", "docker.io/library/alpine"),
        ("index.docker.io/acme/app", "docker.io/acme/app"),
        ("Docker.IO/acme/app", "docker.io/acme/app"),
        ("ghcr.io/app", "ghcr.io/app"),
        ("localhost:5000/app:1", "localhost:5000/app:1"),
    ],
)
def test_canonical(text: str, canonical: str) -> None:
    assert str(ImageRef.parse(text).canonical) == canonical


def test_canonical_too_long_raises() -> None:
    ref = ImageRef.parse("a" * 250)
    with pytest.raises(ImageRefError, match="268 characters long"):
        _ = ref.canonical


def test_name_and_repr() -> None:
    ref = ImageRef.parse(f"ghcr.io/acme/app:1.0@{SHA256}")
    assert ref.name == "ghcr.io/acme/app"
    assert repr(ref) == f"ImageRef('ghcr.io/acme/app:1.0@{SHA256}')"


def test_with_tag_replaces_tag_and_drops_digest() -> None:
    ref = ImageRef.parse(f"ghcr.io/acme/app:1.0@{SHA256}")
    new = ref.with_tag("2.0")
    assert str(new) == "ghcr.io/acme/app:2.0"
    assert new.digest is None
    assert str(ref) == f"ghcr.io/acme/app:1.0@{SHA256}"  # the original is unchanged
    assert str(ImageRef.parse("alpine").with_tag("3")) == "alpine:3"


@pytest.mark.parametrize(
    ("tag", "fragment"),
    [("", "tag is empty"), ("-x", "starts with '-'"), ("a b", "contains ' '"), ("t" * 129, "129")],
)
def test_with_tag_validates(tag: str, fragment: str) -> None:
    with pytest.raises(ImageRefError, match=re.escape(fragment)):
        ImageRef.parse("ghcr.io/acme/app").with_tag(tag)


def test_with_digest_keeps_tag_and_validates() -> None:
    ref = ImageRef.parse("ghcr.io/acme/app:1.0")
    assert str(ref.with_digest(SHA256)) == f"ghcr.io/acme/app:1.0@{SHA256}"
    assert ref.with_digest(SHA256).with_digest(SHA512).digest == SHA512
    with pytest.raises(ImageRefError, match="a sha256 digest is exactly 64"):
        ref.with_digest("sha256:abc")


def test_constructor_validates_like_parse() -> None:
    ref = ImageRef(registry="ghcr.io", repository="acme/app", tag="1")
    assert ref == ImageRef.parse("ghcr.io/acme/app:1")
    with pytest.raises(ImageRefError, match=r"registry 'acme' must contain '\.' or ':'"):
        ImageRef(registry="acme", repository="app")
    with pytest.raises(ImageRefError, match="registry is empty"):
        ImageRef(registry="", repository="app")
    with pytest.raises(ImageRefError, match=r"image 'ghcr\.io/acme/App': repository 'acme/App'"):
        ImageRef(registry="ghcr.io", repository="acme/App")
    with pytest.raises(ImageRefError, match=r"starts with 'my\.org', which reads as a registry"):
        ImageRef(repository="my.org/app")
    with pytest.raises(ImageRefError, match="starts with 'localhost', which reads as a registry"):
        ImageRef(repository="localhost/app")
    assert str(ImageRef(repository="my.org")) == "my.org"
    with pytest.raises(ImageRefError, match="contains '@'"):
        ImageRef(repository="app", tag="1@x")


def test_immutable_hashable_and_equal_by_value() -> None:
    ref = ImageRef.parse("ghcr.io/acme/app:1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "2"  # type: ignore[misc]
    assert ref == ImageRef.parse("ghcr.io/acme/app:1")
    assert ref != ImageRef.parse("ghcr.io/acme/app:2")
    text: object = "ghcr.io/acme/app:1"
    assert ref != text
    assert len({ref, ImageRef.parse("ghcr.io/acme/app:1"), ImageRef.parse("alpine")}) == 2


class _Model(pydantic.BaseModel):
    image: ImageRef
    builder: ImageRef | None = None


def test_pydantic_field_round_trip() -> None:
    model = _Model.model_validate({"image": "ghcr.io/acme/app:1.0", "builder": "alpine"})
    assert model.image == ImageRef.parse("ghcr.io/acme/app:1.0")
    assert model.builder == ImageRef.parse("alpine")
    dumped = model.model_dump(mode="json")
    assert dumped == {"image": "ghcr.io/acme/app:1.0", "builder": "alpine"}
    assert _Model.model_validate_json(model.model_dump_json()) == model
    assert json.loads(model.model_dump_json()) == dumped


def test_pydantic_accepts_an_image_ref_instance() -> None:
    ref = ImageRef.parse("localhost:5000/app")
    assert _Model(image=ref).image is ref


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("Acme/App", "must be lower-case"), ("app:", "tag is empty"), (5, "must be a string")],
)
def test_pydantic_rejects_invalid(value: object, fragment: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        _Model.model_validate({"image": value})
    assert fragment in str(info.value)
    assert info.value.errors()[0]["loc"] == ("image",)


def test_pydantic_json_schema_is_string() -> None:
    schema = _Model.model_json_schema()
    image = schema["properties"]["image"]
    assert image["type"] == "string"
    assert image["description"]
    for example in image["examples"]:
        ImageRef.parse(example)
    builder = schema["properties"]["builder"]
    assert {"type": "string"} in [{"type": o.get("type")} for o in builder["anyOf"]]


# --- properties -------------------------------------------------------------------------

_LOWER_ALNUM = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_PATH_SEPARATOR = st.sampled_from([".", "_", "__", "-", "--", "---"])


@st.composite
def _path_components(draw: st.DrawFn) -> str:
    parts = [draw(_LOWER_ALNUM)]
    for _ in range(draw(st.integers(0, 3))):
        parts += [draw(_PATH_SEPARATOR), draw(_LOWER_ALNUM)]
    return "".join(parts)


_LABEL = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_PORT = st.integers(1, 65535).map(str)
_HOST = st.one_of(
    st.just("localhost"),
    st.lists(_LABEL, min_size=2, max_size=4).map(".".join),
    st.from_regex(r"\[[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){1,7}\]", fullmatch=True),
)


@st.composite
def _registries(draw: st.DrawFn) -> str:
    host = draw(_HOST)
    port = draw(st.none() | _PORT)
    if port is None:
        # A bare single label is a path component, not a registry (Docker's rule).
        assume(host == "localhost" or "." in host or ":" in host)
        return host
    return f"{host}:{port}"


_TAGS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", fullmatch=True)
_DIGESTS = st.one_of(
    st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True),
    st.from_regex(r"sha512:[0-9a-f]{128}", fullmatch=True),
    st.from_regex(r"sha384:[0-9a-f]{96}", fullmatch=True),
)


@given(
    registry=st.none() | _registries(),
    components=st.lists(_path_components(), min_size=1, max_size=4),
    tag=st.none() | _TAGS,
    digest=st.none() | _DIGESTS,
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.filter_too_much])
def test_generated_valid_references_round_trip(
    registry: str | None, components: list[str], tag: str | None, digest: str | None
) -> None:
    repository = "/".join(components)
    name = repository if registry is None else f"{registry}/{repository}"
    assume(len(name) <= 255)
    # Without a registry a registry-like first component would be read as one (Docker's rule).
    if registry is None and len(components) > 1:
        assume("." not in components[0] and components[0] != "localhost")
    text = name + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest else "")
    ref = ImageRef.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert str(ref) == text
    assert ImageRef.parse(str(ref)) == ref
    assert ref == ImageRef(registry=registry, repository=repository, tag=tag, digest=digest)


def _parse(text: str) -> tuple[ImageRef | None, str]:
    """The reference, or ``None`` and the ImageRefError's message (any other error escapes)."""
    try:
        return ImageRef.parse(text), ""
    except ImageRefError as exc:
        return None, str(exc)


# Where this module is stricter than the bare grammar, on purpose (see the module docstring).
_DEVIATIONS = (
    "must be lower-case",  # an upper-case first component is not taken as a registry
    "characters long; registry/repository",
    "a port is a number from 1 to 65535",
    "lower-case hex digits",  # sha256/sha384/sha512 lengths
    "unsupported digest algorithm",  # go-digest's Validate, which reference.Parse calls
    "at least one ':' inside the brackets",  # '[0]/app' is no IPv6 registry
    "has invalid host label",  # '0_0.0/app': a first component with '.' is a registry
)


@given(st.from_regex(REFERENCE, fullmatch=True))
@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
def test_grammar_strings_parse_or_hit_a_documented_deviation(text: str) -> None:
    match = REFERENCE.fullmatch(text)
    assert match is not None
    ref, error = _parse(text)
    if ref is None:
        assert any(reason in error for reason in _DEVIATIONS), error
        return
    assert str(ref) == text
    assert (ref.name, ref.tag, ref.digest) == match.groups()


@given(st.text(st.sampled_from("aZ0.-_:/@[]é \n") | st.characters(), max_size=40))
@settings(max_examples=500)
def test_parse_raises_only_image_ref_error_and_accepts_only_the_grammar(text: str) -> None:
    ref, error = _parse(text)
    if ref is None:
        assert error.startswith(f"image {text!r}: ")
        return
    assert REFERENCE.fullmatch(text) is not None
    assert str(ref) == text
