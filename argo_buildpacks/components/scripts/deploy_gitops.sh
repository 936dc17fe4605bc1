#!/bin/sh
# deploy-gitops: commit the built image (by digest) to a file of a GitOps repository and push.
#
# Runs in the alpine/git image (git, busybox sh and awk), as a non-root user, after a
# successful build. Every value arrives in the environment (never in this text) and is
# checked here, because the run's values (the digest, the built image) come from the build:
#   GITOPS_REPO GITOPS_BRANCH GITOPS_PATH   where (literal in the template: never a parameter)
#   MODE (kustomization|yaml) YAML_PATH VALUE_KIND (reference|digest) IMAGE_NAME
#   IMAGE      the configured image repository (literal)
#   DIGEST     sha256:<64 hex>, from the build
#   BUILT      the image the build pushed (IMAGE:TAG), from the build; must be IMAGE's
#   APP RETRIES [RETRY_DELAY] AUTH (none|https) GIT_TOKEN_FILE GIT_USERNAME
#   GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL (the commit's identity)
# kustomization: the images[] entry named IMAGE_NAME gets newName: IMAGE and digest: DIGEST
# (newTag removed; the entry is added when missing). yaml: the scalar at the dotted key path
# YAML_PATH is set to IMAGE@DIGEST (VALUE_KIND=reference) or DIGEST. Only block-style YAML
# is edited; anything this script cannot edit exactly is refused, never guessed at.
# A push that loses a race with another push is retried on the new tip (fetch, re-apply).
set -euf
export LC_ALL=C
me=deploy-gitops
#@prelude fail one_line plain matches is_digest is_sha256 check_name

# ---------------------------------------------------------------- checks
[ -n "${GITOPS_REPO:-}" ] || fail "GITOPS_REPO is empty"
plain repo "$GITOPS_REPO"
case "$GITOPS_REPO" in
  *[[:space:]]* | *[[:cntrl:]]* | *::*) fail "repo '$GITOPS_REPO' contains whitespace, control characters or '::'" ;;
  https://?*/?*) export GIT_ALLOW_PROTOCOL=https ;;
  file:///?*) export GIT_ALLOW_PROTOCOL=file ;;
  *) fail "repo '$GITOPS_REPO' must be an https:// URL" ;;
esac

BRANCH=${GITOPS_BRANCH:-main}
plain branch "$BRANCH"
case "$BRANCH" in
  '' | *[!A-Za-z0-9._/-]* | *..* | /* | */ | *//* | *.lock) fail "branch '$BRANCH' is not a plain branch name" ;;
esac

FILE=${GITOPS_PATH:-}
plain path "$FILE"
case "/$FILE/" in
  // | *[!A-Za-z0-9._/-]* | */../* | */./* | *//*/*) fail "path '$FILE' must be a plain relative path" ;;
esac
case "$FILE" in /* | -* | */-*) fail "path '$FILE' must be a plain relative path" ;; esac

IMAGE=${IMAGE:-}
check_name image "$IMAGE"
IMAGE_NAME=${IMAGE_NAME:-$IMAGE}
case "$IMAGE_NAME" in
  '' | *[!a-z0-9._/:-]* | -*) fail "image name '$IMAGE_NAME' is not an image name" ;;
esac

DIGEST=${DIGEST:-}
is_sha256 "$DIGEST" || fail "digest '$DIGEST' is not sha256:<64 hex digits>"

BUILT=${BUILT:-}
tag=${BUILT#"$IMAGE":}
[ "$IMAGE:$tag" = "$BUILT" ] || fail "the build pushed '$BUILT', not a tag of the configured image '$IMAGE'; nothing deployed"
case "$tag" in
  '' | [!A-Za-z0-9_]* | *[!A-Za-z0-9._-]*) fail "the built tag '$tag' is not an OCI tag" ;;
esac

MODE=${MODE:-kustomization}
case "$MODE" in
  kustomization) ;;
  yaml)
    case "${YAML_PATH:-}" in
      '' | .* | *. | *..* | *[!A-Za-z0-9_.-]*) fail "yaml path '${YAML_PATH:-}' must be dotted keys such as image.digest" ;;
    esac
    case "${VALUE_KIND:-reference}" in
      reference) NEW_VALUE="$IMAGE@$DIGEST" ;;
      digest) NEW_VALUE="$DIGEST" ;;
      *) fail "VALUE_KIND '${VALUE_KIND}' must be reference or digest" ;;
    esac
    export NEW_VALUE
    ;;
  *) fail "MODE '$MODE' must be kustomization or yaml" ;;
esac

RETRIES=${RETRIES:-5}
case "$RETRIES" in '' | *[!0-9]*) fail "retries '$RETRIES' must be a whole number" ;; esac
RETRY_DELAY=${RETRY_DELAY:-2}
case "$RETRY_DELAY" in '' | *[!0-9]*) RETRY_DELAY=2 ;; esac
case "${GIT_AUTHOR_NAME:=argo-buildpacks}" in *[!A-Za-z0-9\ ._-]*) fail "author name '$GIT_AUTHOR_NAME' is not allowed" ;; esac
case "${GIT_AUTHOR_EMAIL:=argo-buildpacks@localhost}" in *[!A-Za-z0-9._+@-]* | -*) fail "author email '$GIT_AUTHOR_EMAIL' is not allowed" ;; esac
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
APP=${APP:-app}
case "$APP" in '' | *[!a-z0-9-]*) fail "app name '$APP' is not a DNS label" ;; esac
export IMAGE IMAGE_NAME DIGEST

# ---------------------------------------------------------------- git, credentials
HOME=$(mktemp -d)
export HOME
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1
trap 'rm -rf "$HOME"' EXIT
trap 'exit 143' TERM INT HUP

# Never follow a redirect (the token must not reach another origin); the token travels as
# a header scoped to the exact repository URL: nothing in a URL, a file or a log line.
export GIT_CONFIG_KEY_0=http.followRedirects GIT_CONFIG_VALUE_0=false
n=1
case "${AUTH:-none}" in
  none) ;;
  https)
    case "$GITOPS_REPO" in https://*) ;; *) fail "a token is only sent over https" ;; esac
    [ -r "${GIT_TOKEN_FILE:-}" ] || fail "the GitOps token Secret is not mounted at '${GIT_TOKEN_FILE:-}'"
    token=$(cat "$GIT_TOKEN_FILE")
    [ -n "$token" ] || fail "the GitOps token file '$GIT_TOKEN_FILE' is empty"
    basic=$(printf '%s:%s' "${GIT_USERNAME:-x-access-token}" "$token" | base64 | tr -d '\n')
    token=
    export GIT_CONFIG_KEY_1="http.${GITOPS_REPO}.extraHeader"
    export GIT_CONFIG_VALUE_1="Authorization: Basic $basic"
    n=2
    ;;
  *) fail "AUTH '${AUTH}' must be none or https" ;;
esac
export GIT_CONFIG_COUNT=$n

work="$HOME/repo"
git init -q "$work"
cd "$work"
git config remote.origin.url "$GITOPS_REPO"

# ---------------------------------------------------------------- the edit
edit_kustomization() { # FILE -> stdout; exit 3: unsupported layout, 5: ambiguous
  awk -v q="'" '
    function bail(c) { rc = c; exit c }
    function strip(v) {
      sub(/^[ \t]+/, "", v); sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v)
      if (v ~ /^".*"$/ || v ~ ("^" q ".*" q "$")) v = substr(v, 2, length(v) - 2)
      return v
    }
    function flush(   i, line, k, out, ind) {
      if (nitem == 0) return
      if (!match_item) { for (i = 1; i <= nitem; i++) print item[i]; nitem = 0; return }
      ind = sprintf("%" item_indent "s", "")
      print ind "- name: " ENVIRON["IMAGE_NAME"]
      for (i = 1; i <= nitem; i++) {
        line = item[i]
        if (i == 1) sub(/- /, "  ", line)
        if (line ~ /^[ \t]*(#.*)?$/) { print line; continue }
        k = line; sub(/^ */, "", k); sub(/:.*/, "", k)
        if (k == "name" || k == "newName" || k == "newTag" || k == "digest") continue
        print line
      }
      print ind "  newName: " ENVIRON["IMAGE"]
      print ind "  digest: " ENVIRON["DIGEST"]
      nitem = 0; match_item = 0; done++
    }
    BEGIN { state = 0; nitem = 0; done = 0; item_indent = -1; rc = 0 }
    /\t/ && state == 1 { bail(3) }
    state == 0 && /^images:/ {
      rest = $0; sub(/^images:/, "", rest)
      if (strip(rest) != "") bail(3)           # flow style: images: [...]
      state = 1; print; next
    }
    state == 1 {
      if ($0 ~ /^[ \t]*(#.*)?$/) { if (nitem) item[++nitem] = $0; else print; next }
      if ($0 ~ /^ *- /) {
        flush()
        ind = $0; sub(/- .*/, "", ind)
        if (item_indent < 0) item_indent = length(ind)
        if (length(ind) != item_indent) bail(3)
        item[++nitem] = $0; match_item = 0
      } else if ($0 ~ /^[^ -]/) {                 # the next top-level key
        flush()
        if (!done) add_entry()
        state = 2; print; next
      } else {
        if (!nitem) bail(3)
        ind = $0; sub(/[^ ].*/, "", ind)
        if (length(ind) != item_indent + 2 || $0 !~ /^ *[A-Za-z]+:( |$)/) bail(3)
        item[++nitem] = $0
      }
      line = $0; sub(/^ *(- )?/, "", line)
      if (line ~ /^name:/) {
        v = line; sub(/^name:/, "", v)
        if (strip(v) == ENVIRON["IMAGE_NAME"]) { if (match_item || done) bail(5); match_item = 1 }
      }
      next
    }
    { print }
    function add_entry(   ind) {
      ind = sprintf("%" (item_indent < 0 ? 0 : item_indent) "s", "")
      print ind "- name: " ENVIRON["IMAGE_NAME"]
      print ind "  newName: " ENVIRON["IMAGE"]
      print ind "  digest: " ENVIRON["DIGEST"]
      done++
    }
    END {
      if (rc) exit rc
      if (state == 1) { flush(); if (!done) add_entry() }
      if (state == 0) { print "images:"; print "- name: " ENVIRON["IMAGE_NAME"]
        print "  newName: " ENVIRON["IMAGE"]; print "  digest: " ENVIRON["DIGEST"] }
    }
  ' "$1"
}

edit_yaml() { # FILE -> stdout; exit 3: unsupported, 4: path missing, 5: ambiguous, 6: not a scalar
  awk -v q="'" '
    function bail(c) { rc = c; exit c }
    BEGIN {
      nt = split(ENVIRON["YAML_PATH"], target, "."); depth = 0; found = 0; block = -1; content = 0
      rc = 0; keyre = "^(\"[^\"]*\"|" q "[^" q "]*" q "|[^ \"" q "#][^:#]*):( |$)"
    }
    /^\t/ { bail(3) }
    block >= 0 {                       # inside a block scalar (| or >): copy verbatim
      ind = $0; sub(/[^ ].*/, "", ind)
      if ($0 ~ /^[ ]*$/ || length(ind) > block) { print; next }
      block = -1
    }
    /^(---|\.\.\.)/ { if (content) bail(3); print; next }
    /^[ ]*(#.*)?$/ { print; next }
    {
      content = 1
      line = $0; ind = $0; sub(/[^ ].*/, "", ind); n = length(ind); sub(/^ */, "", line)
      while (line ~ /^- /) {           # a list item: keys below it are never on the path
        while (depth > 0 && indent[depth] >= n) depth--
        depth++; indent[depth] = n; key[depth] = "\034[]"
        line = substr(line, 3); n += 2
      }
      if (line !~ keyre) { print; next }
      k = line; v = line
      if (k ~ /^"/) { sub(/^"/, "", k); sub(/".*/, "", k); sub(/^"[^"]*":/, "", v) }
      else if (substr(k, 1, 1) == q) {
        k = substr(k, 2); sub(q ".*", "", k); v = substr(v, 2); sub("^[^" q "]*" q ":", "", v)
      } else { sub(/:.*/, "", k); sub(/^[^:]*:/, "", v) }
      while (depth > 0 && indent[depth] >= n) depth--
      depth++; indent[depth] = n; key[depth] = k
      val = v; sub(/^ +/, "", val); sub(/[ ]+#.*$/, "", val); sub(/ +$/, "", val)
      if (val ~ /^[|>]/) block = n
      hit = (depth == nt)
      for (i = 1; hit && i <= nt; i++) if (key[i] != target[i]) hit = 0
      if (!hit) { print; next }
      if (found) bail(5)
      found = 1
      if (val == "" || val ~ /^[[{|>&*!]/) bail(6)
      prefix = substr($0, 1, length($0) - length(v))
      print prefix " \"" ENVIRON["NEW_VALUE"] "\""
    }
    END { if (rc) exit rc; if (!found) exit 4 }
  ' "$1"
}

apply_edit() { # sets changed=yes|no
  dir=$(dirname "$FILE")
  [ -d "$dir" ] || fail "'$dir' is not a directory on branch '$BRANCH'"
  real=$(cd "$dir" && pwd -P)
  case "$real/" in "$(pwd -P)"/*) ;; *) fail "'$FILE' leads outside the repository" ;; esac
  [ ! -L "$FILE" ] || fail "'$FILE' is a symbolic link; refusing to follow it"
  [ -e "$FILE" ] || fail "'$FILE' does not exist on branch '$BRANCH'"
  [ -f "$FILE" ] || fail "'$FILE' is not a regular file"
  out="$HOME/edited"
  set +e
  if [ "$MODE" = kustomization ]; then edit_kustomization "$FILE" >"$out"; else edit_yaml "$FILE" >"$out"; fi
  code=$?
  set -e
  case "$code" in
    0) ;;
    3) fail "'$FILE' is not in the block-style layout this step edits (no tabs, no flow style, flat images entries); nothing deployed" ;;
    4) fail "'$FILE' has no key '$YAML_PATH'; nothing deployed" ;;
    5) fail "'$FILE' has more than one entry for '${YAML_PATH:-$IMAGE_NAME}'; nothing deployed" ;;
    6) fail "'$YAML_PATH' in '$FILE' is not a plain scalar; nothing deployed" ;;
    *) fail "editing '$FILE' failed ($code)" ;;
  esac
  if cmp -s "$out" "$FILE"; then
    changed=no
  else
    cat "$out" >"$FILE"
    changed=yes
  fi
}

attempt=0
err="$HOME/git.err"
while :; do
  git fetch -q --depth=1 origin -- "refs/heads/$BRANCH" 2>"$err" || {
    cat "$err" >&2
    fail "cannot fetch branch '$BRANCH' of '$GITOPS_REPO'"
  }
  git -c advice.detachedHead=false checkout -q -f --detach FETCH_HEAD
  git clean -q -fdx
  apply_edit
  if [ "$changed" = no ]; then
    printf 'deploy-gitops: %s already at %s; nothing to commit\n' "$FILE" "$DIGEST"
    exit 0
  fi
  git add -- "$FILE"
  git commit -q -m "deploy $APP $tag" -m "$IMAGE@$DIGEST"
  if git push -q origin "HEAD:refs/heads/$BRANCH" 2>"$err"; then
    printf 'deploy-gitops: %s@%s -> %s (%s)\n' "$IMAGE" "$DIGEST" "$FILE" "$(git rev-parse HEAD)"
    exit 0
  fi
  cat "$err" >&2
  ! grep -qi 'remote rejected' "$err" || fail "the GitOps repository refused the push to '$BRANCH'"
  grep -Eqi 'rejected|fetch first|non-fast-forward|failed to update ref|cannot lock ref' "$err" ||
    fail "push to '$BRANCH' failed"
  attempt=$((attempt + 1))
  [ "$attempt" -le "$RETRIES" ] || fail "push to '$BRANCH' lost to concurrent pushes $attempt times"
  printf 'deploy-gitops: %s moved meanwhile; retry %s of %s on the new tip\n' "$BRANCH" "$attempt" "$RETRIES" >&2
  sleep $((RETRY_DELAY * attempt))
done
