# deploy-check: the Kubernetes deploy's first container; kubectl (no shell) runs after it.
# Refuses anything but the digest this run's build pushed, as sha256:<64 lowercase hex>:
# DIGEST comes from the build's workflow output; a run started at the deploy template has
# none (Argo leaves the reference unresolved or fails it), and nothing is deployed.
set -eu
export LC_ALL=C
digest=${DIGEST:-}
hex=${digest#sha256:}
case "$digest" in
  sha256:*) ;;
  *) printf "deploy-check: digest '%s' is not sha256:<64 hex digits>; nothing deployed\n" "$digest" >&2; exit 1 ;;
esac
case "$hex" in
  *[!0-9a-f]*) printf "deploy-check: digest '%s' is not sha256:<64 hex digits>; nothing deployed\n" "$digest" >&2; exit 1 ;;
esac
if [ "${#hex}" -ne 64 ]; then
  printf "deploy-check: digest '%s' is not sha256:<64 hex digits>; nothing deployed\n" "$digest" >&2
  exit 1
fi
printf 'deploy-check: deploying %s\n' "$digest"
