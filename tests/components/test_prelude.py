"""The shell prelude (``scripts/_prelude.sh``): joined into the scripts by ``load``, and its
image-reference grammar in parity with :class:`ImageRef`, under real shells.

The parity test runs the prelude's ``check_ref`` and ``check_name`` with ``busybox sh`` and
``dash`` on generated and hostile references, many per shell, and compares accept/refuse
with ``ImageRef.parse``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argo_buildpacks.components import scripts
from argo_buildpacks.components.scripts import PRELUDE, load, names, prelude
from argo_buildpacks.components.scripts._compact import compact
from argo_buildpacks.errors import ConfigError, ImageRefError
from argo_buildpacks.model.images import ImageRef
from tests.support.runscript import SHELLS, Shell, base_path

HEX = "0123456789abcdef"
SHA256 = "sha256:" + "a" * 64
SHA384 = "sha384:" + "b" * 96
SHA512 = "sha512:" + "c" * 128

# Checks each argument, printing 1 (accepted) or 0 (refused) for each; a refusal exits the
# subshell it runs in, as it exits a script.
HARNESS = (
    "set -euf\nexport LC_ALL=C\nme=prelude-test\n"
    + prelude("fail", "one_line", "matches", "is_digest", "is_tag", "check_name", "check_ref")
    + """
check=$1
shift
for v in "$@"; do
  if ("$check" value "$v") 2>/dev/null; then printf 1; else printf 0; fi
done
"""
)


def shell_accepts(shell: Shell, check: str, values: Sequence[str]) -> list[bool]:
    """What the prelude's ``check`` (``check_ref`` or ``check_name``) says of each value."""
    done = subprocess.run(
        [*shell, "-c", HARNESS, "harness", check, *values],
        env={"PATH": base_path()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr, len(done.stdout)) == (0, "", len(values))
    return [c == "1" for c in done.stdout]


def python_accepts(value: str, *, name_only: bool = False) -> bool:
    """``ImageRef.parse``'s answer; ``name_only``: without a tag or digest, as an image
    repository is given."""
    try:
        ref = ImageRef.parse(value)
    except ImageRefError:
        return False
    return not name_only or (ref.tag is None and ref.digest is None)


def assert_parity(shell: Shell, values: Sequence[str]) -> None:
    """The shell's ``check_ref`` and ``check_name`` accept exactly what Python accepts."""
    for check, name_only in (("check_ref", False), ("check_name", True)):
        got = shell_accepts(shell, check, values)
        want = [python_accepts(v, name_only=name_only) for v in values]
        assert [(v, g) for v, g, w in zip(values, got, want, strict=True) if g != w] == [], check


# ------------------------------------------------------------------ generated references


def mostly(valid: st.SearchStrategy[str], odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``valid`` three times in four, else ``odd``: enough of both sides of the grammar."""
    return st.tuples(st.integers(0, 3), valid, odd).map(lambda t: t[2] if t[0] == 0 else t[1])


_LABEL = mostly(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,4}[A-Za-z0-9])?", fullmatch=True),
    st.text("abcXYZ019-_", max_size=6),
)
_PORT = mostly(
    st.integers(1, 65535).map(str),
    st.one_of(
        st.text("0123456789", max_size=7),
        st.sampled_from(["0", "65535", "65536", "00080", "99999", "x", "5000:1"]),
    ),
)
_REGISTRY = st.one_of(
    st.just("localhost"),
    st.lists(_LABEL, min_size=1, max_size=3).map(".".join),
    st.text("0123456789abcdefABCDEF:.g", max_size=8).map(lambda t: f"[{t}]"),
)
_COMPONENT = mostly(
    st.from_regex(r"[a-z0-9]{1,3}(([._]|__|-{1,3})[a-z0-9]{1,3}){0,2}", fullmatch=True),
    st.text("abz09._-A:[ ", max_size=6),
)
_TAG = mostly(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}", fullmatch=True),
    st.one_of(
        st.text("aZ09_.-:/@+", max_size=4),
        st.integers(126, 130).map(lambda n: "t" * n),
    ),
)
_ALGORITHMS = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "SHA256": 64, "": 64}


@st.composite
def digests(draw: st.DrawFn) -> str:
    """A digest that is valid, or one step from valid: another algorithm, length or digit."""
    algorithm = draw(st.sampled_from(sorted(_ALGORITHMS)))
    length = _ALGORITHMS[algorithm] + draw(st.sampled_from([0, 0, 0, -1, 1, -32]))
    digits = draw(st.text(HEX, min_size=length, max_size=length))
    if draw(st.integers(0, 3)) == 0 and digits:
        position = draw(st.integers(0, len(digits) - 1))
        odd = draw(st.sampled_from("ABFg:@"))
        digits = digits[:position] + odd + digits[position + 1 :]
    return f"{algorithm}:{digits}"


@st.composite
def references(draw: st.DrawFn) -> str:
    """``[registry[:port]/]path[:tag][@digest]`` from mostly valid parts, sometimes with one
    hostile character put anywhere."""
    text = ""
    if draw(st.booleans()):
        registry = draw(_REGISTRY)
        if draw(st.booleans()):
            registry += ":" + draw(_PORT)
        text = registry + "/"
    text += "/".join(draw(st.lists(_COMPONENT, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text += ":" + draw(_TAG)
    if draw(st.booleans()):
        text += "@" + draw(digests())
    if draw(st.integers(0, 5)) == 0:
        position = draw(st.integers(0, len(text)))
        odd = draw(st.sampled_from(["\n", "\r", "\t", " ", "/", ":", "@", "[", "]", "é", "\x7f"]))
        text = text[:position] + odd + text[position:]
    return text


# Any text the shell can be given: argv has no NUL byte.
_ANY = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=200, deadline=None)
@given(values=st.lists(mostly(references(), _ANY), min_size=5, max_size=25))
def test_check_ref_accepts_exactly_what_imageref_accepts(shell: Shell, values: list[str]) -> None:
    assert_parity(shell, values)


# The cases that drifted apart while each script had its own copy, and the grammar's edges.
EDGES = [
    "Acme/app",  # the rebase script accepted it
    f"ghcr.io/acme/app@{SHA512}",  # the rebase script refused it
    f"ghcr.io/acme/app:1.0@{SHA384}",
    "a_b.c/app",  # a registry (it has a '.'), with an invalid host label
    "LOCALHOST/app",
    "localhost/app",
    "localhost",
    "localhost:5000",  # the repository 'localhost', tag '5000'
    "localhost:5000/app",
    "localhost:0/app",
    "localhost:00080/app",
    "localhost:65535/app",
    "localhost:65536/app",
    "localhost:000000000000000000001/app",
    "localhost:/app",
    "localhost:5000:1/app",
    "Registry.Example.COM:443/acme/app:1.0",
    "[::1]:5000/app",
    "[::1]/app",
    "[:]/app",
    "[::1]",
    "[1.2.3.4]/app",  # an IPv6 address is hex digits and ':'
    "[::1]x/app",
    "[::1/app",
    "-ghcr.io/app",
    "host-.io/app",
    "ghcr..io/app",
    "ghcr.io//app",
    "ghcr.io/app/",
    "a/b:c/d",
    "app:",
    "app@",
    "app:-x",
    "app:" + "t" * 128,
    "app:" + "t" * 129,
    "a" * 255,
    "a" * 256,
    "ghcr.io/" + "a" * 247,
    "ghcr.io/" + "a" * 248,
    f"app@{SHA256}@{SHA256}",
    f"app@{SHA256[:-1]}",
    f"app@{SHA256}0",
    f"app@{SHA256.upper()}",
    f"app@md5:{'a' * 32}",
    f"app@{SHA256}\nevil",
    f"app\n@{SHA256}",
    "app\n",
    "app\r",
    "app\t",
    "app:1\nghcr.io/evil",
    "a__b/c---d/e.f",
    "a___b",
    "a.-b",
    "$(touch SENTINEL)",
    "",
]


@pytest.mark.parametrize("shell", SHELLS)
def test_the_grammars_edges_agree(shell: Shell) -> None:
    assert_parity(shell, EDGES)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_drift_cases_explicitly(shell: Shell) -> None:
    assert shell_accepts(shell, "check_ref", ["Acme/app", f"ghcr.io/acme/app@{SHA512}"]) == [
        False,
        True,
    ]


# ------------------------------------------------------------------ the other functions


def run_prelude(shell: Shell, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``body`` after the whole prelude, as a script named ``prelude-test``."""
    text = "set -euf\nexport LC_ALL=C\nme=prelude-test\n" + prelude(*_all_sections()) + body
    return subprocess.run(
        [*shell, "-c", text, "prelude-test", *args],
        env={"PATH": base_path()},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_fail_names_the_script_and_shows_control_characters_as_question_marks(
    shell: Shell,
) -> None:
    done = run_prelude(shell, "fail \"value '$1' is bad\"; echo NOT REACHED", "a\nb\tc\x1b[2J")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "prelude-test: value 'a?b?c?[2J' is bad\n"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a\nb", "prelude-test: x contains a line break\n"),
        ("a\r", "prelude-test: x contains a line break\n"),
        ("-x", "prelude-test: x '-x' starts with '-'\n"),
    ],
)
def test_plain_refuses_line_breaks_and_options(shell: Shell, value: str, message: str) -> None:
    done = run_prelude(shell, 'plain x "$1"; echo NOT REACHED', value)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", message)


@pytest.mark.parametrize("shell", SHELLS)
def test_matches_takes_the_whole_value_never_one_line_of_it(shell: Shell) -> None:
    body = 'for v in "$@"; do if matches "^[a-z]+\\$" "$v"; then printf 1; else printf 0; fi; done'
    done = run_prelude(shell, body, "abc", "abc\nABC", "ABC\nabc", "abc\n", "", "ab c")
    assert (done.returncode, done.stdout) == (0, "100000")


@pytest.mark.parametrize("shell", SHELLS)
def test_is_sha256(shell: Shell) -> None:
    body = 'for v in "$@"; do if is_sha256 "$v"; then printf 1; else printf 0; fi; done'
    values = [SHA256, SHA512, SHA256 + "\n", SHA256 + "\tx", SHA256[:-1], "sha256:", ""]
    values += ["x" + SHA256, "sha256:" + "A" * 64, "sha256:" + "g" * 64, SHA256 + "a", SHA384]
    done = run_prelude(shell, body, *values)
    assert (done.returncode, done.stdout) == (0, "1" + "0" * (len(values) - 1))


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Acme/app", "ref 'Acme/app' is not an image repository"),
        ("app:-x", "ref 'app:-x' has an invalid tag"),
        (f"app@{SHA256}@{SHA256}", f"ref 'app@{SHA256}@{SHA256}' has an invalid digest"),
        ("app\n", "ref contains a line break"),
    ],
)
def test_check_ref_says_which_part_is_wrong(shell: Shell, value: str, message: str) -> None:
    done = run_prelude(shell, 'check_ref ref "$1"; echo NOT REACHED', value)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"prelude-test: {message}")


# ------------------------------------------------------------------ joining


def _all_sections() -> list[str]:
    return re.findall(r"^#@section (\S+)$", scripts._read(PRELUDE), flags=re.M)


def _functions(text: str) -> set[str]:
    return set(re.findall(r"^\s*([a-z_][a-z0-9_]*)\(\) \{", text, flags=re.M))


PRELUDE_FUNCTIONS = _functions(prelude(*_all_sections()))
# A function called as a command: where a command starts, not a word in a message or comment.
_CALL = r"(?:^|[;&|(){{!]|\b(?:then|do|else|elif|if|while|until))\s*{}(?=\s|$)"


@pytest.mark.parametrize("name", names())
def test_each_script_gets_what_it_calls_and_nothing_else(name: str) -> None:
    text = load(name)
    assert "#@" not in text  # the marker was replaced; no section line was joined
    assert not re.search(r"^\s*##", text, flags=re.M)  # the prelude's notes stay out
    defined = _functions(text) & PRELUDE_FUNCTIONS
    own = text
    for function in defined:
        own = re.sub(rf"^\s*{function}\(\) \{{", "", own, flags=re.M)
    called = {f for f in PRELUDE_FUNCTIONS if re.search(_CALL.format(f), own, flags=re.M)}
    assert called == defined, "the #@prelude line must name exactly the sections used"
    # Defined once: a script's own copy would shadow (or duplicate) the prelude's.
    for function in defined:
        assert len(re.findall(rf"^\s*{function}\(\) \{{", text, flags=re.M)) == 1, function


def test_the_shared_rules_live_only_in_the_prelude() -> None:
    raw = {n: scripts._read(n) for n in names()}
    for name, text in raw.items():
        assert not _functions(text) & PRELUDE_FUNCTIONS, name
        assert "[a-z0-9]+(([._]|__|-+)" not in text, name  # the path grammar
    assert sum("#@prelude" in text for text in raw.values()) == len(raw) - 1  # not tag_check


def test_scripts_stay_constants_with_the_prelude_joined() -> None:
    text = load("rebase.sh")
    assert text.startswith("set -euf\n")
    head, _, body = scripts._read("rebase.sh").partition("#@prelude")
    assert text.startswith(compact(head)) and text.endswith(compact(body.split("\n", 1)[1]))
    assert compact(prelude("fail", "one_line")) in text
    assert "{{" not in text


def test_the_prelude_is_not_a_script() -> None:
    assert PRELUDE not in names()
    with pytest.raises(ConfigError, match="is not packaged"):
        load(PRELUDE)


def test_an_unknown_section_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown prelude section.*nope.*has fail, one_line"):
        prelude("fail", "nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#!/bin/sh\n#@prelude fail nope\n", "'tag_check.sh': unknown prelude section"),
        ("#@prelude fail\n#@prelude one_line\n", "more than one #@prelude line"),
    ],
)
def test_a_bad_prelude_line_is_refused(
    monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    read = scripts._read
    monkeypatch.setattr(scripts, "_read", lambda n: text if n == "tag_check.sh" else read(n))
    with pytest.raises(ConfigError, match=message):
        scripts.load.__wrapped__("tag_check.sh")
