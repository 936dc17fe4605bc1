"""Mutation audit of the security guards: does a test fail when a guard is removed?

    make mutation                                   # every mutant
    .venv/bin/python bench/mutants.py --only clone- # mutants whose id starts with clone-
    .venv/bin/python bench/mutants.py --only tag-cap-128,gitops-outside  # these two
    .venv/bin/python bench/mutants.py --list        # the mutants, without running anything

Each mutant is one exact snippet of one file replaced by a weaker one (a refusal deleted, a
bound loosened, a read-only mount made writable...), the tests that should catch it, and why
the guard matters. The tool copies the working tree (tracked and untracked files, as they are
now, without ``.venv`` or anything ignored) to a temporary directory, checks that Python run
there imports the copy's ``argo_buildpacks`` and ``tests`` (not the editable install of the
working tree), runs every mutant's tests once unmutated (they must pass, or nothing below
means anything), and then, one mutant at a time: applies it to the copy, runs its tests
(``pytest -x``, no xdist), records the outcome and restores the file. The working tree is
never written; the tool checks that ``git status`` is the same before and after.

Outcomes:

- ``killed``: a test failed (pytest exit status 1). Good.
- ``survived``: every test passed with the guard gone: a missing test (or an equivalent
  mutant; the table says why it matters, so a reader can tell).
- ``n/a``: the original snippet is not in the file (or is there more than once). The file
  changed since the mutant was written: e.g. the in-cluster scripts moved to a shared prelude.
  Counted as not killed, and the run fails: rewrite the mutant against the new text
  (``--list`` shows which ones no longer apply, without running anything).
- ``error``: pytest could not run the tests (exit status other than 0 or 1: a bad node id, no
  test collected, a crash) or timed out. Not counted as killed.

A mutant with ``each`` (the shared prelude's guards) is killed only when every test file it
names fails on its own, so each script relying on the guard has a test that notices.

The score is killed / all mutants run. The golden manifests (tests/golden) contain every
script's text, so they would "kill" any script mutant without saying anything about its
behaviour: no mutant of a script names them; they are the killers only of the mutant that
checks the golden comparison itself.
"""

# The snippets are verbatim lines of the files they mutate, however long those are.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = "argo_buildpacks/components/scripts"


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    original: str
    mutated: str
    tests: tuple[str, ...]
    why: str
    #: a pytest -k expression narrowing ``tests`` (optional)
    k: str = ""
    #: killed only when EACH file of ``tests`` fails on its own (a guard of the shared
    #: prelude: every script named must have a test that catches it), not just one of them
    each: bool = False


# Test targets ------------------------------------------------------------------------------
HOSTILE = "tests/security/test_hostile_values.py"
GUARDS = "tests/security/test_guards.py"
TRUST = "tests/security/test_trust_boundary.py"
TOKEN = "tests/security/test_git_token.py"
CLONE = "tests/components/test_clone_script.py"
CLONE_GUARDS = "tests/components/test_clone_guards.py"
TAG = "tests/components/test_tag_check_script.py"
BUILD = "tests/components/test_build_script.py"
BUILD_GUARDS = "tests/components/test_build_guards.py"
PRELUDE = "tests/components/test_prelude.py"
# (A target may be a pytest node id, FILE::Class: a mutant of the prelude runs each of its
# files on its own, so the slow parity tables of a file that cannot catch it are left out.)
REBASE = "tests/components/test_rebase_script.py"
SIGN = "tests/components/test_sbom_sign.py"
DEPLOY = "tests/components/test_deploy.py"
GITOPS = "tests/components/test_deploy_gitops_script.py"
FLEET = "tests/templates/test_fleet.py"
LIBRARY = "tests/templates/test_library.py"
PIPELINE = "tests/templates/test_pipeline.py"
COMPOSE = "tests/templates/test_compose.py"
RESTRICTED = "tests/linting/test_restricted_guards.py"
LINT_ARGO = "tests/linting/test_lint_argo.py"
CLIENT = "tests/client/test_client.py"
CLI = "tests/cli/test_cli.py"
IMAGES = "tests/model/test_images.py"
TAGS = "tests/model/test_tags.py"
CONFIG = "tests/model/test_config.py"
PUBLIC = "tests/test_public_names.py"
GOLDEN = "tests/templates/test_golden.py"


def sh(name: str) -> str:
    return f"{SCRIPTS}/{name}"


MUTANTS: list[Mutant] = [
    # ---- _prelude.sh: the checks the scripts share. One mutant per guard (it used to be
    # one per script); ``each``: every script file named must catch it on its own.
    Mutant(
        "prelude-plain-dash",  # was clone-dash-prefix and gitops-dash-prefix
        sh("_prelude.sh"),
        "  case \"$2\" in -*) fail \"$1 '$2' starts with '-'\" ;; esac\n",
        "",
        (PRELUDE, GITOPS),
        "a repo, revision, branch or path starting with '-' is an option to git (--upload-pack=CMD)",
        each=True,
    ),
    Mutant(
        "clone-repo-dash",  # the clone checks its repo itself, to name it redacted
        sh("git_clone.sh"),
        "case \"$REPO\" in -*) fail \"repo '$shown' starts with '-'\" ;; esac\n",
        "",
        (CLONE,),
        "a repo starting with '-' is an option to git (--upload-pack=CMD)",
    ),
    Mutant(
        "prelude-one-line",  # was clone-line-break and build-one-line
        sh("_prelude.sh"),
        '  case "$2" in *"$nl"* | *"$cr"*) fail "$1 contains a line break" ;; esac',
        '  case "$2" in *"$cr"*) fail "$1 contains a line break" ;; esac',
        (PRELUDE, CLONE_GUARDS, BUILD + "::TestInputs"),
        "a line break forges log lines and order.toml entries, and splits values read line by line",
        each=True,
    ),
    Mutant(
        "prelude-digest-length",  # was build-digest-length, sign-digest-length, deploy-check-length
        sh("_prelude.sh"),
        '  [ "${#_dh}" -eq "$_dn" ]',
        '  [ "${#_dh}" -ge 1 ]',
        (PRELUDE, BUILD + "::TestInputs", SIGN, DEPLOY),
        "a short digest is a prefix, not an image: a digest is its algorithm's full length",
        each=True,
    ),
    Mutant(
        "prelude-digest-hex",  # was sign-digest-hex and deploy-check-hex
        sh("_prelude.sh"),
        "  case \"$_dh\" in '' | *[!0-9a-f]*) return 1 ;; esac",
        "  case \"$_dh\" in '') return 1 ;; esac",
        (PRELUDE, SIGN, DEPLOY, FLEET),
        "a digest with other characters (upper case, spaces, options) names something else",
        each=True,
    ),
    Mutant(
        "prelude-sha256-only",  # was sign-digest-prefix
        sh("_prelude.sh"),
        '  case "$1" in sha256:*) is_digest "$1" ;; *) return 1 ;; esac',
        '  is_digest "$1"',
        (PRELUDE, SIGN, DEPLOY),
        "sign and deploy act on the sha256 digest a build pushes, no other algorithm",
        each=True,
    ),
    Mutant(
        "prelude-sha256-anchored",  # was fleet-digest-anchored and rebase-digest-anchored
        sh("_prelude.sh"),
        '  case "$1" in sha256:*) is_digest "$1" ;; *) return 1 ;; esac',
        '  case "$1" in *sha256:*) is_digest "sha256:${1#*sha256:}" ;; *) return 1 ;; esac',
        (PRELUDE, FLEET, REBASE),
        "a forged value with a valid digest inside must not pass for that digest",
        each=True,
    ),
    # ---- git_clone.sh: run-time repo and revision (a submission bypasses Python) ----------
    Mutant(
        "clone-remote-helper",
        sh("git_clone.sh"),
        "  *::*) fail \"repo '$shown' uses a git remote helper",
        "  *:::::*) fail \"repo '$shown' uses a git remote helper",
        (HOSTILE,),
        "ext::sh -c CMD runs a command; fd:: reads a descriptor",
        k="test_repo",
    ),
    Mutant(
        "clone-repo-whitespace",
        sh("git_clone.sh"),
        "  *[[:space:]]* | *[[:cntrl:]]*) fail \"repo '$shown' contains whitespace",
        "  *[[:cntrl:]]*) fail \"repo '$shown' contains whitespace",
        (HOSTILE,),
        "a URL with spaces is not a URL; ext:: payloads need them",
        k="test_repo",
    ),
    Mutant(
        "clone-no-url",
        sh("git_clone.sh"),
        "  *) fail \"repo '$shown' is not a URL or user@host:path\" ;;",
        "  *) allowed=file ;;",
        (HOSTILE, CLONE),
        "a bare path or '$(...)' is not a repository URL",
        k="test_repo or repo",
    ),
    Mutant(
        "clone-scheme",
        sh("git_clone.sh"),
        "  *://*) fail \"repo '$shown' has a scheme that is not allowed",
        "  *://*) allowed=ext; : \"repo '$shown' has a scheme that is not allowed",
        (CLONE_GUARDS, CLONE, HOSTILE),
        "only https, http, ssh, git and file transports",
    ),
    Mutant(
        "clone-follow-redirects",
        sh("git_clone.sh"),
        'export GIT_CONFIG_VALUE_1="false"',
        'export GIT_CONFIG_VALUE_1="true"',
        (TOKEN, CLONE),
        "a redirect must not carry the token to another origin",
    ),
    Mutant(
        "clone-token-scoped-to-url",
        sh("git_clone.sh"),
        'export GIT_CONFIG_KEY_0="http.${auth_url}.extraHeader"',
        'export GIT_CONFIG_KEY_0="http.extraHeader"',
        (TOKEN, CLONE),
        "the token goes to the configured repository only, not any URL git talks to",
    ),
    Mutant(
        "clone-git-hosts",
        sh("git_clone.sh"),
        '  [ "$ok" = true ] ||\n    fail "repo \'$shown\' is not on a host',
        '  [ "$ok" = true ] || true ||\n    fail "repo \'$shown\' is not on a host',
        (CLONE, LIBRARY, TOKEN),
        "library mode sends the namespace's git credentials only to the hosts it names",
    ),
    Mutant(
        "clone-auth-url-https",
        sh("git_clone.sh"),
        '      https://?*) ;;\n      *) fail "AUTH_URL must be',
        '      http*://?*) ;;\n      *) fail "AUTH_URL must be',
        (TOKEN, CLONE),
        "a token is never sent over plain http",
    ),
    Mutant(
        "clone-pull-requests",
        sh("git_clone.sh"),
        '    [ "${ALLOW_PULL_REQUESTS:-false}" = true ] ||',
        "    true ||",  # the component always sets ALLOW_PULL_REQUESTS: not its default
        (CLONE, TRUST),
        "pull-request refs are unreviewed code; refused unless the config allows them",
    ),
    Mutant(
        "clone-other-refs",
        sh("git_clone.sh"),
        "  refs/*) fail \"revision '$REVISION' is not a branch (refs/heads/) or tag (refs/tags/)\" ;;",
        "  refs/*) refs=$REVISION ;;",
        (CLONE, TRUST),
        "refs/notes, refs/remotes... are not what a run may build",
    ),
    Mutant(
        "clone-revision-dotdot",
        sh("git_clone.sh"),
        "  *[[:space:]]* | *[[:cntrl:]]* | *..* | *'@{'*",
        "  *[[:space:]]* | *[[:cntrl:]]* | *'@{'*",
        (CLONE_GUARDS, CLONE, HOSTILE),
        "'a..b' is a range, not a revision",
    ),
    Mutant(
        "clone-reachable-sha",
        sh("git_clone.sh"),
        'if [ "$sha" = true ] && [ "${ALLOW_ANY_SHA:-false}" != true ]; then',
        "if false; then",  # the component always sets ALLOW_ANY_SHA: not its default
        (CLONE, TRUST),
        "a SHA must be on a branch or tag: an unmerged commit is unreviewed code",
    ),
    Mutant(
        "clone-subpath-dotdot",
        sh("git_clone.sh"),
        '  */../* | *//*/* | */./*) fail "subpath',
        '  *//*/* | */./*) fail "subpath',
        (CLONE, HOSTILE),
        "the subpath must stay inside the repository",
    ),
    Mutant(
        "clone-subpath-symlink-outside",
        sh("git_clone.sh"),
        "    *) fail \"subpath '$SUBPATH' leads outside the repository\" ;;",
        "    *) ;;",
        (CLONE,),
        "a symlinked subpath must not build files outside the repository",
    ),
    Mutant(
        "clone-ssh-strict-host-key",
        sh("git_clone.sh"),
        "-o StrictHostKeyChecking=yes",
        "-o StrictHostKeyChecking=no",
        (CLONE, TOKEN),
        "an SSH key must not be offered to an unknown host",
    ),
    # ---- buildpacks_build.sh ----------------------------------------------------------------
    Mutant(
        "build-set-f",
        sh("buildpacks_build.sh"),
        "set -euf # -f: no pathname expansion",
        "set -eu # -f: no pathname expansion",
        (HOSTILE, BUILD),
        "the comma lists are split unquoted: '*' in a buildpack would expand to file names",
    ),
    Mutant(
        "build-env-name-chars",
        sh("buildpacks_build.sh"),
        "      '' | [0-9]* | *[!A-Za-z0-9_]* | CNB_*) fail \"build env name '$1' is invalid\" ;;",
        "      '' | [0-9]* | CNB_*) fail \"build env name '$1' is invalid\" ;;",
        (HOSTILE, BUILD),
        "an env name is a file name under <platform>/env: '../x' writes elsewhere",
    ),
    Mutant(
        "build-env-name-cnb",
        sh("buildpacks_build.sh"),
        "      '' | [0-9]* | *[!A-Za-z0-9_]* | CNB_*) fail \"build env name '$1' is invalid\" ;;",
        "      '' | [0-9]* | *[!A-Za-z0-9_]*) fail \"build env name '$1' is invalid\" ;;",
        (BUILD, HOSTILE),
        "CNB_* variables steer the lifecycle itself",
    ),
    Mutant(
        "build-env-line-name",
        sh("buildpacks_build.sh"),
        "        '' | [0-9]* | *[!A-Za-z0-9_]* | CNB_*) fail \"build env name '$name' is invalid\" ;;",
        "        '' | [0-9]* | CNB_*) fail \"build env name '$name' is invalid\" ;;",
        (LIBRARY, BUILD, HOSTILE),
        "library mode's NAME=VALUE lines: the same file-name rule",
    ),
    Mutant(
        "build-image-prefix-boundary",
        sh("_prelude.sh"),  # check_prefix: the build's and the provenance's registry rule
        '    case "$2/" in "$_pp"/*) IFS=$_pifs; return 0 ;; esac',
        '    case "$2/" in "$_pp"*) IFS=$_pifs; return 0 ;; esac',
        (BUILD, LIBRARY),
        "registry.example.com/acme must not admit registry.example.com/acme-evil",
    ),
    Mutant(
        "build-image-prefix",
        sh("_prelude.sh"),
        '  [ -n "${IMAGE_PREFIXES:-}" ] || return 0\n  _pifs=$IFS IFS=$nl',
        "  return 0\n  _pifs=$IFS IFS=$nl",
        (BUILD, LIBRARY),
        "a library run pushes only under the registries fixed at install",
    ),
    Mutant(
        "build-subpath-dotdot",
        sh("buildpacks_build.sh"),
        "  */../* | */./* | /-* | */-*) fail \"subpath '$SUBPATH' must be a plain relative path\" ;;",
        "  */./* | /-* | */-*) fail \"subpath '$SUBPATH' must be a plain relative path\" ;;",
        (BUILD, HOSTILE),
        "the app directory must stay inside the workspace",
    ),
    Mutant(
        "build-buildpack-version-climb",
        sh("buildpacks_build.sh"),
        "      '' | . | *..* | */*) fail \"buildpack '$bp' has an invalid version",
        "      '' | .) fail \"buildpack '$bp' has an invalid version",
        (BUILD_GUARDS, BUILD, HOSTILE),
        # An 'id@VERSION' entry never gets here with '..' or '/': the entry pattern and the
        # entry's own '..' check stop it first. The version found in the builder's directory
        # (id without @) does: a directory named '1..0' is what this guard alone refuses.
        "a buildpack version names a directory: '..' in it is refused, whatever it came from",
    ),
    Mutant(
        "build-buildpack-entry-dotdot",
        sh("buildpacks_build.sh"),
        "      *..* | */ | *//*) fail \"buildpack '$bp' is not an id or id@version\" ;;",
        "      */ | *//*) fail \"buildpack '$bp' is not an id or id@version\" ;;",
        (BUILD_GUARDS, BUILD),
        "'id@..' and 'a..b' are refused as entries, before a version or a directory is looked up",
    ),
    Mutant(
        "build-previous-image-checked",  # the call site of the prelude's check_ref
        sh("buildpacks_build.sh"),
        '[ -z "${PREVIOUS_IMAGE:-}" ] || check_ref previous-image "$PREVIOUS_IMAGE"',
        '[ -z "${PREVIOUS_IMAGE:-}" ] || true',
        (BUILD,),
        "a previous image given at run time is checked in the cluster (a full digest, a tag)",
    ),
    # ---- tag_check.sh -----------------------------------------------------------------------
    Mutant(
        "tag-cap-128",
        sh("tag_check.sh"),
        "  if [ ${#p_bare} -gt 128 ]; then",
        "  if [ ${#p_bare} -gt 100000 ]; then",
        (TAG,),
        "capped before parsing: the parser is not linear in the length",
    ),
    Mutant(
        "tag-oci-cap-describe",
        sh("tag_check.sh"),
        "[ ${#oci} -le 128 ] || die \"version '$version' is",
        "[ ${#oci} -le 100000 ] || die \"version '$version' is",
        (TAG,),
        "a version derived from git can outgrow the 128-character OCI tag",
    ),
    Mutant(
        "tag-leading-zero",
        sh("tag_check.sh"),
        "    0?*) why=\"$e_label '$e_num' has a leading zero\" ;;",
        "    0?*) ;;",
        (TAG,),
        "the in-cluster check must refuse what SemverTag refuses",
    ),
    Mutant(
        "tag-pre-leading-zero",
        sh("tag_check.sh"),
        "      0?*) why=\"the pre-release identifier '$e_id' is numeric with a leading zero\" && return ;;",
        "      0?*) ;;",
        (TAG,),
        "SemVer 2.0.0 item 9",
    ),
    Mutant(
        "tag-prerelease-floating",
        sh("tag_check.sh"),
        "*-*) ;; # a pre-release never moves floating tags",
        "*-*-*-*-*) ;; # a pre-release never moves floating tags",
        (TAG,),
        "an rc must never move 1.4, 1 or latest",
    ),
    Mutant(
        "tag-describe-distance",
        sh("tag_check.sh"),
        "  case $d_dist in '' | *[!0-9]* | 0?*) d_match= ;; esac",
        "  case $d_dist in '' | 0?*) d_match= ;; esac",
        (TAG,),
        "TAG-N-gSHA: N is a number",
    ),
    Mutant(
        "tag-untagged",
        sh("tag_check.sh"),
        '      [ "$ALLOW_UNTAGGED" = true ] || die "git describe output',
        '      [ "$ALLOW_UNTAGGED" = true ] || true || die "git describe output',
        (TAG,),
        "an untagged commit gets 0.0.0-dev only where the config allows it",
    ),
    Mutant(
        "tag-nul-byte",
        sh("tag_check.sh"),
        '  [ -z "$d_nul" ] || die',
        '  [ -z "" ] || die',
        (TAG,),
        "the shell drops NUL bytes silently: refuse them outright",
    ),
    Mutant(
        "tag-flag-values",
        sh("tag_check.sh"),
        "  *) pyrepr \"${flag#*=}\" && misuse \"${flag%%=*} must be 'true' or 'false', got $REPLY\" ;;",
        "  *) ;;",
        (TAG,),
        "FLOATING=yes must not silently mean false",
    ),
    # ---- fleet_summary.sh ------------------------------------------------------------------
    Mutant(
        "fleet-digest-checked",  # the call site of the prelude's is_sha256
        sh("fleet_summary.sh"),
        '  if [ -z "$1" ]; then printf \'%s\' -; elif is_sha256 "$1"; then',
        "  if [ -z \"$1\" ]; then printf '%s' -; elif true; then",
        (FLEET,),
        "a forged digest field must show as 'invalid', not as a digest",
        k="summary",
    ),
    Mutant(
        "fleet-app-name",
        sh("fleet_summary.sh"),
        "  matches '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' \"$app\" ||",
        "  matches '[a-z0-9]' \"$app\" ||",
        (FLEET,),
        "an app field forges rows",
        k="summary",
    ),
    Mutant(
        "fleet-clean-reason",
        sh("fleet_summary.sh"),
        "  printf '%s' \"$1\" | tr '\\000-\\037\\177' '?' | cut -c1-500\n",
        "  printf '%s' \"$1\" | cut -c1-500\n",
        (FLEET,),
        "a tab or line break in a reason forges a column or a row",
        k="summary",
    ),
    Mutant(
        "fleet-action",
        sh("fleet_summary.sh"),
        "  case \"$action\" in rebased | unchanged | rebuild | '') ;; *) action=invalid ;; esac",
        '  case "$action" in *) ;; esac',
        (FLEET,),
        "the action column is one of three words",
        k="summary",
    ),
    # ---- rebase.sh --------------------------------------------------------------------------
    Mutant(
        "rebase-digest-checked",  # the call site of the prelude's is_sha256
        sh("rebase.sh"),
        '  is_sha256 "$old" || fail "digest of $IMAGE:$TAG \'$old\' is not sha256:<64 hex>"',
        "  true || fail \"digest of $IMAGE:$TAG '$old' is not sha256:<64 hex>\"",
        (REBASE,),
        "the digest rebase acts on must be exactly one digest",
    ),
    Mutant(
        "rebase-tag-103",
        sh("rebase.sh"),
        '[ "${#TAG}" -le 103 ] ||',
        '[ "${#TAG}" -le 1000 ] ||',
        (REBASE,),
        "room for the immutable -rebased.<timestamp> suffix within 128",
    ),
    Mutant(
        "rebase-tag-valid",
        sh("rebase.sh"),
        'is_tag "$TAG" || fail "tag \'$TAG\' is not a valid OCI tag"',
        "true || fail \"tag '$TAG' is not a valid OCI tag\"",
        (REBASE,),
        "the tag is a run parameter",
    ),
    Mutant(
        "rebase-top-layer",
        sh("rebase.sh"),
        '[ -n "$top" ] || fail "$IMAGE:$TAG records no run image top layer"',
        'true || fail "$IMAGE:$TAG records no run image top layer"',
        (REBASE,),
        "without the recorded top layer no change can be detected",
    ),
    Mutant(
        "rebase-decision",
        sh("rebase.sh"),
        "  *) fail \"decision '$action' must be rebase, unchanged or rebuild\" ;;",
        "  *) exit 0 ;;",
        (REBASE,),
        "an unknown decision must fail, not pass as done",
    ),
    # ---- sign.sh ----------------------------------------------------------------------------
    Mutant(
        "sign-digest-checked",  # the call site of the prelude's is_sha256
        sh("sign.sh"),
        'is_sha256 "$DIGEST" || fail "digest \'$DIGEST\' is not sha256:<64 hex digits>; nothing signed"',
        "true || fail \"digest '$DIGEST' is not sha256:<64 hex digits>; nothing signed\"",
        (SIGN,),
        "cosign signs exactly the digest the build pushed",
    ),
    Mutant(
        "sign-built-tag",
        sh("sign.sh"),
        '{ [ -n "$tag" ] && [ "$IMAGE:$tag" = "$BUILT" ]; } ||',
        '{ [ -n "$tag" ]; } ||',
        (SIGN,),
        "sign only what this run built for the configured image",
    ),
    Mutant(
        "sign-tlog-default",
        sh("sign.sh"),
        "  true | false) tlog=${TLOG_UPLOAD:-false} ;;",
        "  true | false) tlog=true ;;",
        (SIGN,),
        "uploading to the public transparency log is opt-in",
    ),
    # ---- deploy scripts ---------------------------------------------------------------------
    Mutant(
        "deploy-check-digest-checked",  # the call site of the prelude's is_sha256
        sh("deploy_check.sh"),
        'is_sha256 "$digest" || fail',
        "true || fail",
        (DEPLOY,),
        "deploy exactly a sha256 digest",
    ),
    Mutant(
        "gitops-https-only",
        sh("deploy_gitops.sh"),
        "  *) fail \"repo '$GITOPS_REPO' must be an https:// URL\" ;;",
        "  *) export GIT_ALLOW_PROTOCOL=ssh:git:http ;;",
        (GITOPS,),
        "the GitOps token goes over https only",
    ),
    Mutant(
        "gitops-symlink",
        sh("deploy_gitops.sh"),
        '  [ ! -L "$FILE" ] || fail',
        "  true || fail",
        (GITOPS,),
        "a symlink in the GitOps repo must not redirect the edit",
    ),
    Mutant(
        "gitops-outside",
        sh("deploy_gitops.sh"),
        '  case "$real/" in "$(pwd -P)"/*) ;; *) fail "\'$FILE\' leads outside the repository" ;; esac',
        '  case "$real/" in *) ;; esac',
        (GITOPS,),
        "the edited file must be inside the clone",
    ),
    Mutant(
        "gitops-built-tag",
        sh("deploy_gitops.sh"),
        '[ "$IMAGE:$tag" = "$BUILT" ] || fail "the build pushed',
        'true || fail "the build pushed',
        (GITOPS,),
        "deploy only the configured image",
    ),
    Mutant(
        "gitops-path",
        sh("deploy_gitops.sh"),
        'case "$FILE" in /* | -* | */-*) fail "path \'$FILE\' must be a plain relative path" ;; esac',
        'case "$FILE" in /*) fail "path \'$FILE\' must be a plain relative path" ;; esac',
        (GITOPS,),
        "a path component starting with '-' is an option",
    ),
    # ---- components: credentials and pod security -------------------------------------------
    Mutant(
        "registry-mount-readonly",
        "argo_buildpacks/components/buildpacks_build.py",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=False)",
        (GUARDS,),
        "a phase must not be able to write the push credentials",
    ),
    Mutant(
        "pack-registry-mount-readonly",
        "argo_buildpacks/components/pack_build.py",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=False)",
        (GUARDS,),
        "the same for pack modes",
    ),
    Mutant(
        "rebase-registry-mount-readonly",
        "argo_buildpacks/components/rebase.py",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=True)",
        "VolumeMount(name=REGISTRY_SECRET_VOLUME, mount_path=REGISTRY_SECRET_DIR, read_only=False)",
        (GUARDS,),
        "the same for rebase",
    ),
    Mutant(
        "git-mount-readonly",
        "argo_buildpacks/components/git_clone.py",
        "VolumeMount(name=GIT_SECRET_VOLUME, mount_path=GIT_SECRET_DIR, read_only=True)",
        "VolumeMount(name=GIT_SECRET_VOLUME, mount_path=GIT_SECRET_DIR, read_only=False)",
        (GUARDS,),
        "the clone must not be able to write the git credentials",
    ),
    Mutant(
        "pod-run-as-non-root",
        "argo_buildpacks/components/_pod.py",
        "        run_as_non_root=True,\n        allow_privilege_escalation=False,",
        "        run_as_non_root=None,\n        allow_privilege_escalation=False,",
        (TRUST, PIPELINE),
        "restricted: every container runs as non-root",
    ),
    Mutant(
        "pod-allow-privilege-escalation",
        "argo_buildpacks/components/_pod.py",
        "        allow_privilege_escalation=False,\n        capabilities=Capabilities",
        "        allow_privilege_escalation=None,\n        capabilities=Capabilities",
        (TRUST, PIPELINE),
        "restricted: no setuid escalation",
    ),
    Mutant(
        "pod-drop-all",
        "argo_buildpacks/components/_pod.py",
        'capabilities=Capabilities(drop=["ALL"]),\n        seccomp_profile',
        'capabilities=Capabilities(drop=["NET_RAW"]),\n        seccomp_profile',
        (TRUST, PIPELINE),
        "restricted: all capabilities dropped",
    ),
    Mutant(
        "pod-container-seccomp",
        "argo_buildpacks/components/_pod.py",
        'capabilities=Capabilities(drop=["ALL"]),\n        seccomp_profile=SeccompProfile(type="RuntimeDefault"),',
        'capabilities=Capabilities(drop=["ALL"]),\n        seccomp_profile=None,',
        (TRUST, PIPELINE),
        "restricted: a RuntimeDefault seccomp profile (container level)",
    ),
    Mutant(
        "pod-seccomp",
        "argo_buildpacks/components/_pod.py",
        'fs_group=builder.gid,\n        seccomp_profile=SeccompProfile(type="RuntimeDefault"),',
        "fs_group=builder.gid,\n        seccomp_profile=None,",
        (TRUST, PIPELINE),
        "restricted: a RuntimeDefault seccomp profile (pod level)",
    ),
    Mutant(
        "pod-executor-patch",
        "argo_buildpacks/components/_pod.py",
        '        fields["pod_spec_patch"] = executor_patch(None if non_root else builder)',
        "        pass",
        (TRUST, PIPELINE),
        "Argo's init and wait containers need the restricted context too",
    ),
    Mutant(
        "workflow-no-sa-token",
        "argo_buildpacks/templates/_workflow.py",
        "        automount_service_account_token=False,",
        "        automount_service_account_token=None,",
        (TRUST, PIPELINE),
        "the app's code must get no service-account token",
    ),
    Mutant(
        "compose-no-sa-token",
        "argo_buildpacks/templates/compose.py",
        "    workflow.automount_service_account_token = False  # type: ignore[attr-defined]",
        "    pass",
        (COMPOSE, TRUST),
        "a composed workflow's containers get no service-account token either",
    ),
    # (workflow_template's own early check is not a mutant: pack_build repeats it, so
    # removing it changes nothing observable. The gate is pack_build's.)
    Mutant(
        "pack-privileged-gate",
        "argo_buildpacks/components/pack_build.py",
        "    if not allow_privileged:",
        "    if False:",
        (PIPELINE, CLI),
        "pack-dind/pack-socket give root on the node: opt-in only",
        k="privileged",
    ),
    Mutant(
        "client-apply-privileged-gate",
        "argo_buildpacks/client/_templates.py",
        "    issues = [] if allow_privileged else privileged_problems(manifest)",
        "    issues = []",
        (CLIENT,),
        "ArgoClient.apply refuses a privileged template unless allowed",
    ),
    Mutant(
        "cli-apply-privileged-gate",
        "argo_buildpacks/cli/_apply.py",
        '    if not options.get("allow_privileged"):\n        for source, manifest in items:',
        "    if False:\n        for source, manifest in items:",
        (GUARDS, CLI),
        "'apply' refuses a privileged template unless --allow-privileged",
        k="privileged",
    ),
    # ---- library mode ------------------------------------------------------------------------
    Mutant(
        "library-platform-api",
        "argo_buildpacks/templates/app.py",
        '        "builder.platform_api": config.builder.platform_api,\n',
        "",
        (GUARDS, LIBRARY),
        "an app must not run under another platform API than it was written for",
    ),
    Mutant(
        "library-allow-any-sha",
        "argo_buildpacks/templates/app.py",
        '    for key in ("allow_any_sha", "allow_pull_requests"):',
        '    for key in ("allow_pull_requests",):',
        (GUARDS, LIBRARY),
        "an app asking for any SHA must not silently get the library's stricter policy",
    ),
    Mutant(
        "library-allow-pull-requests",
        "argo_buildpacks/templates/app.py",
        '    for key in ("allow_any_sha", "allow_pull_requests"):',
        '    for key in ("allow_any_sha",):',
        (LIBRARY, GUARDS),
        "the same for pull-request refs",
    ),
    Mutant(
        "library-git-secret-fixed",
        "argo_buildpacks/templates/library.py",
        "source = SecretVolumeSource(secret_name=GIT_SECRET, optional=True, default_mode=0o440)",
        'source = SecretVolumeSource(secret_name="{{inputs.parameters.git-secret}}", optional=True)',
        (LIBRARY,),
        "a submitter must not choose which Secret is mounted",
    ),
    Mutant(
        "library-git-hosts-none",
        "argo_buildpacks/templates/library.py",
        '"GIT_HOSTS": "\\n".join(hosts) or "argo-buildpacks.invalid",',
        '"GIT_HOSTS": "\\n".join(hosts),',
        (LIBRARY,),
        "a library without git hosts sends credentials nowhere",
    ),
    Mutant(
        "library-registry-secret",
        "argo_buildpacks/templates/app.py",
        "    if config.registry_secret not in (None, REGISTRY_SECRET):",
        "    if False:",
        (LIBRARY,),
        "the library mounts the namespace's registry Secret, whatever the app names",
    ),
    # ---- lint: restricted and privileged ------------------------------------------------------
    Mutant(
        "restricted-added-capabilities",
        "argo_buildpacks/linting/_restricted.py",
        ' if c != "NET_BIND_SERVICE"]',
        "]",
        (RESTRICTED,),
        "restricted allows adding NET_BIND_SERVICE only",
    ),
    Mutant(
        "restricted-added-capabilities-gone",
        "argo_buildpacks/linting/_restricted.py",
        '    extra = [str(c) for c in entries(capabilities.get("add")) if c != "NET_BIND_SERVICE"]',
        "    extra: list[str] = []",
        (RESTRICTED,),
        "added capabilities are refused by the profile itself",
    ),
    Mutant(
        "restricted-run-as-non-root-precedence",
        "argo_buildpacks/linting/_restricted.py",
        '    non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))',
        '    non_root = pod.get("runAsNonRoot", sc.get("runAsNonRoot"))',
        (RESTRICTED,),
        "a container's runAsNonRoot: false wins over the pod's true",
    ),
    Mutant(
        "restricted-drop-all",
        "argo_buildpacks/linting/_restricted.py",
        '    if "ALL" not in [str(c) for c in entries(capabilities.get("drop"))]:',
        "    if False:",
        (LINT_ARGO, RESTRICTED),
        "restricted requires drop: [ALL]",
        k="restricted",
    ),
    Mutant(
        "restricted-seccomp",
        "argo_buildpacks/linting/_restricted.py",
        '    if seccomp.get("type") not in _SECCOMP:',
        "    if False:",
        (LINT_ARGO, RESTRICTED, TRUST),
        "restricted requires a RuntimeDefault or Localhost seccomp profile",
    ),
    Mutant(
        "privileged-privileged",
        "argo_buildpacks/linting/_privileged.py",
        '    if security.get("privileged") is True:',
        "    if False:",
        (LINT_ARGO, CLIENT),
        "privileged: true is root on the node",
    ),
    Mutant(
        "privileged-host-path",
        "argo_buildpacks/linting/_privileged.py",
        '        if "hostPath" in volume:',
        "        if False:",
        (LINT_ARGO, CLIENT),
        "a hostPath volume (docker.sock) is root on the node",
    ),
    # ---- model validators -----------------------------------------------------------------
    Mutant(
        "image-port-range",
        "argo_buildpacks/model/images.py",
        "not 1 <= int(port) <= _MAX_PORT",
        "not 0 <= int(port) <= _MAX_PORT",
        (IMAGES,),
        "port 0 is not a port",
    ),
    Mutant(
        "image-name-length",
        "argo_buildpacks/model/images.py",
        "    if len(ref.name) > NAME_TOTAL_LENGTH_MAX:",
        "    if len(ref.name) > NAME_TOTAL_LENGTH_MAX + 1:",
        (IMAGES,),
        "registries refuse names over 255",
    ),
    Mutant(
        "image-tag-length",
        "argo_buildpacks/model/images.py",
        "    if len(tag) > IMAGE_TAG_MAX_LENGTH:",
        "    if len(tag) > IMAGE_TAG_MAX_LENGTH + 1:",
        (IMAGES,),
        "OCI tags have at most 128 characters",
    ),
    Mutant(
        "semver-leading-zero",
        "argo_buildpacks/model/tags.py",
        '        if len(part) > 1 and part[0] == "0":',
        '        if len(part) > 2 and part[0] == "0":',
        (TAGS,),
        "SemVer 2.0.0 item 2: no leading zeros",
    ),
    Mutant(
        "semver-pre-leading-zero",
        "argo_buildpacks/model/tags.py",
        '_NUMERIC.fullmatch(ident) and len(ident) > 1 and ident[0] == "0"',
        '_NUMERIC.fullmatch(ident) and len(ident) > 2 and ident[0] == "0"',
        (TAGS,),
        "SemVer 2.0.0 item 9",
    ),
    Mutant(
        "semver-oci-128",
        "argo_buildpacks/model/tags.py",
        "OCI_TAG_MAX_LENGTH = 128",
        "OCI_TAG_MAX_LENGTH = 129",
        (TAGS,),
        "too long is an error, not a truncation",
    ),
    Mutant(
        "config-builder-uid-root",
        "argo_buildpacks/model/builder.py",
        'uid: int = Field(ge=1, le=2_147_483_647, description="CNB_USER_ID',
        'uid: int = Field(ge=0, le=2_147_483_647, description="CNB_USER_ID',
        (CONFIG,),
        "the build never runs as root",
    ),
    Mutant(
        "config-abbreviated-sha",
        "argo_buildpacks/_kits/git.py",
        '    if re.fullmatch(r"[0-9a-f]{7,39}", value):',
        '    if re.fullmatch(r"[0-9a-f]{8,39}", value):',
        (CONFIG,),
        "a shallow fetch cannot resolve an abbreviated SHA",
    ),
    Mutant(
        "config-pull-request-revision",
        "argo_buildpacks/_kits/git.py",
        "        if allow_pull_requests is False:",
        "        if False:",
        (CONFIG, CLIENT, PIPELINE),
        "a PR ref submitted from Python is refused before it reaches the cluster",
    ),
    Mutant(
        "config-subpath-dash",
        "argo_buildpacks/_kits/git.py",
        '        if part.startswith("-"):',
        '        if part.startswith("--"):',
        (CONFIG, HOSTILE),
        "a subpath component starting with '-' is an option",
        k="subpath",
    ),
    # ---- the package's public face ----------------------------------------------------------
    Mutant(
        "public-table-module",
        "argo_buildpacks/__init__.py",
        '    "SemverTag": "model.tags",',
        '    "SemverTag": "model.images",',
        (PUBLIC,),
        "a name must come from the module the table says",
    ),
    Mutant(
        "public-type-checking",
        "argo_buildpacks/__init__.py",
        "    from argo_buildpacks.model.images import ImageRef as ImageRef\n",
        "",
        (PUBLIC,),
        "an exported name invisible to type checkers",
    ),
    Mutant(
        "public-no-hera",
        "argo_buildpacks/__init__.py",
        "import importlib\n",
        "import importlib\nimport hera.workflows  # noqa: F401\n",
        (PUBLIC,),
        "'import argo_buildpacks' and --help stay fast without Hera",
    ),
    Mutant(
        "golden-template-change",
        "argo_buildpacks/components/_pod.py",
        '"seccompProfile": {"type": "RuntimeDefault"},',
        '"seccompProfile": {"type": "Localhost"},',
        (GOLDEN,),
        "any change of a rendered template shows as a golden diff",
        k="matches_golden",
    ),
]


# Running ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | n/a | error
    seconds: float
    detail: str = ""


def copy_tree(dest: Path) -> None:
    """The working tree as it is now: tracked and untracked files, nothing ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def env_for(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no stale .pyc of a same-size mutant
    env.pop("UPDATE_GOLDEN", None)
    return env


def check_isolation(copy: Path) -> None:
    """Python run as the tests are imports the copy, not the working tree's editable install."""
    probe = "import argo_buildpacks, tests; print(argo_buildpacks.__file__); print(tests.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=copy,
        env=env_for(copy),
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.split():
        if not Path(line).resolve().is_relative_to(copy.resolve()):
            sys.exit(f"mutants: {line} is imported instead of the copy under {copy}; stopping")


def pytest_args(copy: Path, tests: tuple[str, ...], k: str, workers: str = "0") -> list[str]:
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-n", workers, "-p", "no:cacheprovider"]
    args += ["--no-header", "-o", "addopts=--strict-markers", "--rootdir", str(copy)]
    if k:
        args += ["-k", k]
    return args + list(tests)


def run_tests(
    copy: Path, tests: tuple[str, ...], k: str, timeout: float, workers: str = "0"
) -> tuple[int | None, str]:
    try:
        done = subprocess.run(
            pytest_args(copy, tests, k, workers),
            cwd=copy,
            env=env_for(copy),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f}s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, (lines[-1] if lines else done.stderr.strip()[-200:])


def run_mutant(copy: Path, mutant: Mutant, timeout: float) -> Outcome:
    path = copy / mutant.file
    start = time.perf_counter()
    if not path.exists():
        return Outcome(mutant, "n/a", 0.0, f"{mutant.file} does not exist")
    text = path.read_text()
    count = text.count(mutant.original)
    if count != 1:
        why = "snippet not found" if count == 0 else f"snippet found {count} times"
        return Outcome(mutant, "n/a", 0.0, f"{why} (the file changed: rewrite this mutant)")
    path.write_text(text.replace(mutant.original, mutant.mutated, 1))
    try:
        if mutant.each:
            # Every file on its own: a prelude guard must be caught through each script named.
            runs = [(f, *run_tests(copy, (f,), mutant.k, timeout)) for f in mutant.tests]
        else:
            runs = [("", *run_tests(copy, mutant.tests, mutant.k, timeout))]
    finally:
        path.write_text(text)
    seconds = time.perf_counter() - start
    failed = [f"{f}: pytest exit {c}: {last}" for f, c, last in runs if c not in (0, 1)]
    if failed:
        return Outcome(mutant, "error", seconds, "; ".join(failed))
    missed = [(f, last) for f, c, last in runs if c == 0]
    if not missed:
        return Outcome(mutant, "killed", seconds, runs[-1][2])
    if mutant.each:
        return Outcome(
            mutant, "survived", seconds, "not caught by " + ", ".join(f for f, _ in missed)
        )
    return Outcome(mutant, "survived", seconds, missed[0][1])


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def table(outcomes: list[Outcome]) -> str:
    width = max(len(o.mutant.id) for o in outcomes)
    rows = [f"{'mutant':<{width}}  {'outcome':<8}  {'time':>6}  file / detail"]
    for o in outcomes:
        short = o.mutant.file.removeprefix("argo_buildpacks/")
        detail = o.detail if o.status != "killed" else ""
        rows.append(
            f"{o.mutant.id:<{width}}  {o.status:<8}  {o.seconds:5.1f}s  {short}"
            + (f"  [{detail}]" if detail else "")
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help="mutant ids or id prefixes, comma-separated (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per mutant")
    parser.add_argument("--min-score", type=float, default=95.0, help="exit 1 below (percent)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args(argv)

    ids = [m.id for m in MUTANTS]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        sys.exit(f"mutants: duplicate ids {sorted(duplicates)}")
    only = tuple(name for value in args.only for name in value.split(",") if name)
    chosen = [m for m in MUTANTS if not only or m.id.startswith(only)]
    if args.list:
        for m in chosen:
            where = ROOT / m.file
            count = where.read_text().count(m.original) if where.exists() else 0
            status = "" if count == 1 else f" [n/a: snippet found {count} times]"
            each = " (each)" if m.each else ""
            print(
                f"{m.id}: {m.file}: {m.why} <- {', '.join(m.tests)}{each}"
                f"{' -k ' + m.k if m.k else ''}{status}"
            )
        return 0
    if not chosen:
        sys.exit("mutants: no mutant matches --only")

    # Stopped (kill PID): unwind, so the copy is removed and nothing is left mutated.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("mutants: stopped"))
    before = git_status()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="argo-buildpacks-mutants-"))
    copy = tmp / "repo"
    try:
        copy_tree(copy)
        check_isolation(copy)
        print(f"copy of the working tree: {copy}", flush=True)
        # Unmutated, every target must pass: otherwise a "kill" means nothing. One run of
        # every file named (a -k only narrows a file), on two workers.
        files = tuple(sorted({t for m in chosen for t in m.tests}))
        code, last = run_tests(copy, files, "", args.timeout * 2, workers="2")
        if code != 0:
            sys.exit(f"mutants: the unmutated tests fail ({' '.join(files)}): {last}")
        print(f"baseline: {len(files)} test files pass unmutated ({last})", flush=True)
        outcomes = []
        for i, mutant in enumerate(chosen, 1):
            outcome = run_mutant(copy, mutant, args.timeout)
            outcomes.append(outcome)
            print(
                f"[{i}/{len(chosen)}] {mutant.id}: {outcome.status} ({outcome.seconds:.1f}s)",
                flush=True,
            )
    finally:
        if args.keep:
            print(f"kept {copy}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    changed = git_status() != before
    elapsed = time.perf_counter() - started
    counts = {
        s: sum(o.status == s for o in outcomes) for s in ("killed", "survived", "n/a", "error")
    }
    # Of ALL the mutants run: one that no longer applies is a guard nobody audits any more,
    # so it counts against the score (and fails the run) until it is rewritten.
    score = 100.0 * counts["killed"] / len(outcomes) if outcomes else 0.0
    print()
    print(table(outcomes))
    print()
    print(
        f"killed {counts['killed']}/{len(outcomes)} ({score:.1f}%), "
        f"survived {counts['survived']}, not applicable {counts['n/a']}, "
        f"errors {counts['error']}, in {elapsed / 60:.1f} min"
    )
    for o in outcomes:
        if o.status == "survived":
            print(f"  SURVIVED {o.mutant.id}: {o.mutant.why} ({o.mutant.file})")
    for o in outcomes:
        if o.status == "n/a":
            print(f"  NOT APPLICABLE {o.mutant.id}: {o.detail} ({o.mutant.file})")
    for o in outcomes:
        if o.status == "error":
            print(f"  ERROR {o.mutant.id}: {o.detail}")
    if changed:
        # The tool writes only its copy: someone edited the tree meanwhile. Say so, since the
        # copy was taken before.
        print("mutants: the working tree changed during the run (not by this tool)")
        return 2
    return 0 if score >= args.min_score and not counts["error"] and not counts["n/a"] else 1


if __name__ == "__main__":
    sys.exit(main())
