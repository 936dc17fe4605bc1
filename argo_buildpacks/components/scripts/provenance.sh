#!/bin/sh
# provenance: publish the run's outputs (image, digest, tags, commit) from the registry, in a
# pod that runs no app code. What the build pod reports is a claim: in one pod every container
# can write Argo's /var/run/argo, where the emissary copies outputs and keeps the exit codes
# (docs/security.md). So the claim only says where to look; everything published is read back
# from the registry and checked:
#   - the claimed tag resolves to an image whose io.buildpacks.project.metadata label names
#     THIS run (RUN_ID, the workflow's uid, which the export recorded): an image pushed before
#     this run, or by another run, is refused, so a forged claim can point only at this run's
#     own push;
#   - the claimed digest (when given) is the one the registry has for that tag, and every
#     claimed tag resolves to that same digest;
#   - the claimed commit (when given) is the one the image records.
# Inputs come from the environment only; none of them is ever part of this text:
#   IMAGE            the image repository (literal in the template, or the run's image)
#   RUN_ID           the workflow's uid ({{workflow.uid}}); empty: no run check (pack modes)
#   CLAIMED_IMAGE    IMAGE:TAG the build says it pushed
#   CLAIMED_TAGS     comma-separated, main tag first (every tag the build pushed)
#   CLAIMED_DIGEST   optional: sha256:<64 hex> the build reported
#   CLAIMED_COMMIT   optional: the commit the build was given
#   OUT_DIR          where the outputs are written      CRANE  (default crane)
#   IMAGE_PREFIXES   optional, one per line: IMAGE must be under one of them (library mode)
#   INSECURE_REGISTRIES  optional, one host[:port] per line: crane --insecure for IMAGE's
#   SSL_CERT_DIR     optional: crane's CA directories (a private CA besides the image's roots)
# Writes $OUT_DIR/image, digest, tags and commit, only when every check passed.
set -euf
export LC_ALL=C
me=provenance
#@prelude fail one_line matches is_digest is_sha256 is_tag check_name insecure check_prefix label_of run_id

IMAGE=${IMAGE:-}
CRANE=${CRANE:-crane}
[ -n "${OUT_DIR:-}" ] || fail "OUT_DIR is not set"
check_name image "$IMAGE"
check_prefix image "$IMAGE"
# registry.insecure (INSECURE_REGISTRIES): crane reaches this one registry without TLS checks.
tls=
! is_insecure "$IMAGE" || tls=--insecure
run=${RUN_ID:-}
[ -z "$run" ] || is_run_id "$run" || fail "run id '$run' is not a workflow uid"

claimed=${CLAIMED_IMAGE:-}
one_line "claimed image" "$claimed"
tag=${claimed#"$IMAGE":}
{ is_tag "$tag" && [ "$IMAGE:$tag" = "$claimed" ]; } ||
  fail "the build claims it pushed '$claimed', not a tag of '$IMAGE'; nothing published"
tags=${CLAIMED_TAGS:-}
one_line "claimed tags" "$tags"
case "$tags" in "$tag" | "$tag",*) ;; *)
  fail "the claimed tags '$tags' do not start with the claimed image's tag '$tag'; nothing published" ;;
esac
old_ifs=$IFS IFS=,
for t in $tags; do is_tag "$t" || fail "claimed tag '$t' is not a valid OCI tag"; done
IFS=$old_ifs
want=${CLAIMED_DIGEST:-}
[ -z "$want" ] || is_sha256 "$want" ||
  fail "claimed digest '$want' is not sha256:<64 hex digits>; nothing published"
want_commit=${CLAIMED_COMMIT:-}
[ -z "$want_commit" ] || matches '^([0-9a-f]{40}|[0-9a-f]{64})$' "$want_commit" ||
  fail "claimed commit '$want_commit' is not a full hex commit SHA; nothing published"

mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR/image" "$OUT_DIR/digest" "$OUT_DIR/tags" "$OUT_DIR/commit"

digest=$("$CRANE" digest ${tls:+"$tls"} -- "$IMAGE:$tag") || fail "cannot resolve $IMAGE:$tag in the registry"
is_sha256 "$digest" || fail "the registry's digest for $IMAGE:$tag '$digest' is not sha256"
config=$("$CRANE" config ${tls:+"$tls"} -- "$IMAGE@$digest") || fail "cannot read the config of $IMAGE@$digest"
project=$(label_of "$config" io.buildpacks.project.metadata)
if [ -n "$run" ]; then
  # The key and the uid's characters need no escaping: a plain match on the escaped JSON.
  recorded=$(printf '%s' "$project" |
    sed -n "s/.*\\\\\"$run_key\\\\\":\\\\\"\\([0-9a-f-]*\\)\\\\\".*/\\1/p" | head -n 1)
  [ "$recorded" = "$run" ] ||
    fail "$IMAGE:$tag is $digest, which this run did not push (the image names run '${recorded:-none}', this run is $run); nothing published"
fi
[ -z "$want" ] || [ "$want" = "$digest" ] ||
  fail "the build claims digest $want, but $IMAGE:$tag is $digest; nothing published"
old_ifs=$IFS IFS=,
for t in $tags; do
  [ "$t" != "$tag" ] || continue
  d=$("$CRANE" digest ${tls:+"$tls"} -- "$IMAGE:$t") || fail "cannot resolve the claimed tag $IMAGE:$t"
  [ "$d" = "$digest" ] ||
    fail "the claimed tag $IMAGE:$t is $d, not $digest; nothing published"
done
IFS=$old_ifs
commit=$(printf '%s' "$project" |
  sed -n 's/.*\\"commit\\":\\"\([0-9a-f]\{40\}\([0-9a-f]\{24\}\)\{0,1\}\)\\".*/\1/p' | head -n 1)
[ -z "$want_commit" ] || [ "$want_commit" = "$commit" ] ||
  fail "the build was given commit $want_commit, but $IMAGE@$digest records '${commit:-none}'; nothing published"

printf '%s' "$IMAGE:$tag" >"$OUT_DIR/image"
printf '%s' "$digest" >"$OUT_DIR/digest"
printf '%s' "$tags" >"$OUT_DIR/tags"
printf '%s' "$commit" >"$OUT_DIR/commit"
printf 'provenance: %s is %s (tags %s, commit %s), pushed by run %s\n' \
  "$IMAGE:$tag" "$digest" "$tags" "${commit:-none}" "${run:-unchecked}"
