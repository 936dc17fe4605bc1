#!/bin/sh
# rebase PHASE: keep an image on its current run image, or say it needs a rebuild.
#
# Two containers, neither runs app code, both hold the registry credential:
#   inspect  (crane image) reads what the image's own buildpacks metadata says it was built
#            on and decides:
#              rebuild    the configured builder lacks a buildpack the image was built with
#                         (new buildpacks), or the configured run image is another image
#              rebase     the run image's top layer is not the one the image records
#              unchanged  otherwise (a no-op that says so)
#   rebase   (builder image) runs the lifecycle's rebaser when inspect said rebase; moves TAG
#            to the patched image and records it under the immutable TAG-rebased.<UTC time>.
# Inputs come from the environment, never from this text:
#   IMAGE (repository, no tag)  TAG  OUT_DIR  BUILDER (the configured builder image)
#   RUN_IMAGE (optional: the configured run image)  REVISION (the config's revision: what a
#   rebuild builds when the image records no commit)  BUILD_UID BUILD_GID LOG_LEVEL
#   CRANE (default crane)  LIFECYCLE (default /cnb/lifecycle)
# Writes to OUT_DIR: action (rebased|unchanged|rebuild), reason, old-digest, new-digest,
# image (IMAGE:TAG), digest (the image to deploy), run-image, rebuild-tag, rebuild-revision.
set -euf
export LC_ALL=C
me=rebase
#@prelude fail one_line matches is_digest is_sha256 is_tag check_name check_ref label_of
put() { printf '%s' "$2" >"$OUT_DIR/$1"; }

phase=${1:-}
case "$phase" in
  inspect | rebase) ;;
  *) fail "phase '$phase' must be inspect or rebase" ;;
esac
OUT_DIR=${OUT_DIR:-/workspace/out}
CRANE=${CRANE:-crane}
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

# pairs TEXT: every escaped "id","version" pair, one id@version per line, sorted.
pairs() {
  printf '%s' "$1" | grep -o '\\"id\\":\\"[^\\"]*\\",\\"version\\":\\"[^\\"]*\\"' |
    sed 's/\\"id\\":\\"\([^\\"]*\)\\",\\"version\\":\\"\([^\\"]*\)\\"/\1@\2/' | sort -u
}

if [ "$phase" = inspect ]; then
  [ -n "${BUILDER:-}" ] || fail "builder is empty"
  check_ref builder "$BUILDER"
  [ -z "${RUN_IMAGE:-}" ] || check_ref run-image "$RUN_IMAGE"
  REVISION=${REVISION:-}
  one_line revision "$REVISION"
  matches '^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$' "$REVISION" ||
    fail "revision '$REVISION' is not a branch, tag or commit"
  rm -f "$OUT_DIR/action" "$OUT_DIR/reason" "$OUT_DIR/old-digest" "$OUT_DIR/new-digest" \
    "$OUT_DIR/digest" "$OUT_DIR/image" "$OUT_DIR/run-image" "$OUT_DIR/rebuild-tag" \
    "$OUT_DIR/rebuild-revision"

  old=$("$CRANE" digest -- "$IMAGE:$TAG") || fail "cannot read $IMAGE:$TAG"
  is_sha256 "$old" || fail "digest of $IMAGE:$TAG '$old' is not sha256:<64 hex>"
  config=$("$CRANE" config -- "$IMAGE@$old") || fail "cannot read the config of $IMAGE@$old"
  lifecycle_md=$(label_of "$config" io.buildpacks.lifecycle.metadata)
  [ -n "$lifecycle_md" ] ||
    fail "$IMAGE:$TAG has no io.buildpacks.lifecycle.metadata label: not built by buildpacks"
  top=$(printf '%s' "$lifecycle_md" |
    sed -n 's/.*\\"topLayer\\":\\"\(sha256:[0-9a-f]\{64\}\)\\".*/\1/p' | head -n 1)
  [ -n "$top" ] || fail "$IMAGE:$TAG records no run image top layer"
  recorded=$(printf '%s' "$lifecycle_md" |
    sed -n 's/.*\\"runImage\\":{[^}]*\\"image\\":\\"\([^\\"]*\)\\".*/\1/p' | head -n 1)
  [ -z "$recorded" ] || check_ref "recorded run image" "$recorded"
  run=${RUN_IMAGE:-$recorded}
  [ -n "$run" ] || fail "$IMAGE:$TAG records no run image and none is configured"
  commit=$(printf '%s' "$(label_of "$config" io.buildpacks.project.metadata)" |
    sed -n 's/.*\\"commit\\":\\"\([0-9a-f]\{40\}\)\\".*/\1/p' | head -n 1)

  # What the image was built with against what the configured builder has now.
  built_with=$(pairs "$(label_of "$config" io.buildpacks.build.metadata)")
  builder_config=$("$CRANE" config -- "$BUILDER") || fail "cannot read the builder $BUILDER"
  builder_has=$(pairs "$(label_of "$builder_config" io.buildpacks.builder.metadata)")
  missing=
  for bp in $built_with; do
    case "$nl$builder_has$nl" in *"$nl$bp$nl"*) ;; *) missing="$missing $bp" ;; esac
  done

  put old-digest "$old"
  put image "$IMAGE:$TAG"
  put run-image "$run"
  if [ -n "$missing" ] || { [ -n "$recorded" ] && [ "$run" != "$recorded" ]; }; then
    if [ -n "$missing" ]; then
      reason="builder $BUILDER no longer has${missing} (new buildpacks): rebuild"
    else
      reason="run image is now $run, was $recorded: rebuild"
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
    put reason "$reason"
    put action rebuild
    put new-digest ""
    put digest "$old"
  else
    now=$("$CRANE" config -- "$run") || fail "cannot read the run image $run"
    current=$(printf '%s' "$now" | tr -d '\n' | sed -n 's/.*"diff_ids":[[:space:]]*\[\([^]]*\)\].*/\1/p' |
      tr ',' '\n' | tr -d ' "' | tail -n 1)
    is_sha256 "$current" ||
      fail "the run image $run has no top layer '$current'"
    put rebuild-tag ""
    put rebuild-revision ""
    if [ "$current" = "$top" ]; then
      put action unchanged
      put reason "run image $run unchanged (top layer $top): nothing to do"
      put new-digest "$old"
      put digest "$old"
    else
      put action rebase
      put reason "run image $run changed (top layer $top -> $current)"
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
put reason "$(cat "$OUT_DIR/reason"); pushed $IMAGE:$TAG and $IMAGE:$TAG-rebased.$stamp"
printf 'rebase: rebased %s:%s %s -> %s\n' "$IMAGE" "$TAG" "$(cat "$OUT_DIR/old-digest")" "$digest"
