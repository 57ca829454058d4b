#!/usr/bin/env bash
# Prints the path of a `tctl` binary (Temporal's end-of-support CLI), building it if needed.
#
#   scripts/tctl.sh          print the path
#   scripts/tctl.sh ARGS...  run it with ARGS
#
# `tctl` on PATH if there is one, else a pinned build from the Go module proxy into a cache outside the
# repo, keyed by the tag. v1.18.0 is the newest tctl v1 tag the proxy serves here; its go.mod has no
# `replace`. `go install tctl@tag` is not used: it looks the module's versions up for deprecation
# notices, which the proxy refuses for this module; a throwaway module requiring the tag builds it.
# Settings (environment): K8S_RU_CACHE (~/.cache/k8s-rolling-upgrade).
set -euo pipefail

TCTL_TAG=v1.18.0
CACHE=${K8S_RU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-rolling-upgrade}

tctl_bin() {
  if [[ -z ${K8S_RU_BUILD_TCTL:-} ]] && command -v tctl >/dev/null 2>&1; then
    command -v tctl
    return
  fi
  local dir=$CACHE/tctl-$TCTL_TAG
  local bin=$dir/bin/tctl
  if [[ ! -x $bin ]]; then
    echo "building tctl $TCTL_TAG from the Go module proxy into $dir/bin (first time only, a few minutes)" >&2
    local start=$SECONDS src
    src=$(mktemp -d)
    trap 'rm -rf "$src"' RETURN
    (
      cd "$src"
      go mod init tctl-build >/dev/null 2>&1
      go get "github.com/temporalio/tctl/cmd/tctl@$TCTL_TAG" >get.log 2>&1 || { cat get.log >&2; exit 1; }
      CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" github.com/temporalio/tctl/cmd/tctl >&2
    )
    mv "$bin.tmp" "$bin"
    echo "built tctl in $((SECONDS - start)) s" >&2
  fi
  echo "$bin"
}

if [[ $# -eq 0 ]]; then
  tctl_bin
else
  bin=$(tctl_bin)
  exec "$bin" "$@"
fi
