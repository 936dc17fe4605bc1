#!/bin/sh
# pack-report: turn pack's report.toml into the run's outputs (image, digest).
# The pack image has no shell, so this runs after it in a busybox container.
# Env: OUT_DIR (holds oci-tag from tag-check), REPORT (pack's report.toml, default
# $OUT_DIR/pack/report.toml), IMAGE (the repository pack pushed, as given to it). Values are only ever written to files, never evaluated.
set -euf
export LC_ALL=C
me=pack-report
#@prelude fail one_line
[ -n "${OUT_DIR:-}" ] || fail "OUT_DIR is not set"
[ -n "${IMAGE:-}" ] || fail "image is empty"
one_line image "$IMAGE"
report=${REPORT:-$OUT_DIR/pack/report.toml}
[ -s "$report" ] || fail "pack wrote no report at $report"
digest=$(sed -n 's/^[[:space:]]*digest[[:space:]]*=[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' "$report" | head -n 1)
[ -n "$digest" ] || fail "the pack report has no image digest ($report)"
# Without this check a missing tag would still write "IMAGE:" (an argument's failed $(...)
# does not stop the script).
[ -s "$OUT_DIR/oci-tag" ] || fail "no oci-tag at $OUT_DIR/oci-tag: did tag-check run?"
tag=$(cat "$OUT_DIR/oci-tag")
printf '%s' "$IMAGE:$tag" >"$OUT_DIR/image"
printf '%s' "$digest" >"$OUT_DIR/digest"
printf 'pack-report: pushed %s@%s\n' "$IMAGE:$tag" "$digest"
