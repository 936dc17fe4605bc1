#!/bin/sh
# buildpacks-build PHASE: run one phase of the lifecycle (no Docker daemon) in the builder image.
#
# The phases run as separate containers so that the two that execute the app's own code
# (detect: the buildpacks' bin/detect; build: bin/build, i.e. `pip install`, `npm install`...)
# get no credential at all, while the three that talk to the registry (analyze, restore,
# export) run no app code. PHASE is one of:
#   analyze  write the platform env files and the buildpacks order, then run the analyzer
#   detect   run the detector          restore  run the restorer
#   build    run the builder           export   run the exporter and record image and digest
# Inputs come from the environment (and, for analyze, build env vars as NAME VALUE argument
# pairs); none of them is ever part of this text:
#   IMAGE (repository, no tag)  WORKSPACE  OUT_DIR  SUBPATH  LAYERS_DIR  PLATFORM_DIR
#   BUILD_UID BUILD_GID  LOG_LEVEL  CREATION_TIME (commit|epoch|now)  BUILDPACKS (comma list)
#   CACHE_IMAGE RUN_IMAGE PREVIOUS_IMAGE (optional)  LIFECYCLE (default /cnb/lifecycle)
#   CNB_BUILDPACKS_DIR (the builder's buildpacks, default /cnb/buildpacks)
#   BUILD_ENV (more build env vars, one NAME=VALUE per line: the library mode's form)
#   IMAGE_PREFIXES (optional, one per line: IMAGE and CACHE_IMAGE must be under one of them)
#   TAGS, COMMIT_EPOCH (optional: the values themselves instead of $OUT_DIR/tags and
#   $OUT_DIR/commit-epoch, for layouts where app code could have written those files)
#   COMMIT (optional: the built commit, recorded as project metadata; else $OUT_DIR/commit
#   when TAGS is unset)
#   RUN_ID (export, optional: the workflow's uid, recorded as project metadata so that the
#   provenance step can tell this run's push from any other image)
#   RETRIES (analyze, restore, export; default 0) RETRY_DELAY (seconds, default 30): more
#   attempts of the lifecycle's registry work when it fails for a reason that may pass; a
#   refused input fails at once (the checks run before, and only once)
# Each container gets only its phase's blocks (#@part PHASE... to #@end; `load`).
# Writes $OUT_DIR/project-metadata.toml, report.toml, image and digest (export).
set -euf # -f: no pathname expansion of the comma lists below; values stay data
export LC_ALL=C
me=buildpacks-build
#@prelude fail one_line matches is_digest is_tag check_name check_ref check_prefix run_id

phase=${1:-}
[ "$#" -gt 0 ] && shift
case "$phase" in
  analyze | detect | restore | build | export) ;;
  *) fail "phase '$phase' must be analyze, detect, restore, build or export" ;;
esac

WORKSPACE=${WORKSPACE:-/workspace}
OUT_DIR=${OUT_DIR:-$WORKSPACE/out}
LAYERS_DIR=${LAYERS_DIR:-/layers}
PLATFORM_DIR=${PLATFORM_DIR:-$WORKSPACE/platform}
LIFECYCLE=${LIFECYCLE:-/cnb/lifecycle}
SUBPATH=${SUBPATH:-}
one_line subpath "$SUBPATH"
case "/$SUBPATH/" in
  */../* | */./* | /-* | */-*) fail "subpath '$SUBPATH' must be a plain relative path" ;;
esac
#@part detect build export
app="$WORKSPACE/src${SUBPATH:+/$SUBPATH}"
#@end
#@part analyze detect
order="$PLATFORM_DIR/order.toml"
#@end

case "${LOG_LEVEL:-info}" in
  debug | info | warn | error) ;;
  *) fail "log level '${LOG_LEVEL}' must be debug, info, warn or error" ;;
esac
for id in "${BUILD_UID:-}" "${BUILD_GID:-}"; do
  case "$id" in '' | *[!0-9]*) fail "BUILD_UID/BUILD_GID must be numbers" ;; esac
done

# The registry phases: the image, its tags and the optional images are checked here again,
# because run-time parameters bypass the Python validation.
#@part analyze export
main='' extra=''
if [ "$phase" = analyze ] || [ "$phase" = export ]; then
  [ -n "${IMAGE:-}" ] || fail "image is empty"
  check_name image "$IMAGE"
  check_prefix image "$IMAGE"
  if [ -n "${TAGS+set}" ]; then
    tags=$TAGS
  else
    [ -s "$OUT_DIR/tags" ] || fail "no tags at $OUT_DIR/tags: did tag-check run?"
    tags=$(cat "$OUT_DIR/tags")
  fi
  [ -n "$tags" ] || fail "no tags: did tag-check run?"
  one_line tags "$tags"
  old_ifs=$IFS IFS=,
  for t in $tags; do
    is_tag "$t" || fail "tag '$t' is not a valid OCI tag"
    if [ -z "$main" ]; then main=$t; else extra="$extra,$t"; fi
  done
  IFS=$old_ifs
  [ -n "$main" ] || fail "no tags: did tag-check run?"
  if [ -n "${CACHE_IMAGE:-}" ]; then
    check_ref cache-image "$CACHE_IMAGE"
    cache_repo=${CACHE_IMAGE%%@*}
    case "${cache_repo##*/}" in *:*) cache_repo=${cache_repo%:*} ;; esac
    check_prefix cache-image "$cache_repo"
  fi
fi
#@end
#@part restore
if [ -n "${CACHE_IMAGE:-}" ] && [ "$phase" = restore ]; then check_ref cache-image "$CACHE_IMAGE"; fi
#@end
#@part analyze
[ -z "${RUN_IMAGE:-}" ] || check_ref run-image "$RUN_IMAGE"
[ -z "${PREVIOUS_IMAGE:-}" ] || check_ref previous-image "$PREVIOUS_IMAGE"

# only_version ID: sets bp_version to the builder's one version of buildpack ID. The
# lifecycle looks a buildpack up at <buildpacks dir>/<ID, '/' as '_'>/<version>/, so an
# order.toml entry without a version names no buildpack at all.
only_version() {
  bp_dir="${CNB_BUILDPACKS_DIR:-/cnb/buildpacks}/$(printf '%s' "$1" | tr / _)"
  bp_version='' bp_versions='' bp_n=0
  set +f
  for d in "$bp_dir"/*/; do
    [ -f "${d}buildpack.toml" ] || continue
    d=${d%/} bp_n=$((bp_n + 1))
    bp_version=${d##*/} bp_versions="$bp_versions ${d##*/}"
  done
  set -f
  [ "$bp_n" -gt 0 ] || fail "buildpack '$1' is not in the builder ($bp_dir)"
  [ "$bp_n" -eq 1 ] ||
    fail "the builder has buildpack '$1' in versions$bp_versions; give one as '$1@VERSION'"
}

# prepare: build env vars to <platform>/env/NAME, as the platform spec says (values written
# byte for byte, never interpreted), and the explicit buildpacks group to order.toml. Files
# of an earlier attempt are dropped, so the build sees exactly this configuration.
prepare() {
  rm -rf "$PLATFORM_DIR/env" "$order"
  mkdir -p "$PLATFORM_DIR/env"
  while [ "$#" -gt 0 ]; do
    [ "$#" -ge 2 ] || fail "build env arguments must come in NAME VALUE pairs"
    case "$1" in
      '' | [0-9]* | *[!A-Za-z0-9_]* | CNB_*) fail "build env name '$1' is invalid" ;;
    esac
    printf '%s' "$2" >"$PLATFORM_DIR/env/$1"
    shift 2
  done
  # One NAME=VALUE per line (values cannot hold a line break here); a failure inside the
  # pipeline's subshell still fails the pipeline, and so the script (set -e).
  if [ -n "${BUILD_ENV:-}" ]; then
    printf '%s\n' "$BUILD_ENV" | while IFS= read -r line; do
      [ -n "$line" ] || continue
      name=${line%%=*}
      case "$line" in *=*) ;; *) fail "build env line '$line' is not NAME=VALUE" ;; esac
      case "$name" in
        '' | [0-9]* | *[!A-Za-z0-9_]* | CNB_*) fail "build env name '$name' is invalid" ;;
      esac
      printf '%s' "${line#*=}" >"$PLATFORM_DIR/env/$name"
    done
  fi
  [ -n "${BUILDPACKS:-}" ] || return 0
  # An explicit group replaces the builder's detection order. The list is one line, and
  # each entry a whole match (grep alone would accept any matching line of a longer text).
  one_line buildpacks "$BUILDPACKS"
  printf '[[order]]\n' >"$order.tmp"
  old_ifs=$IFS IFS=,
  for bp in $BUILDPACKS; do
    matches '^[A-Za-z0-9][A-Za-z0-9._/-]*(@[A-Za-z0-9._+-]+)?$' "$bp" ||
      fail "buildpack '$bp' is not an id or id@version"
    case "$bp" in
      *..* | */ | *//*) fail "buildpack '$bp' is not an id or id@version" ;;
      *@*) bp_version=${bp#*@} ;;
      *) only_version "$bp" ;;
    esac
    # The version names a directory: nothing that climbs out of the buildpacks dir.
    case "$bp_version" in
      '' | . | *..* | */*) fail "buildpack '$bp' has an invalid version '$bp_version'" ;;
    esac
    # The id and version patterns above exclude '"' and '\': plain TOML strings.
    printf '  [[order.group]]\n    id = "%s"\n    version = "%s"\n' "${bp%%@*}" "$bp_version" \
      >>"$order.tmp"
  done
  IFS=$old_ifs
  mv "$order.tmp" "$order"
}
#@end

case "$phase" in
#@part analyze
  analyze)
    prepare "$@"
    set -- -layers "$LAYERS_DIR" -log-level "${LOG_LEVEL:-info}" -uid "$BUILD_UID" -gid "$BUILD_GID"
    [ -z "${CACHE_IMAGE:-}" ] || set -- "$@" -cache-image "$CACHE_IMAGE"
    [ -z "${RUN_IMAGE:-}" ] || set -- "$@" -run-image "$RUN_IMAGE"
    [ -z "${PREVIOUS_IMAGE:-}" ] || set -- "$@" -previous-image "$PREVIOUS_IMAGE"
    old_ifs=$IFS IFS=,
    for t in ${extra#,}; do set -- "$@" -tag "$IMAGE:$t"; done
    IFS=$old_ifs
    set -- "$@" "$IMAGE:$main"
    ;;
#@end
#@part detect
  detect)
    [ -d "$app" ] || fail "app directory '$app' does not exist (is the subpath right?)"
    set -- -app "$app" -layers "$LAYERS_DIR" -platform "$PLATFORM_DIR" \
      -log-level "${LOG_LEVEL:-info}"
    [ ! -f "$order" ] || set -- "$@" -order "$order"
    ;;
#@end
#@part restore
  restore)
    set -- -layers "$LAYERS_DIR" -log-level "${LOG_LEVEL:-info}" -uid "$BUILD_UID" -gid "$BUILD_GID"
    [ -z "${CACHE_IMAGE:-}" ] || set -- "$@" -cache-image "$CACHE_IMAGE"
    ;;
#@end
#@part build
  build)
    set -- -app "$app" -layers "$LAYERS_DIR" -platform "$PLATFORM_DIR" \
      -log-level "${LOG_LEVEL:-info}"
    ;;
#@end
#@part export
  export)
    case "${CREATION_TIME:-commit}" in
      commit)
        if [ -n "${COMMIT_EPOCH+set}" ]; then
          epoch=$COMMIT_EPOCH
        else
          [ -f "$OUT_DIR/commit-epoch" ] ||
            fail "no commit-epoch at $OUT_DIR/commit-epoch: did git-clone run?"
          epoch=$(cat "$OUT_DIR/commit-epoch")
        fi
        case "$epoch" in '' | *[!0-9]*) fail "commit-epoch '$epoch' is not a number" ;; esac
        export SOURCE_DATE_EPOCH="$epoch" ;;
      now) SOURCE_DATE_EPOCH=$(date +%s); export SOURCE_DATE_EPOCH ;;
      epoch) unset SOURCE_DATE_EPOCH ;;
      *) fail "creation time '${CREATION_TIME}' must be commit, epoch or now" ;;
    esac
    mkdir -p "$OUT_DIR"
    # A report, image or digest left by an earlier attempt must not pass for this build's.
    rm -f "$OUT_DIR/report.toml" "$OUT_DIR/image" "$OUT_DIR/digest" "$OUT_DIR/project-metadata.toml"
    # Project metadata (the io.buildpacks.project.metadata label): the commit, for a rebuild
    # (docs/rebase.md), and the run, for the provenance step. In OUT_DIR, never in the layers
    # the app's code writes (in one pod, maybe while this runs: docs/security.md). The commit
    # is COMMIT, or git-clone's $OUT_DIR/commit where TAGS is unset (single-pod).
    commit=${COMMIT:-}
    if [ -z "$commit" ] && [ -z "${TAGS+set}" ] && [ -f "$OUT_DIR/commit" ]; then
      commit=$(cat "$OUT_DIR/commit")
    fi
    [ -z "$commit" ] || matches '^([0-9a-f]{40}|[0-9a-f]{64})$' "$commit" ||
      fail "commit '$commit' is not a full hex commit SHA"
    run=${RUN_ID:-}
    [ -z "$run" ] || is_run_id "$run" || fail "run id '$run' is not a workflow uid"
    # Buildpack labels (<layers>/config/metadata.toml, app-written) are set after it and could
    # replace it: refused when they name it or hold a TOML unicode escape that could spell it.
    md="$LAYERS_DIR/config/metadata.toml"
    if [ -f "$md" ]; then
      ! grep -q 'io\.buildpacks\.project\.metadata' "$md" ||
        fail "the build set the image label io.buildpacks.project.metadata (in $md); that label is the platform's; nothing pushed"
      ! sed 's/\\\\//g' "$md" | grep -q '\\[uU]' ||
        fail "the build's $md holds a TOML unicode escape, which could spell the platform's label; nothing pushed"
    fi
    {
      printf '[source]\n  type = "git"\n'
      [ -z "$commit" ] || printf '  [source.version]\n    commit = "%s"\n' "$commit"
      [ -z "$run" ] || printf '  [source.metadata]\n    %s = "%s"\n' "$run_key" "$run"
    } >"$OUT_DIR/project-metadata.toml"
    set -- -app "$app" -layers "$LAYERS_DIR" -log-level "${LOG_LEVEL:-info}" \
      -uid "$BUILD_UID" -gid "$BUILD_GID" -report "$OUT_DIR/report.toml" \
      -project-metadata "$OUT_DIR/project-metadata.toml"
    [ -z "${CACHE_IMAGE:-}" ] || set -- "$@" -cache-image "$CACHE_IMAGE"
    set -- "$@" "$IMAGE:$main"
    old_ifs=$IFS IFS=,
    for t in ${extra#,}; do set -- "$@" "$IMAGE:$t"; done
    IFS=$old_ifs
    printf 'buildpacks-build: exporting %s:%s\n' "$IMAGE" "$main"
    ;;
#@end
esac

#@part analyze restore export
# retried PROGRAM ARGS...: run a lifecycle program that talks to the registry, again after
# RETRY_DELAY seconds (times the attempt) while it fails and RETRIES allows. Not for the
# lifecycle's refusals of its input (3: invalid arguments, 11 and 12: incompatible platform
# or buildpack API), which would fail again (lifecycle cmd/exit.go). Here rather than in
# Argo's containerSet retryStrategy, which re-runs every container of the pod, refused
# input and app code alike, 30 s apart (argoexec's emissary retries any non-zero exit).
retried() {
  r_left=${RETRIES:-0} r_delay=${RETRY_DELAY:-30} r_n=0
  case "$r_left" in '' | *[!0-9]*) fail "retries '$r_left' must be a whole number" ;; esac
  case "$r_delay" in '' | *[!0-9]*) fail "retry delay '$r_delay' must be a whole number" ;; esac
  while :; do
    r_code=0
    "$@" || r_code=$?
    case "$r_code" in 0 | 3 | 11 | 12) return "$r_code" ;; esac
    [ "$r_n" -lt "$r_left" ] || return "$r_code"
    r_n=$((r_n + 1))
    printf 'buildpacks-build: %s failed (exit %s); attempt %s of %s in %ss\n' "${1##*/}" \
      "$r_code" "$((r_n + 1))" "$((r_left + 1))" "$((r_delay * r_n))" >&2
    sleep "$((r_delay * r_n))"
  done
}
#@end

case "$phase" in
#@part analyze
  analyze) retried "$LIFECYCLE/analyzer" "$@" ;;
#@end
#@part detect
  detect) exec "$LIFECYCLE/detector" "$@" ;;
#@end
#@part restore
  restore) retried "$LIFECYCLE/restorer" "$@" ;;
#@end
#@part build
  build) exec "$LIFECYCLE/builder" "$@" ;;
#@end
#@part export
  export)
    retried "$LIFECYCLE/exporter" "$@"
    digest=$(sed -n 's/^[[:space:]]*digest[[:space:]]*=[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' \
      "$OUT_DIR/report.toml" 2>/dev/null | head -n 1)
    [ -n "$digest" ] || fail "the lifecycle report has no image digest ($OUT_DIR/report.toml)"
    printf '%s' "$IMAGE:$main" >"$OUT_DIR/image"
    printf '%s' "$digest" >"$OUT_DIR/digest"
    printf 'buildpacks-build: pushed %s@%s (tags: %s)\n' "$IMAGE:$main" "$digest" "$tags"
    ;;
#@end
  # A container loaded with one phase's part (`load`) runs that phase only.
  *) fail "this container does not run phase '$phase'" ;;
esac
