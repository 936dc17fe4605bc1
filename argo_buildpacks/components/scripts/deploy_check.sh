#!/bin/sh
# deploy-check: the Kubernetes deploy's first container; kubectl (no shell) runs after it.
# Refuses anything but the digest this run's build pushed, as sha256:<64 lowercase hex>:
# DIGEST comes from the build's workflow output; a run started at the deploy template has
# none (Argo leaves the reference unresolved or fails it), and nothing is deployed.
set -eu
export LC_ALL=C
me=deploy-check
#@prelude fail is_digest is_sha256
digest=${DIGEST:-}
is_sha256 "$digest" || fail "digest '$digest' is not sha256:<64 hex digits>; nothing deployed"
printf 'deploy-check: deploying %s\n' "$digest"
