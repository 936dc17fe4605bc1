#!/bin/sh
# fleet-summary: one line per app of a fleet run, tab-separated:
#   APP  PHASE  ACTION  OLD-DIGEST  NEW-DIGEST  REASON
# Arguments come in groups of six, in that order (each app's run's phase and outputs, as
# Argo substituted them: values, never part of this text). Every field is checked or made
# safe (control characters and tabs become '?') so no value can forge a row or a column.
# Writes $OUT (default /tmp/summary.tsv) and prints it; exits 0 (the summary is the result:
# an app's failure shows as its phase; `fleet status` exits 1 when one failed).
set -euf
export LC_ALL=C
me=fleet-summary
#@prelude fail matches is_digest is_sha256
OUT=${OUT:-/tmp/summary.tsv}
digest() { # a sha256 digest, '-' when empty, 'invalid' otherwise
  if [ -z "$1" ]; then printf '%s' -; elif is_sha256 "$1"; then printf '%s' "$1"; else printf invalid; fi
}
# At most 500 bytes (templates/fleets.py REASON_MAX: the controller already cut it there).
# The cut reads the value through a pipe, never as one more argument, so its size only
# costs time; a tag Argo left unresolved (a run that never reported) is no reason.
clean() {
  case "$1" in '{{'*'}}') return 0 ;; esac
  printf '%s' "$1" | tr '\000-\037\177' '?' | cut -c1-500
}
[ $(($# % 6)) -eq 0 ] || fail "expected groups of six arguments, got $#"
: >"$OUT.tmp"
while [ "$#" -gt 0 ]; do
  app=$1 phase=$2 action=$3 old=$4 new=$5 reason=$6
  shift 6
  matches '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' "$app" ||
    fail "app '$app' is not a name"
  case "$phase" in Succeeded | Failed | Error | '') ;; *) phase=Unknown ;; esac
  [ -n "$phase" ] || phase=Unknown
  case "$action" in rebased | unchanged | rebuild | '') ;; *) action=invalid ;; esac
  [ -n "$action" ] || action=-
  old=$(digest "$old") new=$(digest "$new")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$app" "$phase" "$action" "$old" "$new" \
    "$(clean "$reason")" >>"$OUT.tmp"
done
mv "$OUT.tmp" "$OUT"
cat "$OUT"
