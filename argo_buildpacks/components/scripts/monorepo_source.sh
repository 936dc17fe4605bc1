#!/bin/sh
# monorepo-source: copy a monorepo's one clone into this build pod's own workspace, before
# any app code runs in the pod.
#
# The clone is on the workflow's volume claim, which every build pod of the monorepo mounts
# read-only: no app's code (detect, build) can change what a later or a parallel build of
# another app reads. Each build works on its own copy, in an emptyDir of its pod, which its
# app's code may change as it likes. Runs in the shell image as the app builder's uid.
# Inputs come from the environment only; none of them is ever part of this text:
#   SOURCE     the clone (on the read-only claim)
#   WORKSPACE  this build's directory in the pod's own volume (the copy goes to src/)
#   SUBPATH    the app's directory inside the repository
set -euf # -f: no pathname expansion; the paths stay data
export LC_ALL=C
me=monorepo-source
#@prelude fail one_line repo_path

[ -n "${SOURCE:-}" ] || fail "SOURCE is not set"
[ -n "${WORKSPACE:-}" ] || fail "WORKSPACE is not set"
one_line source "$SOURCE"
one_line workspace "$WORKSPACE"
SUBPATH=${SUBPATH:-}
repo_path "app directory" "$SUBPATH"
[ -d "$SOURCE/.git" ] || fail "no clone at '$SOURCE': did git-clone run on this workflow's claim?"

dest="$WORKSPACE/src"
# A retried container finds the previous attempt's copy: start afresh.
rm -rf "$dest"
mkdir -p "$dest"
# -P: links are copied as links, never followed out of the clone.
cp -R -P "$SOURCE/." "$dest/"
if [ -n "$SUBPATH" ]; then
  [ -d "$dest/$SUBPATH" ] ||
    fail "app directory '$SUBPATH' is not a directory of the clone (is the app's path right?)"
  real=$(cd "$dest/$SUBPATH" && pwd -P)
  case "$real/" in
    "$(cd "$dest" && pwd -P)"/*) ;;
    *) fail "app directory '$SUBPATH' leads outside the repository" ;;
  esac
fi
printf 'monorepo-source: %s copied\n' "${SUBPATH:-the repository root}"
