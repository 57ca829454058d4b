#!/usr/bin/env bash
# Builds (once) the real Kubernetes control plane and kwok from the Go module proxy and prints the
# folder holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl.
#
# The control plane is one multi-call binary (kube/main.go: Kubernetes 1.33.13 with its staging
# modules pinned by `replace`, etcd 3.5.21); kwok and kwokctl are a pinned `go install`. Binaries are
# cached outside the repo ($K8S_RU_CACHE, default ~/.cache/k8s-rolling-upgrade) under a key made of
# the pins, so they are rebuilt only when a pin changes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${K8S_RU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-rolling-upgrade}
KUBE_VERSION=v1.33.13
KWOK_TAG=v0.7.0

key=$(cat "$HERE/kube/go.mod" "$HERE/kube/go.sum" "$HERE/kube/main.go" | sha256sum | cut -c1-12)
kube_dir=$CACHE/kube-$KUBE_VERSION-$key
kwok_dir=$CACHE/kwok-$KWOK_TAG
bin=$CACHE/cluster-bin-$KUBE_VERSION-$key-kwok-$KWOK_TAG

build_kube() {
  echo "building Kubernetes $KUBE_VERSION (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) into $kube_dir (first time only; about 15 minutes on 2 cores)" >&2
  local start=$SECONDS
  mkdir -p "$kube_dir"
  (cd "$HERE/kube" && CGO_ENABLED=0 go build -trimpath -o "$kube_dir/kube.tmp" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
    -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=33" .) >&2
  mv "$kube_dir/kube.tmp" "$kube_dir/kube"
  echo "built Kubernetes in $((SECONDS - start)) s" >&2
}

build_kwok() {
  echo "building kwok $KWOK_TAG into $kwok_dir (first time only)" >&2
  local start=$SECONDS
  mkdir -p "$kwok_dir.tmp"
  GOBIN=$kwok_dir.tmp CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_TAG" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_TAG" >&2
  rm -rf "$kwok_dir" && mv "$kwok_dir.tmp" "$kwok_dir"
  echo "built kwok in $((SECONDS - start)) s" >&2
}

# One build at a time: a second caller (another test run, the demo) waits for the first, then finds
# the binaries built.
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
[[ -x $kube_dir/kube ]] || build_kube
[[ -x $kwok_dir/kwok && -x $kwok_dir/kwokctl ]] || build_kwok

if [[ ! -x $bin/kwokctl ]]; then
  mkdir -p "$bin.tmp"
  for part in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    ln -sf "$kube_dir/kube" "$bin.tmp/$part"
  done
  ln -sf "$kwok_dir/kwok" "$bin.tmp/kwok"
  ln -sf "$kwok_dir/kwokctl" "$bin.tmp/kwokctl"
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
fi
echo "$bin"
