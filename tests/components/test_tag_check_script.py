"""The in-cluster tag check (``tag_check.sh``) agrees with :class:`SemverTag`, under real shells.

Every case runs the packaged script with ``busybox sh`` (the image the cluster uses) and
``dash`` and compares accept/reject, the three output files and the error message with what
:class:`SemverTag` says for the same input.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks.components.scripts import load
from argo_buildpacks.components.scripts._compact import compact
from argo_buildpacks.errors import ConfigError, TagError
from argo_buildpacks.model.tags import SemverTag
from tests.support.runscript import SHELLS, Shell

OUTPUTS = ("oci-tag", "tags", "version")


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The script as the package ships it (read through ``load``), written to a file."""
    path = tmp_path_factory.mktemp("scripts") / "tag_check.sh"
    path.write_text(load("tag_check.sh"), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Outcome:
    """What the script must do: write ``files``, or fail with ``message``."""

    ok: bool
    message: str = ""
    files: dict[str, str] = field(default_factory=dict)


def expect(make: Callable[[], SemverTag], *, floating: bool, latest: bool) -> Outcome:
    """Python's answer: the version, its OCI tag and every pushed tag, or the error."""
    try:
        tag = make()
        files = {
            "version": str(tag),
            "oci-tag": tag.oci_tag,
            "tags": ",".join(tag.oci_tags(floating=floating, latest=latest)),
        }
    except TagError as exc:
        return Outcome(ok=False, message=str(exc))
    return Outcome(ok=True, files=files)


def run(
    shell: Shell, script: Path, mode: str, out_dir: Path, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """Run the script as a container would: arguments and environment only."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OUT_DIR": str(out_dir), **env}
    return subprocess.run(
        [*shell, str(script), mode], env=full_env, capture_output=True, timeout=30, check=False
    )


def flags(floating: bool, latest: bool) -> dict[str, str]:
    """The boolean environment variables, spelled as the script wants them."""
    return {"FLOATING": str(floating).lower(), "LATEST": str(latest).lower()}


def shown_alike(text: str) -> bool:
    """Whether Python's ``repr`` of ``text`` is what the script prints: the script
    escapes as ``repr`` does in ASCII but prints non-ASCII bytes as they are."""
    return text.isascii() or text.isprintable()


def assert_agrees(
    result: subprocess.CompletedProcess[bytes], want: Outcome, out_dir: Path, *, exact: bool
) -> None:
    """The script did what ``want`` says; ``exact`` also compares the error message."""
    stderr = result.stderr.decode("utf-8", "surrogateescape")
    if want.ok:
        assert (result.returncode, stderr) == (0, "")
        written = {p.name: p.read_bytes().decode() for p in sorted(out_dir.iterdir())}
        assert written == want.files
        return
    assert result.returncode == 1, result.stdout
    assert not out_dir.exists() or not any(out_dir.iterdir())
    assert stderr.startswith("tag-check: ")
    assert stderr.count("\n") == 1
    assert stderr.endswith("\n")
    if exact:
        assert stderr == f"tag-check: {want.message}\n"


_LONG_PRE = "1.0.0-" + "a" * 122  # OCI tag of exactly 128 characters
_LONG_BUILD = "1.0.0+" + "b" * 122
VERSIONS = [
    # The SemVer 2.0.0 spec's (and semver.org's regex page's) valid examples.
    "0.0.4",
    "1.2.3",
    "10.20.30",
    "1.1.2-prerelease+meta",
    "1.1.2+meta",
    "1.1.2+meta-valid",
    "1.0.0-alpha",
    "1.0.0-alpha.beta.1",
    "1.0.0-alpha0.valid",
    "1.0.0-alpha.0valid",
    "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
    "1.0.0-rc.1+build.1",
    "10.2.3-DEV-SNAPSHOT",
    "1.2.3-SNAPSHOT-123",
    "2.0.0+build.1848",
    "1.0.0-alpha+beta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
    "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
    "1.0.0-0A.is.legal",
    "1.0.0-0",
    "1.0.0+01",
    "1.4.2+build.7",
    # ... and invalid ones.
    "1",
    "1.2",
    "1.2.3.4",
    "1.2.3-0123",
    "1.2.3-0123.0123",
    "1.1.2+.123",
    "+invalid",
    "-invalid+invalid",
    "alpha.beta",
    "alpha_beta",
    "1.0.0-alpha_beta",
    "1.0.0-alpha..1",
    "1.0.0-alpha.",
    "1.0.0-",
    "1.0.0+",
    "1.0.0+a.",
    "1..3",
    ".1.2",
    "01.1.1",
    "1.01.1",
    "1.1.01",
    "00.0.0",
    "1.2.3.DEV",
    "1.2-SNAPSHOT",
    "1.2-RC-SNAPSHOT",
    "-1.0.3-gamma+b7718",
    "9.8.7+meta+meta",
    "9.8.7-whatever+meta+meta",
    "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
    # The optional 'v'.
    "v1.2.3",
    "v1.2.3-rc.1+b.2",
    "vv1.2.3",
    "vV1.2.3",
    "V1.2.3",
    "Vv1.2.3",
    "v",
    "vv",
    "v 1.2.3",
    "v-1.2.3",
    "v01.2.3",
    # Whitespace anywhere, ASCII or not.
    " 1.2.3",
    "1.2.3 ",
    "1.2.3\n",
    "\n1.2.3",
    "1.2.3\nfoo",
    "1.2\n.3",
    "1.2.3\t",
    "1.2.3\r",
    "1.2.3\x0b",
    "1.2.3\x0c",
    "1.2.3\x1c",
    "1.2.3\x1f",
    "1.2.3-a\u00a0",
    "1.2.3\u2003",
    "1.2.3\u3000",
    # Not ASCII.
    "\u0661.\u0662.\u0663",
    "1.2.\u0663",
    "\uff11.2.3",
    "1.2.3-\u00e9",
    "1.2.3+\u00fc",
    "1.2.3-\u03b1",
    "1.2.3-e\u0301",
    "1.2.3\u200b",
    "1.2.3-\U0001f600",
    "\u0101.2.3",  # UTF-8 bytes that dash uses internally (0x81-0x88)
    "1.2.3-\u0108",
    # Hostile.
    "$(touch /tmp/tag-check-pwned)",
    "`id`",
    "1.2.3;rm -rf /",
    "1.2.3 && id",
    "-e",
    "-n",
    "--help",
    "--",
    "*",
    "1.2.*",
    "'",
    '"',
    'it\'s "quoted"',
    "1.2.3'",
    "\\",
    "1.2.3\\n",
    "%s%n%d",
    "1.2.3\x01",
    "1.2.3\x1b[31m",
    "1.2.3\x7f",
    "1.2.3_4",
    "1.2.3-a/b",
    # Lengths and numbers beyond 64 bits.
    _LONG_PRE,
    _LONG_PRE + "a",
    "v" + _LONG_PRE,
    _LONG_BUILD,
    _LONG_BUILD + "b",
    "1.0.0-" + "a" * 60 + "+" + "b" * 61,
    "1.0.0-" + "a" * 61 + "+" + "b" * 61,
    "99999999999999999999999.0.0",
    "0.0.99999999999999999999999",
    "99999999999999999999999.999999999999999999.99999999999999999",
    "1.2.3-99999999999999999999999",
]
FLAG_COMBOS = [(True, False), (True, True), (False, True), (False, False)]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("mode", ["check", "describe"])
@pytest.mark.parametrize("value", VERSIONS)
def test_versions_agree_with_semvertag(
    shell: Shell, script: Path, tmp_path: Path, mode: str, value: str
) -> None:
    floating, latest = FLAG_COMBOS[VERSIONS.index(value) % len(FLAG_COMBOS)]
    # In describe mode an explicit tag wins over the describe output.
    describe = tmp_path / "describe"
    describe.write_text("v9.9.9-0-gabcdef0\n")
    out = tmp_path / "out"
    result = run(
        shell, script, mode, out, TAG=value, DESCRIBE_FILE=str(describe), **flags(floating, latest)
    )
    want = expect(lambda: SemverTag.parse(value), floating=floating, latest=latest)
    assert_agrees(result, want, out, exact=shown_alike(value))


def test_the_table_covers_both_answers() -> None:
    accepted = 0
    for value in VERSIONS:
        accepted += expect(partial(SemverTag.parse, value), floating=True, latest=True).ok
    assert len(VERSIONS) >= 80
    assert 30 < accepted < len(VERSIONS) - 30


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("floating", "latest"), FLAG_COMBOS)
@pytest.mark.parametrize("value", ["v1.4.2+build.7", "0.0.0", "2.0.0-rc.1"])
def test_floating_and_latest(
    shell: Shell, script: Path, tmp_path: Path, value: str, floating: bool, latest: bool
) -> None:
    result = run(shell, script, "check", tmp_path, TAG=value, **flags(floating, latest))
    want = expect(lambda: SemverTag.parse(value), floating=floating, latest=latest)
    assert_agrees(result, want, tmp_path, exact=True)
    assert (
        result.stdout.decode()
        == f"tag-check: version {want.files['version']}, pushing {want.files['tags']}\n"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_outputs_are_written_verbatim_into_a_new_directory(
    shell: Shell, script: Path, tmp_path: Path
) -> None:
    out = tmp_path / "a" / "b"
    assert run(shell, script, "check", out, TAG="v1.4.2+build.7", LATEST="true").returncode == 0
    assert (out / "version").read_bytes() == b"1.4.2+build.7"
    assert (out / "oci-tag").read_bytes() == b"1.4.2_build.7"
    assert (out / "tags").read_bytes() == b"1.4.2_build.7,1.4,1,latest"


@pytest.mark.parametrize("shell", SHELLS)
def test_empty_tag_needs_from_git(shell: Shell, script: Path, tmp_path: Path) -> None:
    refused = run(shell, script, "check", tmp_path / "no", TAG="")
    assert refused.returncode == 1
    assert refused.stderr.decode().startswith(
        "tag-check: '' is not a SemVer 2.0.0 version: it is empty"
    )
    assert not (tmp_path / "no").exists()
    deferred = run(shell, script, "check", tmp_path / "yes", FROM_GIT="true")
    assert (deferred.returncode, deferred.stderr) == (0, b"")
    assert {p.name: p.read_bytes() for p in (tmp_path / "yes").iterdir()} == dict.fromkeys(
        OUTPUTS, b""
    )


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("mode", "env", "complaint"),
    [
        ("build", {"TAG": "1.2.3"}, "unknown mode 'build'"),
        (
            "check",
            {"TAG": "1.2.3", "FLOATING": "yes"},
            "FLOATING must be 'true' or 'false', got 'yes'",
        ),
        ("check", {"TAG": "1.2.3", "LATEST": "True"}, "LATEST must be"),
        ("describe", {"FROM_GIT": "1"}, "FROM_GIT must be"),
        ("describe", {"ALLOW_UNTAGGED": "-e"}, "ALLOW_UNTAGGED must be"),
        ("describe", {}, "DESCRIBE_FILE is not set"),
        ("describe", {"DESCRIBE_FILE": "/nonexistent/describe"}, "DESCRIBE_FILE is not a readable"),
    ],
)
def test_misuse_exits_2(
    shell: Shell, script: Path, tmp_path: Path, mode: str, env: dict[str, str], complaint: str
) -> None:
    result = run(shell, script, mode, tmp_path / "out", **env)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"tag-check: {complaint}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_out_dir_is_required(shell: Shell, script: Path, tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TAG": "1.2.3"}
    result = subprocess.run(
        [*shell, str(script)], env=env, capture_output=True, timeout=30, check=False
    )
    assert (result.returncode, result.stderr) == (2, b"tag-check: OUT_DIR is not set\n")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "value", [f"1.2.3{ch}" for ch in map(chr, range(0x80, 0x10000)) if ch.isspace()]
)
def test_unicode_whitespace_is_named_whitespace(
    shell: Shell, script: Path, tmp_path: Path, value: str
) -> None:
    result = run(shell, script, "check", tmp_path, TAG=value)
    assert result.returncode == 1
    assert result.stderr.endswith(b": it contains whitespace\n")


_SHA = "abc1234"
DESCRIBES: list[tuple[str, bool, bool]] = [
    # (git describe output, ALLOW_UNTAGGED, whether the message must match exactly)
    ("v1.4.2-0-gabc1234", False, True),
    ("v1.4.2-3-gabc1234", False, True),
    ("1.4.2-3-gabc1234", False, True),
    ("v2.0.0-rc.1-0-gabc1234", False, True),
    ("v2.0.0-rc.1-3-gabc1234", False, True),
    ("v2.0.0-rc.1+b.2-2-gabcd", False, True),
    ("v1.4.2+build.7-0-gabc1234", False, True),
    ("v1.4.2+build.7-5-gabc1234", False, True),
    ("v1.2.9-1-gabcd", False, True),
    ("v1.2.99-1-gabcd", False, True),
    ("v1.2.0-1-gabcd", False, True),
    ("v1.2.19-1-gabcd", False, True),
    ("v1.2.1099-1-gabcd", False, True),
    ("v1.2.999999999999999999999-4-gabcd", False, True),
    ("v1.2.123456789012345678999-4-gabcd", False, True),
    ("v9.9.9-12345678901234567890-gabcd", False, True),
    ("v1.4.2-0-gabc1234\n", False, True),
    ("\n  v1.4.2-3-gabc1234 \n\n", False, True),
    ("\tv1.4.2-3-gabc1234\r\n", False, True),
    ("\x1cv1.4.2-3-gabc1234\x1f", False, True),
    ("v1.4.2-3-g" + "a" * 64, False, True),
    ("v1.4.2-3-g" + "a" * 65, False, True),
    ("v1.4.2-3-gabc", False, True),
    ("v1.4.2-3-gABC1234", False, True),
    ("v1.4.2-03-gabc1234", False, True),
    # N is a number: anything else is no describe output, never a version with N in it.
    ("v1.4.2-3a-gabc1234", False, True),
    ("v1.4.2-x-gabc1234", False, True),
    ("v1.4.2-+3-gabc1234", False, True),
    ("v1.4.2-3.0-gabc1234", False, True),
    ("v1.4.2-\u0663-gabc1234", False, True),
    ("v2.0.0-rc.1-gabc1234", False, True),  # a pre-release tag, no distance
    ("v1.4.2-3-abc1234", False, True),
    ("v1.4.2-3-gabc1234-dirty", False, True),
    ("-3-gabc1234", False, True),
    ("v1.4.2--3-gabcd", False, True),
    ("v1.4.2\n-3-gabcd", False, True),
    ("v1.4.2 -3-gabcd", False, True),
    ("release-5-3-gabc1234", False, True),
    ("vv1.4.2-0-gabcd", False, True),
    ("V1.4.2-0-gabcd", False, True),
    ("$(id)-0-gabcd", False, True),
    ("v1.0.0-" + "a" * 122 + "-0-gabcdef0", False, True),
    ("v1.0.0-" + "a" * 100 + "-3-gabcdef0", False, True),
    # The OCI tag's 128 characters, counted after the describe suffix is added.
    ("v1.0.0-" + "a" * 107 + "-3-gabcdef0", False, True),  # 1.0.0-a...a.dev.3_gabcdef0: 128
    ("v1.0.0-" + "a" * 108 + "-3-gabcdef0", False, True),  # 129
    ("v1.0.0-" + "a" * 123 + "-0-gabcdef0", False, True),  # 129, at the tag itself
    ("v1.0.0-" + "a" * 4000 + "-3-gabcdef0", False, True),
    ("v1.0.\u0663-0-gabcd", False, True),
    ("v1.0.0-\u0101-0-gabcd", False, True),
    (_SHA, False, False),  # the in-cluster hint names no Python argument
    (_SHA, True, True),
    (_SHA + "\n", True, True),
    ("a" * 64, True, True),
    ("a" * 65, True, True),
    ("abc", True, True),
    ("", True, True),
    ("\n", False, True),
    ("ABC1234", True, True),
]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("text", "allow_untagged", "exact"), DESCRIBES)
def test_describe_agrees_with_from_git_describe(
    shell: Shell, script: Path, tmp_path: Path, text: str, allow_untagged: bool, exact: bool
) -> None:
    describe = tmp_path / "describe"
    describe.write_bytes(text.encode())
    out = tmp_path / "out"
    env = {"DESCRIBE_FILE": str(describe), "ALLOW_UNTAGGED": str(allow_untagged).lower()}
    result = run(shell, script, "describe", out, TAG="", **env, **flags(True, True))
    want = expect(
        lambda: SemverTag.from_git_describe(text, fallback=allow_untagged),
        floating=True,
        latest=True,
    )
    assert_agrees(result, want, out, exact=exact)
    if not exact:
        assert result.stderr.decode().startswith(want.message.partition(" (")[0], 11)


@pytest.mark.parametrize("shell", SHELLS)
def test_describe_caps_the_derived_tag_at_128(shell: Shell, script: Path, tmp_path: Path) -> None:
    # The tag git found is valid and short enough; what the commits after it add is not.
    describe = tmp_path / "describe"
    describe.write_text("v1.0.0-" + "a" * 108 + "-3-gabcdef0\n")
    out = tmp_path / "out"
    result = run(shell, script, "describe", out, DESCRIBE_FILE=str(describe))
    version = "1.0.0-" + "a" * 108 + ".dev.3+gabcdef0"
    assert (result.returncode, result.stdout) == (1, b"")
    assert result.stderr.decode() == (
        f"tag-check: version '{version}' is 129 characters long; an OCI tag may have at most "
        "128 (shorten the pre-release or build metadata)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_describe_refuses_nul_bytes(shell: Shell, script: Path, tmp_path: Path) -> None:
    describe = tmp_path / "describe"
    describe.write_bytes(b"v1.0.0-0-gab\x00cd\n")
    result = run(shell, script, "describe", tmp_path / "out", DESCRIBE_FILE=str(describe))
    with pytest.raises(TagError):
        SemverTag.from_git_describe(describe.read_text())
    assert result.returncode == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_values_run_nothing(shell: Shell, script: Path, tmp_path: Path) -> None:
    sentinel = tmp_path / "pwned"
    payloads = [
        f"$(touch {sentinel})",
        f"`touch {sentinel}`",
        f"1.2.3;touch {sentinel}",
        f"1.2.3$(touch {sentinel})",
        f"1.2.3\ntouch {sentinel}",
        f"'; touch {sentinel}; '",
        f'"; touch {sentinel}; "',
        f"${{x:-$(touch {sentinel})}}",
    ]
    describe = tmp_path / "describe"
    for payload in payloads:
        describe.write_text(f"{payload}-0-gabcd\n")
        attempts = [
            ("check", {"TAG": payload}),
            ("describe", {"TAG": payload}),
            ("describe", {"DESCRIBE_FILE": str(describe)}),
            ("check", {"TAG": "1.2.3", "FLOATING": payload}),
            (payload, {"TAG": "1.2.3"}),
        ]
        for mode, env in attempts:
            result = run(shell, script, mode, tmp_path / "out", **env)
            assert result.returncode in (1, 2)
            assert not sentinel.exists(), (mode, env)
            assert payload.partition("\n")[0] in result.stderr.decode()


_NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "10", "99999999999999999999999"]), st.integers(0, 10**25).map(str)
)
_IDENTIFIER = st.text(alphabet="0123aZz-", min_size=1, max_size=5)
_PRE_IDENTIFIER = _IDENTIFIER.filter(lambda i: not (i.isdigit() and len(i) > 1 and i[0] == "0"))
_ODD = st.sampled_from(
    [" ", "\n", "\t", "\r", "\x1c", "\x0b", "\x01", "\x7f", "\u00e9", "\u0663", "\u00a0",
     "\u2003", "+", "-", ".", "..", "$", "'", '"', "\\", "`", "*", "_", "v", "V", "%", "[", "0"]
)  # fmt: skip


@st.composite
def near_semver(draw: st.DrawFn) -> str:
    """Valid versions, half of them then broken in one place (a character, the 'v', a
    leading zero, the number of core parts)."""
    text = draw(st.sampled_from(["", "v"])) + ".".join(
        draw(st.lists(_NUMBERS, min_size=3, max_size=3))
    )
    if draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(_PRE_IDENTIFIER, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(_IDENTIFIER, min_size=1, max_size=3)))
    if draw(st.booleans()):
        return text
    kind = draw(st.sampled_from(["insert", "insert", "prefix", "core"]))
    if kind == "prefix":
        return draw(st.sampled_from(["V", "v", "vv", "-", "0", "+"])) + text
    if kind == "core":
        core, sep, rest = text.partition("-") if "-" in text else text.partition("+")
        return draw(st.sampled_from([core + ".0", core.rpartition(".")[0]])) + sep + rest
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(_ODD) + text[at:]


_ANY_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12
)


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=150, deadline=None)
@given(
    value=st.one_of(near_semver(), near_semver(), near_semver(), _ANY_TEXT),
    floating=st.booleans(),
    latest=st.booleans(),
)
def test_random_versions_agree(
    shell: Shell, script: Path, value: str, floating: bool, latest: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        result = run(shell, script, "check", out, TAG=value, **flags(floating, latest))
        want = expect(lambda: SemverTag.parse(value), floating=floating, latest=latest)
        if value:
            assert_agrees(result, want, out, exact=shown_alike(value))
        else:
            assert result.returncode == 1


@st.composite
def describe_output(draw: st.DrawFn) -> str:
    """``git describe --tags --long --always`` output, right or nearly."""
    sha = draw(st.text(alphabet="0123456789abcdef", min_size=3, max_size=66))
    if draw(st.integers(0, 4)) == 0:
        body = sha
    else:
        distance = draw(
            st.sampled_from(
                ["0", "0", "1", "3", "10", "01", "", "99999999999999999999", "3a", "x", "rc.1"]
            )
        )
        body = f"{draw(near_semver())}-{distance}-g{sha}"
    space = st.text(alphabet=" \n\t\r", max_size=2)
    return draw(space) + body + draw(space)


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=100, deadline=None)
@given(text=describe_output(), allow_untagged=st.booleans())
def test_random_describe_outputs_agree(
    shell: Shell, script: Path, text: str, allow_untagged: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        describe = Path(tmp) / "describe"
        describe.write_bytes(text.encode())
        out = Path(tmp) / "out"
        env = {"DESCRIBE_FILE": str(describe), "ALLOW_UNTAGGED": str(allow_untagged).lower()}
        result = run(shell, script, "describe", out, **env)
        want = expect(
            lambda: SemverTag.from_git_describe(text, fallback=allow_untagged),
            floating=True,
            latest=False,
        )
        untagged_refusal = not want.ok and "names no tag" in want.message
        assert_agrees(result, want, out, exact=shown_alike(text) and not untagged_refusal)


def test_load_reads_the_packaged_script() -> None:
    text = load("tag_check.sh")
    assert text.startswith("# shellcheck disable=SC1003,SC2295")
    packaged = Path(__file__).parents[2] / "argo_buildpacks/components/scripts/tag_check.sh"
    # What a container runs: the packaged text without what the shell ignores.
    assert text == compact(packaged.read_text())


@pytest.mark.parametrize(
    "name", ["missing.sh", "../tags.py", "__init__.py", "scripts/tag_check.sh"]
)
def test_load_refuses_unknown_scripts(name: str) -> None:
    with pytest.raises(ConfigError, match=r"tag_check\.sh"):
        load(name)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "value",
    [
        "1.0.0-" + "a" * 8000,  # took over a minute before the cap (cubic parsing)
        "v" + "1" * 8000 + ".0.0",
        "1.0.0-" + "a.0" * 3000,
        "v1.0.0-" + "a" * 123,  # 129 bytes after the 'v'
        "1.0.0-" + "\u00e9" * 62,  # 124 characters, 130 bytes
    ],
)
def test_long_tags_are_refused_before_parsing(
    shell: Shell, script: Path, tmp_path: Path, value: str
) -> None:
    out = tmp_path / "out"
    result = run(shell, script, "check", out, TAG=value, **flags(True, False))
    want = expect(lambda: SemverTag.parse(value), floating=True, latest=False)
    bare = value.removeprefix("v").encode()
    assert want.message == (
        f"the version is {len(bare)} bytes long; a version has at most 128 (an OCI tag's "
        "limit), not counting one leading 'v'"
    )
    assert_agrees(result, want, out, exact=True)
