# The functions the packaged scripts share, kept here once so they cannot drift apart.
#
# Not a script: `load` joins the sections a script names on its "#@prelude NAME..." line
# into that script, in this file's order, as constant text (no value is ever pasted in).
# A section starts at its "#@section NAME" line; lines starting with "##" are for readers of
# this file and are dropped when joined (the build script is repeated in five containers
# of one template). Functions keep their variables in '_'-prefixed globals (POSIX sh has
# no `local`), so they never clobber a script's own. The script sets `me` (the name
# messages start with), `set -eu` and LC_ALL=C (byte-wise patterns and lengths) first.

#@section fail
## fail MESSAGE...: "$me: MESSAGE" on stderr, then exit 1. Control characters show as '?',
## so a value cannot forge or rewrite log lines.
fail() {
  printf '%s: %s\n' "$me" "$(printf '%s' "$*" | tr '\000-\037\177' '?')" >&2
  exit 1
}

#@section one_line
## one_line WHAT VALUE: refuse VALUE when it holds a line break.
nl='
'
cr=$(printf '\r')
one_line() {
  case "$2" in *"$nl"* | *"$cr"*) fail "$1 contains a line break" ;; esac
}

#@section plain
## plain WHAT VALUE: one line, and nothing a program could take for an option.
plain() {
  one_line "$1" "$2"
  case "$2" in -*) fail "$1 '$2' starts with '-'" ;; esac
}

#@section matches
## matches ERE VALUE: the whole of VALUE matches ERE. grep matches line by line, so a value
## with a line break (one good line, one forged) never matches.
matches() {
  case "$2" in *'
'*) return 1 ;; esac
  printf '%s\n' "$2" | grep -Eq -- "$1"
}

#@section is_digest
## is_digest VALUE: one of go-digest's algorithms and exactly its length of lower-case hex,
## as ImageRef (model/images.py) accepts.
is_digest() {
  case "$1" in sha256:*) _dn=64 ;; sha384:*) _dn=96 ;; sha512:*) _dn=128 ;; *) return 1 ;; esac
  _dh=${1#*:}
  case "$_dh" in '' | *[!0-9a-f]*) return 1 ;; esac
  [ "${#_dh}" -eq "$_dn" ]
}

#@section is_sha256
## is_sha256 VALUE: a sha256 digest (what a build pushes and deploy, sign and rebase act on).
## Needs is_digest.
is_sha256() {
  case "$1" in sha256:*) is_digest "$1" ;; *) return 1 ;; esac
}

#@section is_tag
## is_tag VALUE: an OCI tag (model/images.py).
is_tag() {
  case "$1" in '' | [!A-Za-z0-9_]* | *[!A-Za-z0-9_.-]*) return 1 ;; esac
  [ "${#1}" -le 128 ]
}

#@section check_name
## The distribution reference grammar exactly as ImageRef.parse accepts it (model/images.py;
## tests/components/test_prelude.py holds the two in parity). Needs fail, one_line, matches.
## is_name VALUE: [registry/]repository, no tag or digest. The first component is the
## registry only with a '.' or ':', as localhost or as '[IPv6]' (Docker's rule); a port
## is 1 to 65535.
is_name() {
  [ "${#1}" -le 255 ] || return 1
  _nr='' _np=$1
  case "$1" in */*)
    case "${1%%/*}" in localhost | *.* | *:* | \[*) _nr=${1%%/*} _np=${1#*/} ;; esac ;;
  esac
  if [ -n "$_nr" ]; then
    _nl='[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?'
    matches "^($_nl(\\.$_nl)*|\\[[0-9A-Fa-f:]*:[0-9A-Fa-f:]*])(:[0-9]+)?\$" "$_nr" || return 1
    case "$_nr" in *]) ;; *:*)
      _nport=${_nr##*:}
      _nport=${_nport#"${_nport%%[!0]*}"}
      ## 1 to 65535, leading zeros aside: at most five digits before comparing numbers.
      if [ -z "$_nport" ] || [ "${#_nport}" -gt 5 ] || [ "$_nport" -gt 65535 ]; then return 1; fi ;;
    esac
  fi
  _nc='[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*'
  matches "^$_nc(/$_nc)*\$" "$_np"
}
## check_name WHAT VALUE: refuse VALUE unless is_name.
check_name() {
  one_line "$1" "$2"
  [ "${#2}" -le 255 ] || fail "$1 '$2' is longer than 255 characters"
  is_name "$2" || fail "$1 '$2' is not an image repository (lower-case [host[:port]/]path, no tag)"
}

#@section check_ref
## Needs check_name, is_tag and is_digest.
## check_ref WHAT VALUE: refuse VALUE unless it is name[:tag][@digest]. The tag starts at the
## first ':' after the last '/' (one before it is a registry's port).
check_ref() {
  one_line "$1" "$2"
  _rn=${2%%@*}
  ## A second '@' is in the digest's part, which is_digest refuses.
  case "$2" in *@*) is_digest "${2#*@}" || fail "$1 '$2' has an invalid digest" ;; esac
  _rl=${_rn##*/}
  case "$_rl" in *:*)
    is_tag "${_rl#*:}" || fail "$1 '$2' has an invalid tag"
    _rn=${_rn%"$_rl"}${_rl%%:*} ;;
  esac
  is_name "$_rn" || fail "$1 '$2' is not an image repository (lower-case [host[:port]/]path)"
}

#@section insecure
## is_insecure REF: REF's registry is one of INSECURE_REGISTRIES (one host[:port] a line: the
## config's registry.insecure, validated by model/trust.py), compared whole. The registry is
## REF's first component as is_name reads it; a reference without one is on Docker Hub,
## never insecure. Needs one_line (for nl).
is_insecure() {
  [ -n "${INSECURE_REGISTRIES:-}" ] || return 1
  case "$1" in */*) ;; *) return 1 ;; esac
  case "${1%%/*}" in localhost | *.* | *:* | \[*) ;; *) return 1 ;; esac
  _iifs=$IFS IFS=$nl
  for _ih in $INSECURE_REGISTRIES; do
    if [ "$_ih" = "${1%%/*}" ]; then IFS=$_iifs; return 0; fi
  done
  IFS=$_iifs
  return 1
}

#@section redact_url
## The URL rules of _kits/git.py (redact, credential_url_problem), once for the scripts;
## tests/security/test_git_hosts.py holds the two in parity.
## redact_url URL: URL with everything from '://' to the last '@' before the first '/'
## replaced by '***' (wider than any parser's userinfo), safe to print.
redact_url() {
  case "$1" in *://*)
    _rs=${1%%://*} _rr=${1#*://}
    _ra=${_rr%%/*}
    case "$_ra" in *@*)
      printf '%s://***@%s' "$_rs" "${_rr#"${_ra%@*}@"}"
      return ;;
    esac ;;
  esac
  printf '%s' "$1"
}
#@section git_url
## credential_url KIND URL: whether credentials of KIND (https: a token, ssh: a key) may be
## sent for URL. Only one unambiguous form: https://HOST[:PORT]/PATH (ssh: also
## ssh://[USER@]HOST[:PORT]/PATH and [USER@]HOST:PATH) with a lower-case DNS host and plain
## path segments, so git, curl and this check read the same host ('https://a#@b/x' is
## curl's host a, not b). 0: the host is in _uh; 1: the problem is in _up.
credential_url() {
  _uh='' _up=''
  case "$2" in
    '') _up='is empty' ;;
    *[![:graph:]]*) _up='contains whitespace, control or non-ASCII characters' ;;
    *[?#]*) _up="has a query or fragment ('?' or '#'), which git and curl read differently" ;;
    *\\*) _up='contains a backslash' ;;
    *%*) _up="contains percent-encoding ('%')" ;;
  esac
  [ -z "$_up" ] || return 1
  _us=/
  case "$1:$2" in
    https:https://*@*) _up="carries user information ('@'); the token comes from the Secret" ;;
    https:https://*) _ur=${2#https://} ;;
    https:*) _up='is not an https://HOST[:PORT]/PATH URL' ;;
    ssh:ssh://*) _ur=${2#ssh://} ;;
    ssh:*://*) _up='is not an ssh://[USER@]HOST[:PORT]/PATH or [USER@]HOST:PATH URL' ;;
    ssh:*) _ur=$2 _us=: ;;
    *) _up="credential kind '$1' must be https or ssh" ;;
  esac
  [ -z "$_up" ] || return 1
  case "$_ur" in *"$_us"*) ;; *) _up='names no repository path'; return 1 ;; esac
  _ua=${_ur%%"$_us"*} _ur=${_ur#*"$_us"}
  case "$_ua" in *@*)
    _uu=${_ua%%@*} _ua=${_ua#*@}
    case "$_ua" in *@*) _up="has more than one '@'"; return 1 ;; esac
    case "$_uu" in '' | *[!A-Za-z0-9._-]*) _up="has an invalid user name '$_uu'"; return 1 ;; esac ;;
  esac
  case "$_ua" in \[*) _up="has an IP address literal as its host; use the host's name"; return 1 ;; esac
  _uh=${_ua%%:*}
  case "$_ua" in *:*)
    _uo=${_ua#*:}
    if [ "$_us" = : ] || ! matches '^[1-9][0-9]{0,4}$' "$_uo" || [ "$_uo" -gt 65535 ]; then
      _up="has an invalid port '$_uo' (1 to 65535)" _uh=''
      return 1
    fi ;;
  esac
  _up=''
  case "$_uh" in
    '') _up='has no host' ;;
    *.) _up="has host '$_uh', which ends with '.'" ;;
    *[A-Z]*) _up="has host '$_uh', which is not lower case (as git_hosts lists hosts)" ;;
    *) { [ "${#_uh}" -le 253 ] &&
      matches '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' "$_uh"; } ||
      _up="has host '$_uh', which is not a DNS name" ;;
  esac
  if [ -n "$_up" ]; then _uh=''; return 1; fi
  case "$_us$_ur" in :/*) _ur=${_ur#/} ;; esac
  ## Each segment: not empty, not '.' or '..', plain characters ('/x/' frames the path).
  case "/$_ur/" in
    *//*) _up="has an empty path segment ('//' or a trailing '/')" ;;
    */./* | */../*) _up="has a '.' or '..' path segment" ;;
    *[!A-Za-z0-9._~+/-]*) _up="has a path segment with characters other than letters, digits, '.', '_', '~', '+' and '-'" ;;
  esac
  if [ -n "$_up" ]; then _uh=''; return 1; fi
}

#@section check_prefix
## check_prefix WHAT REPOSITORY: REPOSITORY is under one of IMAGE_PREFIXES (one per line; at a
## '/' boundary), when IMAGE_PREFIXES is set (library mode: the registries fixed when the
## library was installed). Needs fail and one_line (for nl).
check_prefix() {
  [ -n "${IMAGE_PREFIXES:-}" ] || return 0
  _pifs=$IFS IFS=$nl
  for _pp in $IMAGE_PREFIXES; do
    _pp=${_pp%/}
    case "$2/" in "$_pp"/*) IFS=$_pifs; return 0 ;; esac
  done
  IFS=$_pifs
  fail "$1 '$2' is not under a registry this template may push to ($(printf '%s' "$IMAGE_PREFIXES" | tr '\n' ' '))"
}

#@section label_of
## label_of CONFIG_JSON KEY: one label's value from an image config (what `crane config`
## prints), a JSON string still escaped; empty when the image has no such label.
label_of() {
  printf '%s' "$1" | tr -d '\n' | sed -n "s/.*\"$2\":\"\\(\\([^\"\\\\]\\|\\\\.\\)*\\)\".*/\\1/p" | head -n 1
}

#@section run_id
## The run that pushed an image: the export writes the workflow's uid into the image's
## io.buildpacks.project.metadata label as [source.metadata] argo-buildpacks-run, and the
## provenance step accepts an image only when that names its own run. Needs matches.
run_key=argo-buildpacks-run
## is_run_id VALUE: an Argo workflow uid (a Kubernetes UID: a lower-case RFC 4122 UUID).
is_run_id() {
  matches '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$1"
}

#@section repo_path
## repo_path WHAT VALUE: a directory inside the repository in the form
## `_kits.git.relative_path` gives it (empty: the root): relative, no empty, '.' or '..'
## component, none starting with '-', no control character. Needs fail, one_line.
repo_path() {
  one_line "$1" "$2"
  [ -n "$2" ] || return 0
  case "$2" in
    /*) fail "$1 '$2' must be relative to the repository root" ;;
    *[[:cntrl:]]*) fail "$1 '$2' contains control characters" ;;
  esac
  case "/$2/" in
    *//* | */./* | */../* | */-*) fail "$1 '$2' must be a plain relative path" ;;
  esac
}
