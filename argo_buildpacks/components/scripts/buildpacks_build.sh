# buildpacks-build: run the lifecycle's creator (no Docker daemon) and publish the image.
#
# Runs in the builder image as its CNB user. Inputs come from the environment, and the build
# env vars as NAME VALUE argument pairs; none of them is ever part of this text:
#   IMAGE (repository, no tag)  WORKSPACE  OUT_DIR  SUBPATH  LAYERS_DIR  PLATFORM_DIR
#   BUILD_UID BUILD_GID  LOG_LEVEL  CREATION_TIME (commit|epoch|now)  BUILDPACKS (comma list)
#   CACHE_IMAGE RUN_IMAGE PREVIOUS_IMAGE (optional)  CREATOR (default /cnb/lifecycle/creator)
#   CNB_BUILDPACKS_DIR (the builder's buildpacks, default /cnb/buildpacks)
#   BUILD_ENV (more build env vars, one NAME=VALUE per line: the library mode's form)
# Reads $OUT_DIR/tags (from tag-check: main tag first) and, for CREATION_TIME=commit,
# $OUT_DIR/commit-epoch (from git-clone). Writes $OUT_DIR/image and $OUT_DIR/digest.
set -euf # -f: no pathname expansion of the comma lists below; values stay data
export LC_ALL=C
nl='
'

fail() {
  printf 'buildpacks-build: %s\n' "$*" >&2
  exit 1
}

one_line() {
  case "$2" in *"$nl"* | *"$(printf '\r')"*) fail "$1 contains a line break" ;; esac
}

# Distribution reference grammar: [host[:port]/]path, lower-case path components.
label='[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?'
component='[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*'
name_re="^(($label(\\.$label)*|\\[[0-9A-Fa-f:.]+])(:[0-9]+)?/)?$component(/$component)*\$"
tag_re='^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$'
digest_re='^[a-z0-9]+([+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$'

check_name() { # what value
  one_line "$1" "$2"
  printf '%s\n' "$2" | grep -Eq -- "$name_re" ||
    fail "$1 '$2' is not an image repository (lower-case [host[:port]/]path, no tag)"
  # Docker's rule: the first component is a registry only with a '.' or ':', or localhost;
  # otherwise it is part of the (lower-case) path.
  case "$2" in */*)
    case "${2%%/*}" in
      localhost | *.* | *:* | \[*) ;;
      *) printf '%s\n' "${2%%/*}" | grep -Eq -- "^$component\$" ||
        fail "$1 '$2' is not an image repository (lower-case [host[:port]/]path, no tag)" ;;
    esac ;;
  esac
  [ "${#2}" -le 255 ] || fail "$1 '$2' is longer than 255 characters"
}

check_ref() { # what value: name[:tag][@digest]
  one_line "$1" "$2"
  ref=$2 digest=
  case "$ref" in *@*) digest=${ref#*@} ref=${ref%%@*} ;; esac
  last=${ref##*/}
  case "$last" in
    *:*) tag=${last#*:} ref=${ref%:*}
      printf '%s\n' "$tag" | grep -Eq -- "$tag_re" || fail "$1 '$2' has an invalid tag" ;;
  esac
  [ -z "$digest" ] || printf '%s\n' "$digest" | grep -Eq -- "$digest_re" ||
    fail "$1 '$2' has an invalid digest"
  check_name "$1" "$ref"
}

[ -n "${IMAGE:-}" ] || fail "image is empty"
check_name image "$IMAGE"
WORKSPACE=${WORKSPACE:-/workspace}
OUT_DIR=${OUT_DIR:-$WORKSPACE/out}
LAYERS_DIR=${LAYERS_DIR:-/layers}
PLATFORM_DIR=${PLATFORM_DIR:-$WORKSPACE/platform}
CREATOR=${CREATOR:-/cnb/lifecycle/creator}
SUBPATH=${SUBPATH:-}
one_line subpath "$SUBPATH"
case "/$SUBPATH/" in
  */../* | */./* | /-* | */-*) fail "subpath '$SUBPATH' must be a plain relative path" ;;
esac
app="$WORKSPACE/src${SUBPATH:+/$SUBPATH}"
[ -d "$app" ] || fail "app directory '$app' does not exist (is the subpath right?)"

case "${LOG_LEVEL:-info}" in
  debug | info | warn | error) ;;
  *) fail "log level '${LOG_LEVEL}' must be debug, info, warn or error" ;;
esac
for id in "${BUILD_UID:-}" "${BUILD_GID:-}"; do
  case "$id" in '' | *[!0-9]*) fail "BUILD_UID/BUILD_GID must be numbers" ;; esac
done

# The version's tags, as checked by tag-check: main tag first.
[ -s "$OUT_DIR/tags" ] || fail "no tags at $OUT_DIR/tags: did tag-check run?"
tags=$(cat "$OUT_DIR/tags")
one_line tags "$tags"

# Build env vars go to <platform>/env/NAME, as the platform spec says; the values are
# written byte for byte, never interpreted. Files of an earlier attempt are dropped, so
# the build sees exactly this configuration's variables.
rm -rf "$PLATFORM_DIR/env"
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

set -- -app "$app" -layers "$LAYERS_DIR" -platform "$PLATFORM_DIR" \
  -report "$OUT_DIR/report.toml" -log-level "${LOG_LEVEL:-info}" \
  -uid "$BUILD_UID" -gid "$BUILD_GID"
if [ -n "${CACHE_IMAGE:-}" ]; then check_ref cache-image "$CACHE_IMAGE"; set -- "$@" -cache-image "$CACHE_IMAGE"; fi
if [ -n "${RUN_IMAGE:-}" ]; then check_ref run-image "$RUN_IMAGE"; set -- "$@" -run-image "$RUN_IMAGE"; fi
if [ -n "${PREVIOUS_IMAGE:-}" ]; then
  check_ref previous-image "$PREVIOUS_IMAGE"
  set -- "$@" -previous-image "$PREVIOUS_IMAGE"
fi

# only_version ID: sets bp_version to the builder's one version of buildpack ID. The
# lifecycle looks a buildpack up at <buildpacks dir>/<ID, '/' as '_'>/<version>/, so an
# order.toml entry without a version names no buildpack at all.
only_version() {
  bp_dir="${CNB_BUILDPACKS_DIR:-/cnb/buildpacks}/$(printf '%s' "$1" | tr / _)"
  bp_version= bp_versions= bp_n=0
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

if [ -n "${BUILDPACKS:-}" ]; then
  # An explicit group replaces the builder's detection order.
  order="$WORKSPACE/order.toml"
  printf '[[order]]\n' >"$order"
  old_ifs=$IFS IFS=,
  for bp in $BUILDPACKS; do
    printf '%s\n' "$bp" | grep -Eq -- '^[A-Za-z0-9][A-Za-z0-9._/-]*(@[A-Za-z0-9._+-]+)?$' ||
      fail "buildpack '$bp' is not an id or id@version"
    case "$bp" in
      *@*) bp_version=${bp#*@} ;;
      *) only_version "$bp" ;;
    esac
    # The id and version patterns above exclude '"' and '\': plain TOML strings.
    printf '  [[order.group]]\n    id = "%s"\n    version = "%s"\n' "${bp%%@*}" "$bp_version" \
      >>"$order"
  done
  IFS=$old_ifs
  set -- "$@" -order "$order"
fi

main=
old_ifs=$IFS IFS=,
for t in $tags; do
  printf '%s\n' "$t" | grep -Eq -- "$tag_re" || fail "tag '$t' is not a valid OCI tag"
  if [ -z "$main" ]; then main=$t; else set -- "$@" -tag "$IMAGE:$t"; fi
done
IFS=$old_ifs
[ -n "$main" ] || fail "no tags at $OUT_DIR/tags: did tag-check run?"

case "${CREATION_TIME:-commit}" in
  commit)
    [ -f "$OUT_DIR/commit-epoch" ] ||
      fail "no commit-epoch at $OUT_DIR/commit-epoch: did git-clone run?"
    epoch=$(cat "$OUT_DIR/commit-epoch")
    case "$epoch" in '' | *[!0-9]*) fail "commit-epoch '$epoch' is not a number" ;; esac
    export SOURCE_DATE_EPOCH="$epoch" ;;
  now) SOURCE_DATE_EPOCH=$(date +%s); export SOURCE_DATE_EPOCH ;;
  epoch) unset SOURCE_DATE_EPOCH ;;
  *) fail "creation time '${CREATION_TIME}' must be commit, epoch or now" ;;
esac

printf 'buildpacks-build: building %s:%s\n' "$IMAGE" "$main"
# A report left by an earlier attempt must not pass for this build's.
rm -f "$OUT_DIR/report.toml"
"$CREATOR" "$@" "$IMAGE:$main"

digest=$(sed -n 's/^[[:space:]]*digest[[:space:]]*=[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' \
  "$OUT_DIR/report.toml" | head -n 1)
[ -n "$digest" ] || fail "the lifecycle report has no image digest ($OUT_DIR/report.toml)"
printf '%s' "$IMAGE:$main" >"$OUT_DIR/image"
printf '%s' "$digest" >"$OUT_DIR/digest"
printf 'buildpacks-build: pushed %s@%s (tags: %s)\n' "$IMAGE:$main" "$digest" "$tags"
