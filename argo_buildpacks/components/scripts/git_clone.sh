# git-clone: fetch one revision of a repository into $WORKSPACE/src and record what was built.
#
# Runs in the alpine/git image as the builder's non-root uid. Every input arrives in the
# environment (never in this text) and is checked here again, because run-time parameters
# (Argo UI, `argo submit -p`) bypass the Python validation:
#   REPO REVISION DEPTH SUBMODULES SUBPATH WORKSPACE OUT_DIR RETRIES [RETRY_DELAY]
#   DESCRIBE (true: fetch tags and blob-less history for `git describe`)
#   AUTH (none|https|ssh) GIT_TOKEN_FILE GIT_USERNAME AUTH_URL_PREFIX SSH_KEY_FILE KNOWN_HOSTS_FILE
# Outputs in $OUT_DIR: commit, commit-epoch, and describe (when DESCRIBE=true).
set -euf # -f: no pathname expansion; nothing here needs it and values must stay data
export LC_ALL=C
nl='
'

fail() {
  printf 'git-clone: %s\n' "$*" >&2
  exit 1
}

# shq VALUE: VALUE single-quoted for sh, for GIT_SSH_COMMAND, which git runs through a shell.
shq() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# A value must be one line and must not look like an option to git.
plain() {
  case "$2" in
    *"$nl"* | *"$(printf '\r')"*) fail "$1 contains a line break" ;;
    -*) fail "$1 '$2' starts with '-'" ;;
  esac
}

[ -n "${REPO:-}" ] || fail "repo is empty"
plain repo "$REPO"
case "$REPO" in
  *[[:space:]]* | *[[:cntrl:]]*) fail "repo '$REPO' contains whitespace or control characters" ;;
esac
case "${REPO%%/*}" in
  *::*) fail "repo '$REPO' uses a git remote helper ('::'), which is not allowed" ;;
esac
case "$REPO" in
  https://* | http://* | ssh://* | git://*) allowed=https:http:ssh:git ;;
  file://*) allowed=file ;;
  *://*) fail "repo '$REPO' has a scheme that is not allowed (https, http, ssh, git, file)" ;;
  *@*:* | *:*) allowed=ssh ;;
  *) fail "repo '$REPO' is not a URL or user@host:path" ;;
esac
# Transports beyond these (ext::, fd::) could run commands; submodules inherit the list.
export GIT_ALLOW_PROTOCOL="$allowed"

REVISION=${REVISION:-HEAD}
plain revision "$REVISION"
case "$REVISION" in
  *[[:space:]]* | *[[:cntrl:]]* | *..* | *'@{'* | *[~^:?*\\[]*)
    fail "revision '$REVISION' is not a valid branch, tag or commit SHA" ;;
esac

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
mkdir -p "$OUT_DIR"
# git needs a writable HOME for nothing it keeps; never the image's (root's) one.
HOME=$(mktemp -d)
export HOME
export GIT_TERMINAL_PROMPT=0
trap 'rm -rf "$HOME"' EXIT
trap 'exit 143' TERM INT HUP # run the EXIT trap when the pod is stopped, too

# Credentials reach git through its environment only: nothing in a URL, nothing written to
# .git/config, nothing printed. The token header is scoped to the configured repository's
# origin, so a repo overridden at submit time cannot receive it.
n=0
case "${AUTH:-none}" in
  none) ;;
  https)
    [ -r "${GIT_TOKEN_FILE:-}" ] || fail "the git token Secret is not mounted at '${GIT_TOKEN_FILE:-}'"
    case "${AUTH_URL_PREFIX:-}" in
      https://?*/) ;;
      *) fail "AUTH_URL_PREFIX must be the https://host/ the token is for" ;;
    esac
    token=$(cat "$GIT_TOKEN_FILE")
    [ -n "$token" ] || fail "the git token file '$GIT_TOKEN_FILE' is empty"
    # printf is a builtin: the token is on no command line (/proc/*/cmdline).
    basic=$(printf '%s:%s' "${GIT_USERNAME:-x-access-token}" "$token" | base64 | tr -d '\n')
    token=
    export GIT_CONFIG_KEY_0="http.${AUTH_URL_PREFIX}.extraHeader"
    export GIT_CONFIG_VALUE_0="Authorization: Basic $basic"
    n=1
    ;;
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
  *) fail "AUTH '${AUTH}' must be none, https or ssh" ;;
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

attempt=0
err="$HOME/fetch.err"
until git fetch -q "$@" origin -- "$REVISION" 2>"$err"; do
  cat "$err" >&2
  if grep -Eqi "couldn't find remote ref|not our ref|not found|does not appear to be a git repository|authentication failed|could not read username|permission denied|host key verification failed" "$err"; then
    fail "fetching '$REVISION' from '$REPO' failed and would fail again"
  fi
  attempt=$((attempt + 1))
  [ "$attempt" -le "$RETRIES" ] || fail "fetching '$REVISION' from '$REPO' failed $attempt times"
  delay=$((RETRY_DELAY * attempt))
  printf 'git-clone: fetch failed; retry %s of %s in %ss\n' "$attempt" "$RETRIES" "$delay" >&2
  sleep "$delay"
done
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
