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
#   SBOM_DIR       optional: the export's sbom artifact (launch/**/sbom.{cdx,spdx}.json)
# Anything but IMAGE@sha256:<64 hex> of the configured image is refused before cosign runs.
set -euf
export LC_ALL=C
me=sign
#@prelude fail one_line matches is_digest is_sha256 check_name

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
cosign sign --key "$COSIGN_KEY" --tlog-upload="$tlog" --yes "$ref"
printf 'sign: signed %s\n' "$ref"

[ -n "${SBOM_DIR:-}" ] || exit 0
n=0
if [ -d "$SBOM_DIR/launch" ] && [ ! -L "$SBOM_DIR/launch" ]; then
  find "$SBOM_DIR/launch" -type f \( -name sbom.cdx.json -o -name sbom.spdx.json \) | sort >"${TMPDIR:-/tmp}/sboms"
  while IFS= read -r f; do
    case "${f#"$SBOM_DIR"/}" in *[!A-Za-z0-9._@+/-]* | *..*) continue ;; esac
    case "$f" in
      *.cdx.json) type=cyclonedx ;;
      *) type=spdxjson ;;
    esac
    cosign attest --key "$COSIGN_KEY" --predicate "$f" --type "$type" --tlog-upload="$tlog" \
      --yes "$ref"
    n=$((n + 1))
  done <"${TMPDIR:-/tmp}/sboms"
fi
printf 'sign: attested %s SBOM file(s) to %s\n' "$n" "$ref"
