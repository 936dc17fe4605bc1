#!/bin/sh
# git-clone: fetch one revision of a repository into $WORKSPACE/src and record what was built.
#
# Runs in the alpine/git image as the builder's non-root uid. Every input arrives in the
# environment (never in this text) and is checked here again, because run-time parameters
# (Argo UI, `argo submit -p`) bypass the Python validation:
#   REPO REVISION DEPTH SUBMODULES SUBPATH WORKSPACE OUT_DIR RETRIES [RETRY_DELAY]
#   DESCRIBE (true: fetch tags and blob-less history for `git describe`)
#   ALLOW_ANY_SHA ALLOW_PULL_REQUESTS (true|false: what a run's revision may name)
#   AUTH (none|https|ssh; a kind whose #@part the container lacks is refused) GIT_TOKEN_FILE GIT_USERNAME SSH_KEY_FILE KNOWN_HOSTS_FILE
#   LOG_LEVEL (debug|info|warn|error; debug: GIT_TRACE, git's commands, never its HTTP
#   headers or packets, which would show the token)
#   AUTH_URL (https: the one repository URL the token is for) or GIT_HOSTS (one host a
#   line: the hosts credentials may go to, for templates that serve many repositories)
#   EXPECTED_COMMIT (optional: the SHA a push event says the ref points to; anything else
#   fetched is refused)
#   GIT_CA_FILE (optional: source.ca's PEM bundle, trusted besides SYSTEM_CA_FILE, the image's
#   bundle, default /etc/ssl/certs/ca-certificates.crt)
# Outputs in $OUT_DIR: commit, commit-epoch, and describe (when DESCRIBE=true).
set -euf # -f: no pathname expansion; nothing here needs it and values must stay data
export LC_ALL=C
me=git-clone
#@prelude fail one_line plain matches redact_url git_url

#@part ssh
# shq VALUE: VALUE single-quoted for sh, for GIT_SSH_COMMAND, which git runs through a shell.
shq() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
#@end

[ -n "${REPO:-}" ] || fail "repo is empty"
one_line repo "$REPO"
# What messages show of the repository: never a credential someone put in the URL.
shown=$(redact_url "$REPO")
case "$REPO" in -*) fail "repo '$shown' starts with '-'" ;; esac
case "$REPO" in
  *[[:space:]]* | *[[:cntrl:]]*) fail "repo '$shown' contains whitespace or control characters" ;;
esac
case "${REPO%%/*}" in
  *::*) fail "repo '$shown' uses a git remote helper ('::'), which is not allowed" ;;
esac
case "$REPO" in
  https://* | http://* | ssh://* | git://*) allowed=https:http:ssh:git ;;
  file://*) allowed='file' ;;
  *://*) fail "repo '$shown' has a scheme that is not allowed (https, http, ssh, git, file)" ;;
  *@*:* | *:*) allowed=ssh ;;
  *) fail "repo '$shown' is not a URL or user@host:path" ;;
esac
# Transports beyond these (ext::, fd::) could run commands; submodules inherit the list.
export GIT_ALLOW_PROTOCOL="$allowed"

REVISION=${REVISION:-HEAD}
plain revision "$REVISION"
case "$REVISION" in
  *[[:space:]]* | *[[:cntrl:]]* | *..* | *'@{'* | *[~^:?*\\[]* | /* | */ | *//*)
    fail "revision '$REVISION' is not a valid branch, tag or commit SHA" ;;
esac
[ "${#REVISION}" -le 255 ] || fail "revision is longer than 255 characters"
# What a run may build: a branch or a tag; a commit SHA only where a branch or tag reaches
# it (unless ALLOW_ANY_SHA); pull/merge-request refs only with ALLOW_PULL_REQUESTS. A plain
# name is refs/heads/NAME or refs/tags/NAME, whichever exists (both: refused), never by
# git's other rules (which would take 'pull/1/head' for refs/pull/1/head).
sha=false
case "$REVISION" in
  HEAD | refs/heads/?* | refs/tags/?*) refs=$REVISION ;;
  refs/pull/?* | refs/merge-requests/?*)
    [ "${ALLOW_PULL_REQUESTS:-false}" = true ] ||
      fail "revision '$REVISION' is a pull/merge-request ref; this template builds only branches and tags"
    refs=$REVISION ;;
  refs/*) fail "revision '$REVISION' is not a branch (refs/heads/) or tag (refs/tags/)" ;;
  *)
    if matches '^([0-9a-f]{40}|[0-9a-f]{64})$' "$REVISION"; then
      sha=true refs=$REVISION
    else
      refs=plain
    fi ;;
esac

EXPECTED_COMMIT=${EXPECTED_COMMIT:-}
[ -z "$EXPECTED_COMMIT" ] || matches '^([0-9a-f]{40}|[0-9a-f]{64})$' "$EXPECTED_COMMIT" ||
  fail "expected commit '$EXPECTED_COMMIT' is not a full commit SHA (40 or 64 hex digits)"

DEPTH=${DEPTH:-1}
case "$DEPTH" in
  '' | *[!0-9]*) fail "depth '$DEPTH' must be a whole number (0 = full history)" ;;
esac
RETRIES=${RETRIES:-3}
case "$RETRIES" in '' | *[!0-9]*) fail "retries '$RETRIES' must be a whole number" ;; esac
RETRY_DELAY=${RETRY_DELAY:-2}
case "$RETRY_DELAY" in '' | *[!0-9]*) RETRY_DELAY=2 ;; esac

SUBPATH=${SUBPATH:-}
plain subpath "$SUBPATH"
case "/$SUBPATH/" in
  */../* | *//*/* | */./*) fail "subpath '$SUBPATH' must be a plain relative path" ;;
esac
case "$SUBPATH" in /*) fail "subpath '$SUBPATH' must be relative to the repository root" ;; esac

WORKSPACE=${WORKSPACE:-/workspace}
OUT_DIR=${OUT_DIR:-$WORKSPACE/out}
dest="$WORKSPACE/src"
case "${LOG_LEVEL:-info}" in
  debug) export GIT_TRACE=1 ;;
  info | warn | error) ;;
  *) fail "log level '${LOG_LEVEL}' must be debug, info, warn or error" ;;
esac
unset GIT_TRACE_CURL GIT_TRACE_PACKET GIT_TRACE_PACKFILE GIT_CURL_VERBOSE
mkdir -p "$OUT_DIR"
# git needs a writable HOME for nothing it keeps; never the image's (root's) one.
HOME=$(mktemp -d)
export HOME
export GIT_TERMINAL_PROMPT=0
trap 'rm -rf "$HOME"' EXIT
trap 'exit 143' TERM INT HUP # run the EXIT trap when the pod is stopped, too
#@part ca
# source.ca: git reads one CA bundle (GIT_SSL_CAINFO replaces libcurl's), so the private CA
# goes after the image's roots in a bundle of this run's own, never in their place.
if [ -n "${GIT_CA_FILE:-}" ]; then
  [ -r "$GIT_CA_FILE" ] || fail "the CA bundle (source.ca) is not mounted at '$GIT_CA_FILE'"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$GIT_CA_FILE" ||
    fail "the CA bundle at '$GIT_CA_FILE' (source.ca) holds no PEM certificate"
  {
    if [ -r "${SYSTEM_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}" ]; then
      cat "${SYSTEM_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}"
      echo
    fi
    cat "$GIT_CA_FILE"
  } >"$HOME/ca.crt"
  export GIT_SSL_CAINFO="$HOME/ca.crt"
fi
#@end

# Credentials go only where the template says: the one configured repository (AUTH_URL), or
# a repository on one of GIT_HOSTS. They reach git through its environment only: nothing in a
# URL, nothing written to .git/config, nothing printed. With credentials, the repository must
# be a URL every parser reads the same host from (credential_url: curl ends the host at a
# '#' or '?', so a fragment holding '@github.com' would hide the host it connects to).
case "${AUTH:-none}" in none | https | ssh) ;; *) fail "AUTH '${AUTH}' must be none, https or ssh" ;; esac
# Without GIT_HOSTS the token's header is scoped to AUTH_URL by git's own URL matching, which
# a run's repository cannot widen (tests/security/test_git_hosts.py tries). A single app's
# template knows its kind when rendered and carries only that block (#@part https, ssh); the
# host check (#@part hosts) is for templates whose run chooses the kind (the library's).
host_checked=false
#@part hosts
if [ "${AUTH:-none}" != none ] && [ -n "${GIT_HOSTS:-}" ]; then
  credential_url "$AUTH" "$REPO" || fail "repo '$shown' $_up"
  ok=false
  old_ifs=$IFS IFS=$nl
  for h in $GIT_HOSTS; do if [ "$_uh" = "$h" ]; then ok=true; fi; done
  IFS=$old_ifs
  [ "$ok" = true ] ||
    fail "repo '$shown' is not on a host this template sends credentials to ($(printf '%s' "$GIT_HOSTS" | tr '\n' ' '))"
  host_checked=true
fi
#@end
[ "${AUTH:-none}" = none ] || [ -z "${GIT_HOSTS:-}" ] || [ "$host_checked" = true ] ||
  fail "GIT_HOSTS is set but this template's clone has no host check (its script part 'hosts')"
n=0
case "${AUTH:-none}" in
  none) ;;
#@part https
  https)
    [ -r "${GIT_TOKEN_FILE:-}" ] || fail "the git token Secret is not mounted at '${GIT_TOKEN_FILE:-}'"
    if [ "$host_checked" = true ]; then auth_url=$REPO; else auth_url=${AUTH_URL:-}; fi
    case "$auth_url" in
      https://?*) ;;
      *) fail "AUTH_URL must be the https:// repository URL the token is for" ;;
    esac
    token=$(cat "$GIT_TOKEN_FILE")
    [ -n "$token" ] || fail "the git token file '$GIT_TOKEN_FILE' is empty"
    # printf is a builtin: the token is on no command line (/proc/*/cmdline).
    basic=$(printf '%s:%s' "${GIT_USERNAME:-x-access-token}" "$token" | base64 | tr -d '\n')
    token=
    # http.<url>.* matches the repository's own URLs only (path prefix at a '/' boundary),
    # so an overridden repo, another repository on the host or a redirect target gets
    # nothing; and no redirect is followed at all while a token is configured.
    export GIT_CONFIG_KEY_0="http.${auth_url}.extraHeader"
    export GIT_CONFIG_VALUE_0="Authorization: Basic $basic"
    export GIT_CONFIG_KEY_1="http.followRedirects"
    export GIT_CONFIG_VALUE_1="false"
    n=2
    ;;
#@end
#@part ssh
  ssh)
    [ -r "${SSH_KEY_FILE:-}" ] || fail "the SSH key Secret is not mounted at '${SSH_KEY_FILE:-}'"
    [ -r "${KNOWN_HOSTS_FILE:-}" ] || fail "known_hosts is not mounted at '${KNOWN_HOSTS_FILE:-}'"
    # ssh refuses keys others can read; the Secret volume is group-readable (fsGroup).
    (umask 077 && cat "$SSH_KEY_FILE" >"$HOME/id")
    GIT_SSH_COMMAND="ssh -i $(shq "$HOME/id") -o IdentitiesOnly=yes -o BatchMode=yes"
    GIT_SSH_COMMAND="$GIT_SSH_COMMAND -o StrictHostKeyChecking=yes"
    GIT_SSH_COMMAND="$GIT_SSH_COMMAND -o $(shq "UserKnownHostsFile=$KNOWN_HOSTS_FILE")"
    export GIT_SSH_COMMAND
    ;;
#@end
  *) fail "AUTH '${AUTH}': this template's clone has no ${AUTH} credentials (its script part '${AUTH}')" ;;
esac
export GIT_CONFIG_COUNT=$n

# A retried step on a persistent workspace finds the previous attempt's tree: start afresh,
# so no stale or edited file ends up in the image.
rm -rf "$dest"
git init -q "$dest"
cd "$dest"
git config remote.origin.url "$REPO"

if [ "${DESCRIBE:-false}" = true ]; then
  # `git describe` needs the commit history and the tags, not the file contents.
  set -- --filter=blob:none --tags
elif [ "$DEPTH" -gt 0 ]; then
  set -- "--depth=$DEPTH"
else
  set --
fi

err="$HOME/fetch.err"
# remote OUT GIT-ARGS...: `git GIT-ARGS` (its output in OUT): 0 done, 2 the ref does not
# exist; fails the script on other errors that would fail again, and retries the rest.
remote() {
  out=$1
  shift
  attempt=0
  until git "$@" >"$out" 2>"$err"; do
    if grep -Eqi "couldn't find remote ref|not our ref" "$err"; then return 2; fi
    cat "$err" >&2
    if grep -Eqi "not found|does not appear to be a git repository|authentication failed|could not read username|permission denied|host key verification failed|redirect|returned error: (30[0-9]|40[134])" "$err"; then
      fail "fetching '$REVISION' from '$shown' failed and would fail again"
    fi
    attempt=$((attempt + 1))
    [ "$attempt" -le "$RETRIES" ] || fail "fetching '$REVISION' from '$shown' failed $attempt times"
    delay=$((RETRY_DELAY * attempt))
    printf 'git-clone: fetch failed; retry %s of %s in %ss\n' "$attempt" "$RETRIES" "$delay" >&2
    sleep "$delay"
  done
}
# fetch REFSPEC...: `remote` for git fetch.
fetch() { remote /dev/null fetch -q "$@"; }

if [ "$sha" = true ] && [ "${ALLOW_ANY_SHA:-false}" != true ]; then
  # A commit SHA is built only when a branch or tag of the repository contains it: fetch
  # their commit history (no file contents) and ask git.
  fetch --filter=blob:none origin -- '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*' ||
    fail "revision '$REVISION': the repository has no branches or tags"
  if ! git cat-file -e "$REVISION^{commit}" 2>/dev/null ||
    [ -z "$(git for-each-ref --count=1 --contains "$REVISION" refs/remotes/origin refs/tags)" ]; then
    fail "revision '$REVISION' is not on any branch or tag of '$shown'; this template builds only commits a branch or tag reaches"
  fi
fi

if [ "$refs" = "plain" ]; then
  # A plain name is the branch or the tag of that name: ask the server which exist, fetch
  # that one, and refuse a name that is both (a branch must never stand in for a release tag;
  # refs/tags/NAME or refs/heads/NAME says which). Nothing of the other is fetched.
  remote "$HOME/refs" ls-remote --refs origin "refs/heads/$REVISION" "refs/tags/$REVISION" ||
    true
  branch=false tag=false
  while read -r _sha name; do
    case "$name" in
      "refs/heads/$REVISION") branch=true ;;
      "refs/tags/$REVISION") tag=true ;;
    esac
  done <"$HOME/refs"
  if [ "$branch" = true ] && [ "$tag" = true ]; then
    fail "revision '$REVISION' is both a branch and a tag of '$shown'; give refs/heads/$REVISION or refs/tags/$REVISION"
  elif [ "$branch" = true ]; then
    refs="refs/heads/$REVISION"
  elif [ "$tag" = true ]; then
    refs="refs/tags/$REVISION"
  else
    fail "fetching '$REVISION' from '$shown' failed and would fail again: no such branch or tag"
  fi
fi
if ! fetch "$@" origin -- "$refs"; then
  cat "$err" >&2
  fail "fetching '$REVISION' from '$shown' failed and would fail again: no such branch or tag"
fi
# The push event's SHA (a tag object's or its commit's): the ref must still name it, or the
# build is of something nobody pushed as this release.
if [ -n "$EXPECTED_COMMIT" ]; then
  fetched=$(git rev-parse FETCH_HEAD)
  commit=$(git rev-parse "FETCH_HEAD^{commit}")
  if [ "$EXPECTED_COMMIT" != "$fetched" ] && [ "$EXPECTED_COMMIT" != "$commit" ]; then
    fail "revision '$REVISION' is at $commit, not at the pushed commit $EXPECTED_COMMIT; refusing to build it (the ref moved after the push)"
  fi
fi
git -c advice.detachedHead=false checkout -q --detach FETCH_HEAD

if [ "${SUBMODULES:-false}" = true ]; then
  if [ "$DEPTH" -gt 0 ]; then
    git submodule update -q --init --recursive --depth "$DEPTH"
  else
    git submodule update -q --init --recursive
  fi
fi

if [ -n "$SUBPATH" ]; then
  [ -d "$dest/$SUBPATH" ] || fail "subpath '$SUBPATH' is not a directory in $REVISION"
  real=$(cd "$dest/$SUBPATH" && pwd -P)
  case "$real/" in
    "$(pwd -P)"/*) ;;
    *) fail "subpath '$SUBPATH' leads outside the repository" ;;
  esac
fi

printf '%s' "$(git rev-parse HEAD)" >"$OUT_DIR/commit"
printf '%s' "$(git log -1 --format=%ct HEAD)" >"$OUT_DIR/commit-epoch"
if [ "${DESCRIBE:-false}" = true ]; then
  printf '%s' "$(git describe --tags --long --always HEAD)" >"$OUT_DIR/describe"
fi
printf 'git-clone: %s at %s\n' "$REVISION" "$(cat "$OUT_DIR/commit")"
