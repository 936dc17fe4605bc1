#!/bin/sh
# tag-check: validate an image tag in the cluster by the rules of argo_buildpacks.model.tags.SemverTag
# (tests/components/test_tag_check_script.py holds the two in parity). POSIX sh and busybox applets only.
# A constant script: user values arrive in environment variables and are only expanded in
# double quotes or matched against patterns, never evaluated, so none can run a command.
# Usage: tag_check.sh [check|describe]
#   TAG             the submitted version (one leading 'v' allowed); may be empty
#   FROM_GIT        true: an empty TAG is allowed in check mode (derived from git later)
#   FLOATING        true: a stable release also pushes MAJOR.MINOR and MAJOR (default true)
#   LATEST          true: ... and 'latest' (default false)
#   ALLOW_UNTAGGED  true: describe mode maps a commit with no tag to 0.0.0-dev+g<sha>
#   OUT_DIR         where the outputs go: version, oci-tag, tags (no trailing newline)
#   DESCRIBE_FILE   describe mode: `git describe --tags --long --always` output
# Exit status: 0 valid, 1 invalid version (one line on stderr, no outputs), 2 misuse.
# A container gets the mode it runs (#@part MODE... to #@end; `load`).
# shellcheck disable=SC1003,SC2295 # the character sets below are meant as patterns
set -eu
# Byte-wise patterns and lengths: [A-Za-z] is ASCII only and ${#x} counts bytes.
LC_ALL=C
export LC_ALL

nl='
'
tab=$(printf '\t') cr=$(printf '\r')
ws=$(printf ' \t\n\r\013\014\034\035\036\037.') # what str.isspace() accepts in ASCII
ws=${ws%.}
ctl=$(printf '\001-\037\177')  # repr() escapes these
high=$(printf '\200-\377')     # first byte of a non-ASCII UTF-8 character
cont=$(printf '\200-\277')     # UTF-8 continuation bytes
# Non-ASCII characters str.isspace() accepts, UTF-8 encoded, space-separated.
uws=$(printf ' \302\205 \302\240 \341\232\200 \342\200\250 \342\200\251 \342\200\257 \342\201\237 \343\200\200 ')
uws=$uws$(printf '\342\200\200 \342\200\201 \342\200\202 \342\200\203 \342\200\204 \342\200\205 ')
uws=$uws$(printf '\342\200\206 \342\200\207 \342\200\210 \342\200\211 \342\200\212 ')

die() { printf 'tag-check: %s\n' "$1" >&2; exit 1; }
misuse() { printf 'tag-check: %s\n' "$1" >&2; exit 2; }

# subst TEXT FROM TO: sets sub to TEXT with every FROM replaced by TO. A variable, not
# $(...), because command substitution would drop trailing newlines of the value.
subst() {
  s_in=$1 sub=
  while case $s_in in *"$2"*) true ;; *) false ;; esac; do
    sub=$sub${s_in%%"$2"*}$3 s_in=${s_in#*"$2"}
  done
  sub=$sub$s_in
}

# pyrepr TEXT: sets REPLY to Python's repr(TEXT) (exact for ASCII), so a hostile value is
# shown on one line, unambiguously, and messages match tags.py's.
pyrepr() {
  q="'"
  case $1 in *"'"*) case $1 in *'"'*) ;; *) q='"' ;; esac ;; esac
  subst "$1" '\' '\\'
  [ "$q" = '"' ] || subst "$sub" "'" "\\'"
  r_in=$sub REPLY=
  while :; do
    r_head=${r_in%%[$ctl]*}
    [ "$r_head" != "$r_in" ] || break
    r_in=${r_in#"$r_head"}
    r_c=${r_in%"${r_in#?}"}
    r_in=${r_in#?}
    case $r_c in
    "$nl") r_c='\n' ;;
    "$tab") r_c='\t' ;;
    "$cr") r_c='\r' ;;
    *) r_c=$(printf '\\x%02x' "'$r_c") ;;
    esac
    REPLY=$REPLY$r_head$r_c
  done
  REPLY=$q$REPLY$r_in$q
}

# explain TEXT (without its 'v'): sets why to the SemVer 2.0.0 rule TEXT breaks, or ''.
# Mirrors tags._explain, check for check, in the same order.
explain() {
  why=
  if [ -z "$1" ]; then why='it is empty' && return; fi
  e_ok=${1%%[!0-9A-Za-z.+-]*}
  if [ "$e_ok" != "$1" ]; then
    e_rest=${1#"$e_ok"}
    e_c=${e_rest%"${e_rest#?}"}
    e_rest=${e_rest#?}
    case $e_c in [$high])
      # Take the whole UTF-8 character, to name it as Python does.
      while case $e_rest in [$cont]*) true ;; *) false ;; esac; do
        e_c=$e_c${e_rest%"${e_rest#?}"}
        e_rest=${e_rest#?}
      done
      ;;
    esac
    case $e_c in [$ws]) why='it contains whitespace' && return ;; esac
    case $uws in *" $e_c "*) why='it contains whitespace' && return ;; esac
    pyrepr "$e_c"
    why="it contains $REPLY; only ASCII letters, digits, '.', '-' and '+' are allowed"
    return
  fi
  case $1 in *+*+*)
    why="it has a second '+'; build metadata is one '+' followed by dot-separated identifiers"
    return ;;
  esac
  e_rest=${1%%+*}
  e_core=${e_rest%%-*}
  e_dots=
  case $e_core in *.*.*.*) ;; *.*.*) e_dots=two ;; esac
  if [ -z "$e_dots" ]; then
    why="its core '$e_core' is not MAJOR.MINOR.PATCH (three dot-separated numbers)" && return
  fi
  e_part=$e_core
  for e_label in MAJOR MINOR PATCH; do
    e_num=${e_part%%.*}
    e_part=${e_part#*.}
    case $e_num in
    '') why="$e_label is empty" ;;
    *[!0-9]*) why="$e_label '$e_num' is not a number" ;;
    0?*) why="$e_label '$e_num' has a leading zero" ;;
    esac
    if [ -n "$why" ]; then return; fi
  done
  case $e_rest in *-*)
    e_pre=${e_rest#*-}
    e_ids=$e_pre.
    while [ -n "$e_ids" ]; do
      e_id=${e_ids%%.*}
      e_ids=${e_ids#*.}
      case $e_id in
      '') why="the pre-release '$e_pre' has an empty identifier" && return ;;
      *[!0-9]*) ;;
      0?*) why="the pre-release identifier '$e_id' is numeric with a leading zero" && return ;;
      esac
    done
    ;;
  esac
  case $1 in *+*)
    e_build=${1#*+}
    case .$e_build. in *..*) why="the build metadata '$e_build' has an empty identifier" ;; esac
    ;;
  esac
}

# parse TEXT: sets version (normalised) or msg (why TEXT is invalid); like SemverTag.parse.
parse() {
  # Capped before parsing, for TAG and a tag git describe found alike: no valid version is
  # longer, and the checks below are not linear.
  p_bare=${1#v}
  if [ ${#p_bare} -gt 128 ]; then
    msg="the version is ${#p_bare} bytes long; a version has at most 128 (an OCI tag's limit), not counting one leading 'v'"
    return 1
  fi
  explain "$p_bare"
  if [ -z "$why" ]; then version=${1#v} && return 0; fi
  case $1 in
  v[vV]*) why="only one leading 'v' is allowed" ;;
  V*) why="only a lower-case leading 'v' is allowed" ;;
  esac
  pyrepr "$1"
  msg="$REPLY is not a SemVer 2.0.0 version: $why"
  return 1
}

#@part describe
# increment DIGITS: sets next to DIGITS + 1, as a string: $(( )) overflows past 2^63.
increment() {
  i_nines=${1##*[!9]}
  i_head=${1%"$i_nines"}
  i_zeros=$(printf '%s' "$i_nines" | tr 9 0)
  if [ -z "$i_head" ]; then next=1$i_zeros && return; fi
  next=${i_head%?}$((${i_head#"${i_head%?}"} + 1))$i_zeros
}

is_hex_sha() { # 4 to 64 lower-case hex digits, as git abbreviates
  case $1 in '' | *[!0-9a-f]*) return 1 ;; esac
  [ ${#1} -ge 4 ] && [ ${#1} -le 64 ]
}

# from_describe: sets version from DESCRIBE_FILE, like SemverTag.from_git_describe.
from_describe() {
  [ -n "${DESCRIBE_FILE:-}" ] || misuse 'DESCRIBE_FILE is not set'
  { [ -f "$DESCRIBE_FILE" ] && [ -r "$DESCRIBE_FILE" ]; } || misuse 'DESCRIBE_FILE is not a readable file'
  # The shell drops NUL bytes silently; git never writes them, so refuse them outright.
  d_nul=$(tr -cd '\000' <"$DESCRIBE_FILE" | tr '\000' x)
  d_out=$(cat <"$DESCRIBE_FILE")
  d_out=${d_out#"${d_out%%[!$ws]*}"}
  d_out=${d_out%"${d_out##*[!$ws]}"}
  pyrepr "$d_out"
  d_shown=$REPLY
  [ -z "$d_nul" ] || die "$d_shown contains a NUL byte; it is not git describe output"
  # TAG-N-gSHA: neither N nor gSHA contains '-', so they follow the last two '-'.
  d_sha=${d_out##*-}
  d_rest=${d_out%-*}
  d_dist=${d_rest##*-}
  d_tag=${d_rest%-*}
  d_match=yes
  case $d_out in *-*-*) ;; *) d_match= ;; esac
  case $d_tag in '' | *"$nl"*) d_match= ;; esac
  case $d_dist in '' | *[!0-9]* | 0?*) d_match= ;; esac
  case $d_sha in g*) is_hex_sha "${d_sha#g}" || d_match= ;; *) d_match= ;; esac
  if [ -z "$d_match" ]; then
    if is_hex_sha "$d_out"; then
      [ "$ALLOW_UNTAGGED" = true ] || die "git describe output $d_shown names no tag: no tag is reachable from the commit (tag a release, or allow untagged builds for 0.0.0-dev+g<sha>)"
      version=0.0.0-dev+g$d_out
      return
    fi
    die "$d_shown is not \`git describe --tags --long\` output (TAG-N-gSHA)"
  fi
  if ! parse "$d_tag"; then
    pyrepr "$d_tag"
    die "git describe found tag $REPLY, which $msg"
  fi
  [ "$d_dist" != 0 ] || return 0
  # Commits follow the tag: the tag's own build metadata no longer describes them.
  d_rel=${version%%+*}
  case $d_rel in
  *-*) version=$d_rel.dev.$d_dist+$d_sha ;;
  *)
    increment "${d_rel##*.}"
    version=${d_rel%.*}.$next-dev.$d_dist+$d_sha
    ;;
  esac
}
#@end

FROM_GIT=${FROM_GIT:-false} FLOATING=${FLOATING:-true} LATEST=${LATEST:-false}
ALLOW_UNTAGGED=${ALLOW_UNTAGGED:-false} TAG=${TAG:-}
for flag in "FROM_GIT=$FROM_GIT" "FLOATING=$FLOATING" "LATEST=$LATEST" "ALLOW_UNTAGGED=$ALLOW_UNTAGGED"; do
  case ${flag#*=} in
  true | false) ;;
  *) pyrepr "${flag#*=}" && misuse "${flag%%=*} must be 'true' or 'false', got $REPLY" ;;
  esac
done
[ -n "${OUT_DIR:-}" ] || misuse 'OUT_DIR is not set'
mode=${1:-check}

case $mode in
#@part check
check) ;;
#@end
#@part describe
describe) ;;
#@end
*) pyrepr "$mode" && misuse "unknown mode $REPLY (use check or describe)" ;;
esac
if [ -n "$TAG" ]; then
  parse "$TAG" || die "$msg"
#@part describe
elif [ "$mode" = describe ]; then
  from_describe
#@end
elif [ "$FROM_GIT" = true ]; then
  # Empty outputs mark "no tag yet": describe mode derives it after the clone.
  mkdir -p -- "$OUT_DIR"
  for out in version oci-tag tags; do : >"$OUT_DIR/$out"; done
  printf 'tag-check: no tag given; it will be derived from git\n'
  exit 0
else
  die "'' is not a SemVer 2.0.0 version: it is empty (submit a tag, or derive it from git)"
fi

release=${version%%+*}
case $version in *+*) oci=${release}_${version#*+} ;; *) oci=$version ;; esac
[ ${#oci} -le 128 ] || die "version '$version' is ${#oci} characters long; an OCI tag may have at most 128 (shorten the pre-release or build metadata)"
tags=$oci
case $release in
*-*) ;; # a pre-release never moves floating tags
*)
  if [ "$FLOATING" = true ]; then
    tags=$tags,${release%.*},${release%%.*}
    if [ "$LATEST" = true ]; then tags=$tags,latest; fi
  fi
  ;;
esac

mkdir -p -- "$OUT_DIR"
printf '%s' "$version" >"$OUT_DIR/version"
printf '%s' "$oci" >"$OUT_DIR/oci-tag"
printf '%s' "$tags" >"$OUT_DIR/tags"
printf 'tag-check: version %s, pushing %s\n' "$version" "$tags"
