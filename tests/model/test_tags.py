"""SemverTag: the SemVer 2.0.0 rules, OCI tags, floating tags and git describe mapping."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from argo_buildpacks import SemverTag, TagError
from argo_buildpacks.model.tags import OCI_TAG_PATTERN

VALID = [
    ("0.0.0", "0.0.0"),
    ("1.0.0", "1.0.0"),
    ("v1.4.2", "1.4.2"),
    ("10.20.30", "10.20.30"),
    ("1.1.2-prerelease+meta", "1.1.2-prerelease+meta"),
    ("1.1.2+meta", "1.1.2+meta"),
    ("1.1.2+meta-valid", "1.1.2+meta-valid"),
    ("1.0.0-alpha", "1.0.0-alpha"),
    ("1.0.0-beta", "1.0.0-beta"),
    ("1.0.0-alpha.beta", "1.0.0-alpha.beta"),
    ("1.0.0-alpha.beta.1", "1.0.0-alpha.beta.1"),
    ("1.0.0-alpha.1", "1.0.0-alpha.1"),
    ("1.0.0-alpha0.valid", "1.0.0-alpha0.valid"),
    ("1.0.0-alpha.0valid", "1.0.0-alpha.0valid"),
    ("1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", None),
    ("1.0.0-rc.1+build.1", "1.0.0-rc.1+build.1"),
    ("2.0.0-rc.1+build.123", None),
    ("1.2.3-beta", None),
    ("10.2.3-DEV-SNAPSHOT", None),
    ("1.2.3-SNAPSHOT-123", None),
    ("2.0.0+build.1848", None),
    ("2.0.1-alpha.1227", None),
    ("1.0.0-alpha+beta", None),
    ("1.2.3----RC-SNAPSHOT.12.9.1--.12+788", None),
    ("1.2.3----R-S.12.9.1--.12+meta", None),
    ("1.2.3----RC-SNAPSHOT.12.9.1--.12", None),
    ("1.0.0+0.build.1-rc.10000aaa-kk-0.1", None),
    ("99999999999999999999999.999999999999999999.99999999999999999", None),
    ("1.0.0-0A.is.legal", None),
    ("1.0.0-0a", None),
    ("1.2.3+01", None),
    ("v0.0.1-x.7.z.92", "0.0.1-x.7.z.92"),
    ("1.0.0-x-y-z.--", None),
]

INVALID = [
    ("", "empty"),
    ("1", "MAJOR.MINOR.PATCH"),
    ("1.2", "MAJOR.MINOR.PATCH"),
    ("1.2.3.4", "MAJOR.MINOR.PATCH"),
    ("1.2.3-0123", "leading zero"),
    ("1.2.3-0123.0123", "leading zero"),
    ("1.1.2+.123", "empty identifier"),
    ("+invalid", "MAJOR"),
    ("-invalid", "MAJOR"),
    ("-invalid+invalid", "MAJOR"),
    ("-invalid.01", "MAJOR"),
    ("alpha", "MAJOR.MINOR.PATCH"),
    ("alpha.beta", "MAJOR.MINOR.PATCH"),
    ("alpha.beta.1", "MAJOR"),
    ("alpha.1", "MAJOR.MINOR.PATCH"),
    ("alpha+beta", "MAJOR.MINOR.PATCH"),
    ("alpha_beta", "'_'"),
    ("alpha.", "MAJOR.MINOR.PATCH"),
    ("alpha..", "MAJOR"),
    ("beta", "MAJOR.MINOR.PATCH"),
    ("1.0.0-alpha_beta", "'_'"),
    ("-alpha.", "MAJOR.MINOR.PATCH"),
    ("1.0.0-alpha..", "empty identifier"),
    ("1.0.0-alpha..1", "empty identifier"),
    ("1.0.0-alpha...1", "empty identifier"),
    ("1.0.0-alpha....1", "empty identifier"),
    ("1.0.0-alpha.....1", "empty identifier"),
    ("1.0.0-alpha......1", "empty identifier"),
    ("1.0.0-alpha.......1", "empty identifier"),
    ("01.1.1", "MAJOR '01' has a leading zero"),
    ("1.01.1", "MINOR '01' has a leading zero"),
    ("1.1.01", "PATCH '01' has a leading zero"),
    ("1.2", "MAJOR.MINOR.PATCH"),
    ("1.2.3.DEV", "MAJOR.MINOR.PATCH"),
    ("1.2-SNAPSHOT", "MAJOR.MINOR.PATCH"),
    ("1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788", "MAJOR.MINOR.PATCH"),
    ("1.2-RC-SNAPSHOT", "MAJOR.MINOR.PATCH"),
    ("-1.0.3-gamma+b7718", "MAJOR"),
    ("+justmeta", "MAJOR"),
    ("9.8.7+meta+meta", "second '+'"),
    ("9.8.7-whatever+meta+meta", "second '+'"),
    (
        "99999999999999999999999.999999999999999999.99999999999999999----RC-SNAPSHOT.12.09.1--------------------------------..12",
        "leading zero",
    ),
    ("vv1.2.3", "only one leading 'v'"),
    ("V1.2.3", "lower-case leading 'v'"),
    (" 1.2.3", "whitespace"),
    ("1.2.3 ", "whitespace"),
    ("1.2.3\n", "whitespace"),
    ("1.2.3\tx", "whitespace"),
    ("1.2.3-é", "'é'"),
    ("1\u0661.2.3", "only ASCII"),
    ("1.2.3-a/b", "'/'"),
    ("$(touch /tmp/x)", "'$'"),
    ("1.2.3;ls", "';'"),
    ("1.2.3-", "empty identifier"),
    ("1.2.3+", "empty identifier"),
    ("1..3", "MINOR is empty"),
    ("a.b.c", "MAJOR 'a' is not a number"),
    ("v", "it is empty"),
]


@pytest.mark.parametrize(("text", "normal"), VALID)
def test_valid_versions(text: str, normal: str | None) -> None:
    tag = SemverTag.parse(text)
    assert str(tag) == (normal or text.removeprefix("v"))
    assert SemverTag.parse(str(tag)) == tag


@pytest.mark.parametrize(("text", "why"), INVALID)
def test_invalid_versions_name_input_and_rule(text: str, why: str) -> None:
    with pytest.raises(TagError) as info:
        SemverTag.parse(text)
    message = str(info.value)
    assert repr(text) in message
    assert why in message


# semver.org's own regular expression (the "suggested" one, numbered groups), ASCII only.
SEMVER_ORG = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)


def test_parse_agrees_with_semver_orgs_regex() -> None:
    # Every row of both tables: accepted exactly when the spec's regex matches (after the
    # one leading 'v'), and then split into the same parts.
    for text, _ in [*VALID, *INVALID]:
        bare = text[1:] if text.startswith("v") else text
        match = SEMVER_ORG.fullmatch(bare)
        try:
            tag = SemverTag.parse(text)
        except TagError:
            assert match is None, text
            continue
        assert match is not None, text
        major, minor, patch, pre, build = match.groups()
        assert (tag.major, tag.minor, tag.patch) == (int(major), int(minor), int(patch))
        assert (tag.prerelease, tag.build) == (pre, build)


def test_spec_precedence_examples() -> None:
    # semver.org, item 11.
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    tags = [SemverTag.parse(t) for t in chain]
    for lower, higher in itertools.pairwise(tags):
        assert lower < higher
        assert higher > lower
        assert not higher <= lower
    assert sorted(tags[1::2] + tags[::2]) == tags


def test_build_metadata_ignored_for_precedence_not_equality() -> None:
    a, b = SemverTag.parse("1.0.0+a"), SemverTag.parse("1.0.0+b")
    assert a != b
    assert a <= b
    assert b <= a
    assert not a < b
    assert len({a, b, SemverTag.parse("1.0.0+a")}) == 2


def test_oci_tag_and_length_limit() -> None:
    assert SemverTag.parse("v1.4.2+build.7").oci_tag == "1.4.2_build.7"
    fits = "1.0.0-" + "a" * 122  # exactly 128 characters
    assert len(SemverTag.parse(fits).oci_tag) == 128
    # Too long is refused before parsing (the in-cluster check does the same: its parser is
    # not linear in the length), counting bytes and not the one leading 'v'.
    with pytest.raises(TagError, match="is 129 bytes long; a version has at most 128"):
        SemverTag.parse(fits + "b")
    assert SemverTag.parse("v" + fits).oci_tag == fits
    with pytest.raises(TagError, match="is 129 bytes long"):
        SemverTag.parse("1.0.0-" + "\u00e9" * 61 + "a")  # 122 + 1 characters, 129 bytes
    # A version derived from git can still outgrow the OCI limit: the tag says so.
    grown = SemverTag.from_git_describe("v1.0.0-" + "a" * 113 + "-3-gabc1234")
    with pytest.raises(TagError, match="characters long; an OCI tag may have at most 128"):
        _ = grown.oci_tag


def test_floating_tags() -> None:
    assert SemverTag.parse("1.4.2").floating_tags() == ["1.4", "1"]
    assert SemverTag.parse("1.4.2").floating_tags(latest=True) == ["1.4", "1", "latest"]
    assert SemverTag.parse("1.4.2+b").floating_tags() == ["1.4", "1"]
    assert SemverTag.parse("1.4.2-rc.1").floating_tags(latest=True) == []
    assert SemverTag.parse("1.4.2").oci_tags(floating=False) == ["1.4.2"]
    assert SemverTag.parse("1.4.2").oci_tags(latest=True) == ["1.4.2", "1.4", "1", "latest"]


@pytest.mark.parametrize(
    ("describe", "expected"),
    [
        ("v1.4.2-0-gabc1234", "1.4.2"),
        ("v1.4.2-3-gabc1234", "1.4.3-dev.3+gabc1234"),
        ("1.4.9-12-g0123456789ab\n", "1.4.10-dev.12+g0123456789ab"),
        ("v2.0.0-rc.1-3-gabc1234", "2.0.0-rc.1.dev.3+gabc1234"),
        ("v2.0.0-rc.1-0-gabc1234", "2.0.0-rc.1"),
        ("v1.2.3+meta-0-gabc1234", "1.2.3+meta"),
        ("v1.2.3+meta-5-gabc1234", "1.2.4-dev.5+gabc1234"),
        ("v1.2.99999999999999999999-1-gabcd", "1.2.100000000000000000000-dev.1+gabcd"),
    ],
)
def test_from_git_describe(describe: str, expected: str) -> None:
    assert str(SemverTag.from_git_describe(describe)) == expected


def test_from_git_describe_dev_sorts_between_releases() -> None:
    dev = SemverTag.from_git_describe("v1.4.2-3-gabc1234")
    assert SemverTag.parse("1.4.2") < dev < SemverTag.parse("1.4.3")
    pre = SemverTag.from_git_describe("v2.0.0-rc.1-3-gabc1234")
    assert SemverTag.parse("2.0.0-rc.1") < pre < SemverTag.parse("2.0.0-rc.2")


def test_from_git_describe_errors_and_fallback() -> None:
    with pytest.raises(TagError, match="names no tag"):
        SemverTag.from_git_describe("abc1234")
    assert str(SemverTag.from_git_describe("abc1234", fallback=True)) == "0.0.0-dev+gabc1234"
    with pytest.raises(TagError, match="found tag 'release-5', which 'release-5' is not"):
        SemverTag.from_git_describe("release-5-3-gabc1234")
    with pytest.raises(TagError, match="not `git describe"):
        SemverTag.from_git_describe("v1.2.3 3 gabc")


def test_pydantic_field() -> None:
    class M(BaseModel):
        version: SemverTag

    assert M.model_validate({"version": "v1.2.3"}).version == SemverTag.parse("1.2.3")
    assert M.model_validate({"version": "1.2.3"}).model_dump(mode="json") == {"version": "1.2.3"}
    assert M.model_json_schema()["properties"]["version"]["type"] == "string"
    with pytest.raises(ValidationError, match="leading zero"):
        M.model_validate({"version": "01.2.3"})


def test_repr() -> None:
    tag = SemverTag.parse("1.2.3-rc.1")
    assert repr(tag) == "SemverTag('1.2.3-rc.1')"


# Property tests -------------------------------------------------------------------------

_num = st.integers(min_value=0, max_value=10**30).map(str)
_alnum = st.text(alphabet="0123456789abcXYZ-", min_size=1, max_size=8).filter(
    lambda s: not (s.isdigit() and len(s) > 1 and s[0] == "0")
)
_prerelease = st.lists(_alnum, min_size=1, max_size=4).map(".".join)
_build = st.lists(
    st.text(alphabet="0123456789abcXYZ-", min_size=1, max_size=8), min_size=1, max_size=4
).map(".".join)
versions = st.builds(
    SemverTag,
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.none() | _prerelease,
    st.none() | _build,
)


@given(versions)
def test_parse_str_roundtrip(v: SemverTag) -> None:
    assert SemverTag.parse(str(v)) == v
    assert SemverTag.parse("v" + str(v)) == v


@given(versions)
def test_oci_tag_is_valid_or_error(v: SemverTag) -> None:
    try:
        tag = v.oci_tag
    except TagError:
        assert len(str(v)) > 128
    else:
        assert re.fullmatch(OCI_TAG_PATTERN, tag)


@given(versions)
def test_no_floating_tags_for_prereleases(v: SemverTag) -> None:
    if v.prerelease is not None:
        assert v.floating_tags(latest=True) == []
    else:
        assert v.floating_tags() == [f"{v.major}.{v.minor}", f"{v.major}"]


@given(st.text(max_size=20))
def test_parse_accepts_or_explains(text: str) -> None:
    error: TagError | None = None
    try:
        SemverTag.parse(text)
    except TagError as exc:
        error = exc
    if error is not None:
        assert repr(text) in str(error)
