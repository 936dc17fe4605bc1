#!/bin/sh
# sbom-collect: copy the SBOMs the buildpacks wrote to the build's output artifact, as data.
# Runs after the build phase, in a container of its own that mounts no credential (the
# shell image, the builder's uid): the files were written by the build, that is by the app's
# code, which in one pod may still be running beside this (docs/security.md), so whatever a
# link or a race makes this read, no Secret is there to be read.
# Inputs come from the environment only; none of them is ever part of this text:
#   LAYERS_DIR  the lifecycle's layers (reads <layers>/sbom/launch/**)
#   SBOM_DIR    where the artifact is written (launch/**/sbom.*.json and skipped.txt)
#   SBOM_MAX_BYTES, SBOM_MAX_TOTAL, SBOM_MAX_FILES (optional: per-file and total bytes, files)
set -euf
export LC_ALL=C
me=sbom-collect
#@prelude fail one_line

LAYERS_DIR=${LAYERS_DIR:-/layers}

# collect_sbom: copy <layers>/sbom/launch/**/sbom.{cdx,spdx,syft}.json (what the exporter
# puts in the image's SBOM layer) to $SBOM_DIR: never parsed or run.
# Refused outright (nothing collected, the step fails): a name with a line break (it would
# split one path into two lines of the listing) and more than SBOM_MAX_FILES files (each is
# attested with its own cosign call). Taken: regular files named sbom.cdx.json, sbom.spdx.json
# or sbom.syft.json whose directory, links resolved, stays under the SBOM root; links, odd
# names and files over the caps are skipped and listed in $SBOM_DIR/skipped.txt.
collect_sbom() {
  [ -n "${SBOM_DIR:-}" ] || fail "SBOM_DIR is not set"
  one_line layers-dir "$LAYERS_DIR"
  one_line sbom-dir "$SBOM_DIR"
  root="$LAYERS_DIR/sbom/launch"
  max=${SBOM_MAX_BYTES:-16777216} total_max=${SBOM_MAX_TOTAL:-67108864}
  files_max=${SBOM_MAX_FILES:-256} total=0 n=0
  case "$max$total_max$files_max" in
    *[!0-9]*) fail "SBOM_MAX_BYTES/SBOM_MAX_TOTAL/SBOM_MAX_FILES must be numbers" ;;
  esac
  rm -rf "$SBOM_DIR"
  mkdir -p "$SBOM_DIR"
  : >"$SBOM_DIR/skipped.txt"
  if [ -L "$LAYERS_DIR" ] || [ -L "$LAYERS_DIR/sbom" ] || [ -L "$root" ] || [ ! -d "$root" ]; then
    printf 'sbom-collect: no SBOM directory at %s\n' "$root"
    return 0
  fi
  real_root=$(cd -P -- "$root" && pwd -P) || fail "cannot resolve $root"
  # find does not descend into linked directories, and -type f is false for a link.
  odd=$(find "$root" -name "*$nl*" | head -c 200)
  [ -z "$odd" ] ||
    fail "a name under $root holds a line break ('$odd'); refused, no SBOM collected"
  find "$root" -type f \( -name sbom.cdx.json -o -name sbom.spdx.json -o -name sbom.syft.json \) |
    sort >"$SBOM_DIR/.list"
  found=$(wc -l <"$SBOM_DIR/.list" | tr -d ' ')
  if [ "$found" -gt "$files_max" ]; then
    rm -rf "$SBOM_DIR"
    fail "$found SBOM files under $root, more than $files_max; refused, no SBOM collected"
  fi
  while IFS= read -r f; do
    rel=${f#"$root"/}
    case "$rel" in
      "$f" | *[!A-Za-z0-9._@+/-]* | *..* | /*)
        printf 'odd path: %s\n' "$(printf '%s' "$rel" | tr -c 'A-Za-z0-9._@+/-' '?')" \
          >>"$SBOM_DIR/skipped.txt"
        continue ;;
    esac
    case "${f##*/}" in sbom.cdx.json | sbom.spdx.json | sbom.syft.json) ;; *) continue ;; esac
    dir=$(cd -P -- "${f%/*}" 2>/dev/null && pwd -P) || dir=
    case "$dir/" in
      "$real_root"/*) ;;
      *)
        printf 'outside the SBOM root: %s\n' "$rel" >>"$SBOM_DIR/skipped.txt"
        continue ;;
    esac
    if [ ! -f "$f" ] || [ -L "$f" ]; then
      printf 'not a regular file: %s\n' "$rel" >>"$SBOM_DIR/skipped.txt"
      continue
    fi
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
  printf 'sbom-collect: kept %s SBOM file(s), %s bytes\n' "$n" "$total"
}

collect_sbom
