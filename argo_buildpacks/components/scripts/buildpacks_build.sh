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
#   SBOM_DIR (optional, export): copy the buildpacks' SBOMs there (see collect_sbom)
#   SBOM_MAX_BYTES, SBOM_MAX_TOTAL (optional: per-file and total caps, bytes)
# Writes $OUT_DIR/report.toml, $OUT_DIR/image and $OUT_DIR/digest (export).
set -euf # -f: no pathname expansion of the comma lists below; values stay data
export LC_ALL=C
me=buildpacks-build
#@prelude fail one_line matches is_digest is_tag check_name check_ref

# check_prefix what repository: under one of IMAGE_PREFIXES (at a '/' boundary), if set.
check_prefix() {
  [ -n "${IMAGE_PREFIXES:-}" ] || return 0
  old_ifs=$IFS IFS=$nl
  for prefix in $IMAGE_PREFIXES; do
    prefix=${prefix%/}
    case "$2/" in "$prefix"/*) IFS=$old_ifs; return 0 ;; esac
  done
  IFS=$old_ifs
  fail "$1 '$2' is not under a registry this template may push to ($(printf '%s' "$IMAGE_PREFIXES" | tr '\n' ' '))"
}

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
app="$WORKSPACE/src${SUBPATH:+/$SUBPATH}"
order="$PLATFORM_DIR/order.toml"

case "${LOG_LEVEL:-info}" in
  debug | info | warn | error) ;;
  *) fail "log level '${LOG_LEVEL}' must be debug, info, warn or error" ;;
esac
for id in "${BUILD_UID:-}" "${BUILD_GID:-}"; do
  case "$id" in '' | *[!0-9]*) fail "BUILD_UID/BUILD_GID must be numbers" ;; esac
done

# The registry phases: the image, its tags and the optional images are checked here again,
# because run-time parameters bypass the Python validation.
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
if [ -n "${CACHE_IMAGE:-}" ] && [ "$phase" = restore ]; then check_ref cache-image "$CACHE_IMAGE"; fi
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

case "$phase" in
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
  detect)
    [ -d "$app" ] || fail "app directory '$app' does not exist (is the subpath right?)"
    set -- -app "$app" -layers "$LAYERS_DIR" -platform "$PLATFORM_DIR" \
      -log-level "${LOG_LEVEL:-info}"
    [ ! -f "$order" ] || set -- "$@" -order "$order"
    ;;
  restore)
    set -- -layers "$LAYERS_DIR" -log-level "${LOG_LEVEL:-info}" -uid "$BUILD_UID" -gid "$BUILD_GID"
    [ -z "${CACHE_IMAGE:-}" ] || set -- "$@" -cache-image "$CACHE_IMAGE"
    ;;
  build)
    set -- -app "$app" -layers "$LAYERS_DIR" -platform "$PLATFORM_DIR" \
      -log-level "${LOG_LEVEL:-info}"
    ;;
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
    rm -f "$OUT_DIR/report.toml" "$OUT_DIR/image" "$OUT_DIR/digest"
    # The commit, as the platform spec's project metadata (the image's
    # io.buildpacks.project.metadata label), so a rebase can rebuild what the image was built
    # from (docs/rebase.md). The file lives in the layers directory, which the build's app code
    # can write: it is always replaced here. The commit is COMMIT, or git-clone's
    # $OUT_DIR/commit where the tags also come from that trusted directory (TAGS unset).
    rm -f "$LAYERS_DIR/project-metadata.toml"
    commit=${COMMIT:-}
    if [ -z "$commit" ] && [ -z "${TAGS+set}" ] && [ -f "$OUT_DIR/commit" ]; then
      commit=$(cat "$OUT_DIR/commit")
    fi
    if [ -n "$commit" ]; then
      matches '^([0-9a-f]{40}|[0-9a-f]{64})$' "$commit" ||
        fail "commit '$commit' is not a full hex commit SHA"
      printf '[source]\n  type = "git"\n  [source.version]\n    commit = "%s"\n' "$commit" \
        >"$LAYERS_DIR/project-metadata.toml"
    fi
    set -- -app "$app" -layers "$LAYERS_DIR" -log-level "${LOG_LEVEL:-info}" \
      -uid "$BUILD_UID" -gid "$BUILD_GID" -report "$OUT_DIR/report.toml"
    [ -z "${CACHE_IMAGE:-}" ] || set -- "$@" -cache-image "$CACHE_IMAGE"
    set -- "$@" "$IMAGE:$main"
    old_ifs=$IFS IFS=,
    for t in ${extra#,}; do set -- "$@" "$IMAGE:$t"; done
    IFS=$old_ifs
    printf 'buildpacks-build: exporting %s:%s\n' "$IMAGE" "$main"
    ;;
esac

# collect_sbom: copy the SBOMs the buildpacks wrote (<layers>/sbom/launch/**/sbom.{cdx,spdx,
# syft}.json, what the exporter put in the image's SBOM layer) to $SBOM_DIR, as data: never
# parsed or run. The build phase (app code) wrote that tree, while this container holds the
# registry credential: a symlink (file or directory) is skipped, never followed, so it cannot
# copy a secret out; odd names and files over the caps are skipped and listed in
# $SBOM_DIR/skipped.txt. The image is already pushed: nothing here fails the build.
collect_sbom() {
  root="$LAYERS_DIR/sbom/launch"
  max=${SBOM_MAX_BYTES:-16777216} total_max=${SBOM_MAX_TOTAL:-67108864} total=0 n=0
  case "$max$total_max" in *[!0-9]*) fail "SBOM_MAX_BYTES/SBOM_MAX_TOTAL must be numbers" ;; esac
  rm -rf "$SBOM_DIR"
  mkdir -p "$SBOM_DIR"
  : >"$SBOM_DIR/skipped.txt"
  if [ -L "$LAYERS_DIR" ] || [ -L "$LAYERS_DIR/sbom" ] || [ -L "$root" ] || [ ! -d "$root" ]; then
    printf 'buildpacks-build: no SBOM directory at %s\n' "$root"
    return 0
  fi
  # -type f is false for a symlink, and find does not descend into linked directories.
  find "$root" -type f \( -name sbom.cdx.json -o -name sbom.spdx.json -o -name sbom.syft.json \) |
    sort >"$SBOM_DIR/.list"
  while IFS= read -r f; do
    rel=${f#"$root"/}
    case "$rel" in
      "$f" | *[!A-Za-z0-9._@+/-]* | *..* | /*)
        printf 'odd path: %s\n' "$(printf '%s' "$rel" | tr -c 'A-Za-z0-9._@+/-' '?')" \
          >>"$SBOM_DIR/skipped.txt"
        continue ;;
    esac
    if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
    size=$(wc -c <"$f" | tr -d ' ')
    if [ "$size" -gt "$max" ]; then
      printf 'over %s bytes: %s (%s bytes)\n' "$max" "$rel" "$size" >>"$SBOM_DIR/skipped.txt"
      continue
    fi
    if [ $((total + size)) -gt "$total_max" ]; then
      printf 'over the total %s bytes: %s\n' "$total_max" "$rel" >>"$SBOM_DIR/skipped.txt"
      continue
    fi
    mkdir -p "$SBOM_DIR/launch/${rel%/*}"
    head -c "$max" "$f" >"$SBOM_DIR/launch/$rel"
    total=$((total + size)) n=$((n + 1))
  done <"$SBOM_DIR/.list"
  rm -f "$SBOM_DIR/.list"
  printf 'buildpacks-build: kept %s SBOM file(s), %s bytes\n' "$n" "$total"
}

case "$phase" in
  analyze) "$LIFECYCLE/analyzer" "$@" ;;
  detect) exec "$LIFECYCLE/detector" "$@" ;;
  restore) exec "$LIFECYCLE/restorer" "$@" ;;
  build) exec "$LIFECYCLE/builder" "$@" ;;
  export)
    "$LIFECYCLE/exporter" "$@"
    digest=$(sed -n 's/^[[:space:]]*digest[[:space:]]*=[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' \
      "$OUT_DIR/report.toml" 2>/dev/null | head -n 1)
    [ -n "$digest" ] || fail "the lifecycle report has no image digest ($OUT_DIR/report.toml)"
    printf '%s' "$IMAGE:$main" >"$OUT_DIR/image"
    printf '%s' "$digest" >"$OUT_DIR/digest"
    printf 'buildpacks-build: pushed %s@%s (tags: %s)\n' "$IMAGE:$main" "$digest" "$tags"
    [ -z "${SBOM_DIR:-}" ] || collect_sbom
    ;;
esac
