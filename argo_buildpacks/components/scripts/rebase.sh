#!/bin/sh
# rebase PHASE: keep an image on its current run image, or say it needs a rebuild.
#
# Up to three containers, none runs app code, all hold the registry credential:
#   verify   (cosign image; only with sign configured) checks that IMAGE:TAG is signed by the
#            configured key (COSIGN_PUBLIC_KEY) and writes the digest the signature covers.
#            Nothing of the image's own metadata is read before this succeeds.
#   inspect  (crane image) reads what the image's own buildpacks metadata says it was built
#            on and decides:
#              rebuild    the configured builder lacks a buildpack the image was built with
#                         (new buildpacks), or the image records the builder's default run
#                         image while another one is configured now
#              rebase     the run image's top layer is not the one the image records
#              unchanged  otherwise (a no-op that says so)
#            The run image is always a trusted name: the configured one (RUN_IMAGE), else the
#            configured builder's default run image (or one of its mirrors) as the builder's
#            io.buildpacks.builder.metadata label names it. An image recording any other run
#            image is refused. Duplicate (or disguised) label keys are refused.
#   rebase   (builder image) runs the lifecycle's rebaser when inspect said rebase; moves TAG
#            to the patched image and records it under the immutable TAG-rebased.<UTC time>.
# Inputs come from the environment, never from this text:
#   IMAGE (repository, no tag)  TAG  OUT_DIR  BUILDER (the configured builder image)
#   RUN_IMAGE (optional: the configured run image)  REVISION (the config's revision: what a
#   rebuild builds when the image records no commit)  BUILD_UID BUILD_GID LOG_LEVEL
#   VERIFIED (true: verify ran and inspect acts only on the digest it verified)
#   COSIGN_PUBLIC_KEY TLOG_UPLOAD (verify)  CRANE (default crane)  COSIGN (default cosign)
#   LIFECYCLE (default /cnb/lifecycle)
#   INSECURE_REGISTRIES (optional, one host[:port] a line: crane and cosign reach a reference
#   on one of them over plain HTTP or unverified TLS; the rebaser reads its own
#   CNB_INSECURE_REGISTRIES)  SSL_CERT_DIR (optional: a private CA besides the image's roots)
# Writes to OUT_DIR: verified-digest, action (rebased|unchanged|rebuild), reason (at most
# 1000 bytes), old-digest, new-digest, image (IMAGE:TAG), digest (the image to deploy),
# run-image, rebuild-tag, rebuild-revision.
set -euf
export LC_ALL=C
me=rebase
#@prelude fail one_line matches is_digest is_sha256 is_tag check_name check_ref insecure label_of
put() { printf '%s' "$2" >"$OUT_DIR/$1"; }
# tls REF: crane's --insecure when REF's registry is in registry.insecure, else nothing.
tls() { if is_insecure "$1"; then printf '%s' --insecure; fi; }
# The reason is shown in logs, the workflow's outputs and the fleet summary: one line,
# at most 1000 bytes, whatever the registry's metadata held.
put_reason() {
  printf '%s' "$1" | tr '\000-\037\177' '?' | cut -c1-1000 | tr -d '\n' >"$OUT_DIR/reason"
}

phase=${1:-}
case "$phase" in
  verify | inspect | rebase) ;;
  *) fail "phase '$phase' must be verify, inspect or rebase" ;;
esac
OUT_DIR=${OUT_DIR:-/workspace/out}
CRANE=${CRANE:-crane}
COSIGN=${COSIGN:-cosign}
LIFECYCLE=${LIFECYCLE:-/cnb/lifecycle}
[ -n "${IMAGE:-}" ] || fail "image is empty"
check_name image "$IMAGE"
TAG=${TAG:-}
one_line tag "$TAG"
is_tag "$TAG" || fail "tag '$TAG' is not a valid OCI tag"
# Room for the immutable tag's suffix: -rebased.YYYYmmddTHHMMSSZ (25 characters).
[ "${#TAG}" -le 103 ] || fail "tag '$TAG' is longer than 103 characters"
case "${LOG_LEVEL:-info}" in
  debug | info | warn | error) ;;
  *) fail "log level '${LOG_LEVEL}' must be debug, info, warn or error" ;;
esac
mkdir -p "$OUT_DIR"

if [ "$phase" = verify ]; then
  { [ -n "${COSIGN_PUBLIC_KEY:-}" ] && [ -f "$COSIGN_PUBLIC_KEY" ]; } ||
    fail "no cosign public key at '${COSIGN_PUBLIC_KEY:-}' (sign.public_key of the Secret)"
  case "${TLOG_UPLOAD:-false}" in
    true) ignore_tlog=false ;;
    false) ignore_tlog=true ;;
    *) fail "TLOG_UPLOAD '$TLOG_UPLOAD' must be true or false" ;;
  esac
  rm -f "$OUT_DIR/verified-digest"
  ins=$(tls "$IMAGE")
  payload=$("$COSIGN" verify ${ins:+--allow-insecure-registry --allow-http-registry} --key "$COSIGN_PUBLIC_KEY" --insecure-ignore-tlog="$ignore_tlog" \
    -- "$IMAGE:$TAG") ||
    fail "$IMAGE:$TAG has no valid signature by the configured key: its metadata is not" \
      "trusted; nothing rebased, rebuilt or deployed"
  # Every signature cosign verified names the digest it covers: exactly one, a sha256.
  verified=$(printf '%s' "$payload" | tr -d '\n' |
    grep -o '"docker-manifest-digest"[[:space:]]*:[[:space:]]*"[^"]*"' |
    sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
  is_sha256 "$verified" ||
    fail "cosign verified no single sha256 digest of $IMAGE:$TAG ('$verified'); nothing trusted"
  put verified-digest "$verified"
  printf 'rebase: %s:%s is signed by the configured key (%s)\n' "$IMAGE" "$TAG" "$verified"
  exit 0
fi

# trusted_labels WHAT CONFIG_JSON KEY...: refuse a config in which a label this script reads
# could mean one thing here and another to a JSON parser (Go's takes the last of duplicate
# keys, and decodes \u escapes): each KEY at most once, whatever the spacing before its ':',
# and no \u escape of a letter, digit, '.', '-', '/' or '_' (an encoder never needs one; it
# only spells a key that sed would not see). A key inside a label's value is escaped (\"),
# so it never counts.
trusted_labels() {
  _tw=$1 _tc=$(printf '%s' "$2" | tr -d '\n')
  shift 2
  if printf '%s' "$_tc" |
    grep -Eq '(^|[^\\])(\\\\)*\\u00(2[dDeEfF]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF])'; then
    fail "the config of $_tw spells a name with a \\u escape: refused (a disguised label?)"
  fi
  for _tk in "$@"; do
    _tn=$(printf '%s' "$_tc" | grep -o "\"$(printf '%s' "$_tk" | sed 's/\./\\./g')\"[[:space:]]*:" |
      wc -l | tr -d ' ')
    [ "$_tn" -le 1 ] ||
      fail "the config of $_tw has the label $_tk $_tn times: refused (a forged label?)"
  done
}
# pairs TEXT: every escaped "id","version" pair, one id@version per line, sorted.
pairs() {
  printf '%s' "$1" | grep -o '\\"id\\":\\"[^\\"]*\\",\\"version\\":\\"[^\\"]*\\"' |
    sed 's/\\"id\\":\\"\([^\\"]*\)\\",\\"version\\":\\"\([^\\"]*\)\\"/\1@\2/' | sort -u
}
# repo_of REF: the repository of REF, normalised as Docker does (no tag or digest;
# docker.io and a registry-less name are index.docker.io, a one-part Hub path library/).
repo_of() {
  _rr=${1%%@*}
  _rl=${_rr##*/}
  case "$_rl" in *:*) _rr=${_rr%"$_rl"}${_rl%%:*} ;; esac
  case "$_rr" in
    */*) case "${_rr%%/*}" in localhost | *.* | *:* | \[*) ;; *) _rr=index.docker.io/$_rr ;; esac ;;
    *) _rr=index.docker.io/library/$_rr ;;
  esac
  case "$_rr" in docker.io/*) _rr=index.docker.io/${_rr#docker.io/} ;; esac
  case "$_rr" in index.docker.io/*/*) ;; index.docker.io/*) _rr=index.docker.io/library/${_rr#*/} ;; esac
  printf '%s' "$_rr"
}

if [ "$phase" = inspect ]; then
  [ -n "${BUILDER:-}" ] || fail "builder is empty"
  check_ref builder "$BUILDER"
  [ -z "${RUN_IMAGE:-}" ] || check_ref run-image "$RUN_IMAGE"
  REVISION=${REVISION:-}
  one_line revision "$REVISION"
  matches '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$' "$REVISION" ||
    fail "revision '$REVISION' is not a branch, tag or commit"
  VERIFIED=${VERIFIED:-false}
  case "$VERIFIED" in
    true | false) ;;
    *) fail "VERIFIED '$VERIFIED' must be true or false" ;;
  esac
  rm -f "$OUT_DIR/action" "$OUT_DIR/reason" "$OUT_DIR/old-digest" "$OUT_DIR/new-digest" \
    "$OUT_DIR/digest" "$OUT_DIR/image" "$OUT_DIR/run-image" "$OUT_DIR/rebuild-tag" \
    "$OUT_DIR/rebuild-revision"

  if [ "$VERIFIED" = true ]; then
    # Only the digest the signature covers is read: nothing unsigned is ever trusted.
    verified=$(cat "$OUT_DIR/verified-digest" 2>/dev/null) || verified=
    is_sha256 "$verified" || fail "no verified digest at $OUT_DIR/verified-digest: did verify run?"
  fi
  ins=$(tls "$IMAGE")
  old=$("$CRANE" digest ${ins:+"$ins"} -- "$IMAGE:$TAG") || fail "cannot read $IMAGE:$TAG"
  is_sha256 "$old" || fail "digest of $IMAGE:$TAG '$old' is not sha256:<64 hex>"
  if [ "$VERIFIED" = true ] && [ "$old" != "$verified" ]; then
    fail "$IMAGE:$TAG is now $old, not the signed $verified (the tag moved): refused"
  fi
  config=$("$CRANE" config ${ins:+"$ins"} -- "$IMAGE@$old") || fail "cannot read the config of $IMAGE@$old"
  trusted_labels "$IMAGE:$TAG" "$config" io.buildpacks.lifecycle.metadata \
    io.buildpacks.build.metadata io.buildpacks.project.metadata
  lifecycle_md=$(label_of "$config" io.buildpacks.lifecycle.metadata)
  [ -n "$lifecycle_md" ] ||
    fail "$IMAGE:$TAG has no io.buildpacks.lifecycle.metadata label: not built by buildpacks"
  top=$(printf '%s' "$lifecycle_md" |
    sed -n 's/.*\\"topLayer\\":\\"\(sha256:[0-9a-f]\{64\}\)\\".*/\1/p' | head -n 1)
  [ -n "$top" ] || fail "$IMAGE:$TAG records no run image top layer"
  recorded=$(printf '%s' "$lifecycle_md" |
    sed -n 's/.*\\"runImage\\":{[^}]*\\"image\\":\\"\([^\\"]*\)\\".*/\1/p' | head -n 1)
  [ -z "$recorded" ] || check_ref "recorded run image" "$recorded"
  commit=$(printf '%s' "$(label_of "$config" io.buildpacks.project.metadata)" |
    sed -n 's/.*\\"commit\\":\\"\([0-9a-f]\{40\}\)\\".*/\1/p' | head -n 1)

  # The configured builder: its buildpacks and its default run image (and mirrors).
  ins=$(tls "$BUILDER")
  builder_config=$("$CRANE" config ${ins:+"$ins"} -- "$BUILDER") || fail "cannot read the builder $BUILDER"
  trusted_labels "the builder $BUILDER" "$builder_config" io.buildpacks.builder.metadata
  builder_md=$(label_of "$builder_config" io.buildpacks.builder.metadata)
  # The builder's first run image ("images", pack >= 0.30), else the stack's.
  default_run=$(printf '%s' "$builder_md" |
    sed -n 's/.*\\"images\\":\[{\([^}]*\)}.*/\1/p' | head -n 1)
  [ -n "$default_run" ] || default_run=$(printf '%s' "$builder_md" |
    sed -n 's/.*\\"runImage\\":{\([^}]*\)}.*/\1/p' | head -n 1)
  builder_runs=$(printf '%s' "$default_run" |
    sed -n 's/.*\\"image\\":\\"\([^\\"]*\)\\".*/\1/p' | head -n 1)
  mirrors=$(printf '%s' "$default_run" | sed -n 's/.*\\"mirrors\\":\[\([^]]*\)\].*/\1/p' |
    grep -o '\\"[^\\"]*\\"' | tr -d '\\"') || mirrors=
  [ -z "$builder_runs" ] || builder_runs="$builder_runs$nl$mirrors"
  for ref in $builder_runs; do check_ref "the builder's run image" "$ref"; done
  configured=${RUN_IMAGE:-$(printf '%s\n' "$builder_runs" | head -n 1)}
  [ -n "$configured" ] ||
    fail "no run image is configured and the builder $BUILDER names none (set run_image)"

  # The run image acted on is a trusted name, never the image's own label: the configured
  # one, or the builder's mirror of it that the image records.
  run=$configured
  stale=
  if [ -n "$recorded" ]; then
    have=$(repo_of "$recorded")
    trusted=
    for ref in ${RUN_IMAGE:-} $builder_runs; do
      if [ "$(repo_of "$ref")" = "$have" ]; then trusted=$ref; break; fi
    done
    if [ -z "$trusted" ]; then
      allowed=$(printf '%s\n' "${RUN_IMAGE:-}" "$builder_runs" | sed '/^$/d' | tr '\n' ' ')
      fail "$IMAGE:$TAG records the run image '$recorded', not the configured run image" \
        "nor the builder's (${allowed% }): refused (a forged label?); nothing rebased," \
        "rebuilt or deployed"
    fi
    if [ -n "${RUN_IMAGE:-}" ] && [ "$(repo_of "$RUN_IMAGE")" != "$have" ]; then
      stale=$recorded
    elif [ -z "${RUN_IMAGE:-}" ]; then
      run=$trusted
    fi
  fi

  # What the image was built with against what the configured builder has now.
  # One pass over both lists (grep -F -x -f), not one comparison per pair: an image may
  # record thousands of buildpacks.
  pairs "$(label_of "$config" io.buildpacks.build.metadata)" >"$OUT_DIR/built-with"
  pairs "$builder_md" >"$OUT_DIR/builder-has"
  if [ -s "$OUT_DIR/builder-has" ]; then
    missing=$(grep -vxF -f "$OUT_DIR/builder-has" "$OUT_DIR/built-with") || missing=
  else # (busybox grep -v -f of an empty file drops every line)
    missing=$(cat "$OUT_DIR/built-with")
  fi
  rm -f "$OUT_DIR/built-with" "$OUT_DIR/builder-has"

  put old-digest "$old"
  put image "$IMAGE:$TAG"
  put run-image "$run"
  if [ -n "$missing" ] || [ -n "$stale" ]; then
    if [ -n "$missing" ]; then
      count=$(printf '%s\n' "$missing" | wc -l | tr -d ' ')
      some=$(printf '%s\n' "$missing" | head -n 5 | tr '\n' ' ')
      [ "$count" -le 5 ] || some="$some(and $((count - 5)) more) "
      reason="builder $BUILDER no longer has ${some}(new buildpacks): rebuild"
    else
      reason="run image is now $run, was $stale: rebuild"
    fi
    if [ -n "$commit" ]; then
      put rebuild-revision "$commit"
      reason="$reason commit $commit"
    else
      put rebuild-revision "$REVISION"
      reason="$reason $REVISION (the image records no commit)"
    fi
    # The version to rebuild: the tag when it is a version, else one from git describe.
    if matches '^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z._-]*)?$' "$TAG"; then
      put rebuild-tag "$TAG"
    else
      put rebuild-tag ""
    fi
    put_reason "$reason"
    put action rebuild
    put new-digest ""
    put digest "$old"
  else
    ins=$(tls "$run")
    now=$("$CRANE" config ${ins:+"$ins"} -- "$run") || fail "cannot read the run image $run"
    current=$(printf '%s' "$now" | tr -d '\n' | sed -n 's/.*"diff_ids":[[:space:]]*\[\([^]]*\)\].*/\1/p' |
      tr ',' '\n' | tr -d ' "' | tail -n 1)
    is_sha256 "$current" ||
      fail "the run image $run has no top layer '$current'"
    put rebuild-tag ""
    put rebuild-revision ""
    if [ "$current" = "$top" ]; then
      put action unchanged
      put_reason "run image $run unchanged (top layer $top): nothing to do"
      put new-digest "$old"
      put digest "$old"
    else
      put action rebase
      put_reason "run image $run changed (top layer $top -> $current)"
    fi
  fi
  printf 'rebase: %s: %s\n' "$(cat "$OUT_DIR/action")" "$(cat "$OUT_DIR/reason")"
  exit 0
fi

# rebase: act on inspect's decision (written by a trusted container to the out volume).
[ -s "$OUT_DIR/action" ] || fail "no decision at $OUT_DIR/action: did inspect run?"
action=$(cat "$OUT_DIR/action")
case "$action" in
  unchanged | rebuild) printf 'rebase: %s: %s\n' "$action" "$(cat "$OUT_DIR/reason")"; exit 0 ;;
  rebase) ;;
  *) fail "decision '$action' must be rebase, unchanged or rebuild" ;;
esac
for id in "${BUILD_UID:-}" "${BUILD_GID:-}"; do
  case "$id" in '' | *[!0-9]*) fail "BUILD_UID/BUILD_GID must be numbers" ;; esac
done
run=$(cat "$OUT_DIR/run-image")
check_ref run-image "$run"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
rm -f "$OUT_DIR/report.toml"
set -- -log-level "${LOG_LEVEL:-info}" -uid "$BUILD_UID" -gid "$BUILD_GID" \
  -report "$OUT_DIR/report.toml"
set -- "$@" -run-image "$run"
"$LIFECYCLE/rebaser" "$@" "$IMAGE:$TAG" "$IMAGE:$TAG-rebased.$stamp"
digest=$(sed -n 's/^[[:space:]]*digest[[:space:]]*=[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' \
  "$OUT_DIR/report.toml" 2>/dev/null | head -n 1)
[ -n "$digest" ] || fail "the rebaser's report has no image digest ($OUT_DIR/report.toml)"
put new-digest "$digest"
put digest "$digest"
put action rebased
put_reason "$(cat "$OUT_DIR/reason"); pushed $IMAGE:$TAG and $IMAGE:$TAG-rebased.$stamp"
printf 'rebase: rebased %s:%s %s -> %s\n' "$IMAGE" "$TAG" "$(cat "$OUT_DIR/old-digest")" "$digest"
