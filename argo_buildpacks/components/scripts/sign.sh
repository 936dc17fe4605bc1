#!/bin/sh
# sign: sign the digest this run's build pushed with cosign and (with SBOM_DIR) attest the
# buildpacks' SBOMs, in a container that runs no app code. Inputs come from the environment
# only; none of them is ever part of this text:
#   IMAGE          the configured repository (literal in the template)
#   DIGEST         sha256:<64 hex>, the build's workflow output
#   BUILT          the image the build pushed (IMAGE:TAG), the build's workflow output
#   COSIGN_KEY     the private key file (a Secret fixed at install)
#   COSIGN_PASSWORD_FILE  the key's password file (optional: a key without a password)
#   TLOG_UPLOAD    true|false: also record the signatures in the Rekor transparency log
#   SBOM_DIR       optional: the build's sbom artifact (launch/**/sbom.{cdx,spdx}.json)
#   SBOM_MAX_FILES optional: at most this many SBOMs are attested (default 256)
#   INSECURE_REGISTRIES optional, one host[:port] per line: IMAGE's registry may be reached
#                  over plain HTTP or unverified TLS    SSL_CERT_DIR optional: cosign's CAs
# Anything but IMAGE@sha256:<64 hex> of the configured image is refused before cosign runs,
# and so is an artifact with more SBOMs than the cap: in one pod the app's code can replace
# the artifact Argo saves (docs/security.md), and each file costs a cosign call.
set -euf
export LC_ALL=C
me=sign
#@prelude fail one_line matches is_digest is_sha256 check_name insecure

IMAGE=${IMAGE:-}
DIGEST=${DIGEST:-}
BUILT=${BUILT:-}
check_name image "$IMAGE"
is_sha256 "$DIGEST" || fail "digest '$DIGEST' is not sha256:<64 hex digits>; nothing signed"

tag=${BUILT#"$IMAGE":}
case "$tag" in '' | *[!A-Za-z0-9._-]*) tag= ;; esac
{ [ -n "$tag" ] && [ "$IMAGE:$tag" = "$BUILT" ]; } ||
  fail "the build pushed '$BUILT', not a tag of the configured image '$IMAGE'; nothing signed"

case "${TLOG_UPLOAD:-false}" in
  true | false) tlog=${TLOG_UPLOAD:-false} ;;
  *) fail "TLOG_UPLOAD '$TLOG_UPLOAD' must be true or false" ;;
esac
{ [ -n "${COSIGN_KEY:-}" ] && [ -f "$COSIGN_KEY" ]; } || fail "no cosign key at '${COSIGN_KEY:-}'"
if [ -n "${COSIGN_PASSWORD_FILE:-}" ] && [ -f "$COSIGN_PASSWORD_FILE" ]; then
  COSIGN_PASSWORD=$(cat "$COSIGN_PASSWORD_FILE")
else
  COSIGN_PASSWORD=
fi
export COSIGN_PASSWORD

ref="$IMAGE@$DIGEST"
# registry.insecure: cosign reaches this one registry over plain HTTP or unverified TLS.
tls=
! is_insecure "$IMAGE" || tls=insecure
list="${TMPDIR:-/tmp}/sboms"
: >"$list"
if [ -n "${SBOM_DIR:-}" ] && [ -d "$SBOM_DIR/launch" ] && [ ! -L "$SBOM_DIR/launch" ]; then
  # A name with a line break would split into lines that name other files (this container
  # holds the cosign key): refused, as the collection refuses it.
  odd=$(find "$SBOM_DIR/launch" -name "*$nl*" | head -c 200)
  [ -z "$odd" ] || fail "a name in the sbom artifact holds a line break ('$odd'); nothing signed"
  find "$SBOM_DIR/launch" -type f \( -name sbom.cdx.json -o -name sbom.spdx.json \) | sort >"$list"
  max=${SBOM_MAX_FILES:-256}
  case "$max" in '' | *[!0-9]*) fail "SBOM_MAX_FILES '$max' must be a number" ;; esac
  found=$(wc -l <"$list" | tr -d ' ')
  [ "$found" -le "$max" ] ||
    fail "the sbom artifact holds $found SBOM files, more than $max; nothing signed"
fi
cosign sign ${tls:+--allow-insecure-registry --allow-http-registry} --key "$COSIGN_KEY" --tlog-upload="$tlog" --yes "$ref"
printf 'sign: signed %s\n' "$ref"

[ -n "${SBOM_DIR:-}" ] || exit 0
n=0
if [ -s "$list" ]; then
  while IFS= read -r f; do
    case "$f" in "$SBOM_DIR"/launch/*/sbom.cdx.json | "$SBOM_DIR"/launch/*/sbom.spdx.json) ;; *) continue ;; esac
    case "${f#"$SBOM_DIR"/}" in *[!A-Za-z0-9._@+/-]* | *..*) continue ;; esac
    case "$f" in
      *.cdx.json) type=cyclonedx ;;
      *) type=spdxjson ;;
    esac
    cosign attest ${tls:+--allow-insecure-registry --allow-http-registry} --key "$COSIGN_KEY" --predicate "$f" --type "$type" --tlog-upload="$tlog" \
      --yes "$ref"
    n=$((n + 1))
  done <"$list"
fi
printf 'sign: attested %s SBOM file(s) to %s\n' "$n" "$ref"
