#!/usr/bin/env bash
# Prints the path of a Prometheus server for the metrics test (test/e2e/metrics.test.ts starts it on
# loopback with a scrape config of its own). K8S_RU_PROMETHEUS if set, else `prometheus` on PATH, else
# Debian's package installed with apt-get (as root, or through sudo without a password). The package's
# own service is not what the test uses (on a machine with systemd it may run on port 9090: harmless).
set -euo pipefail

if [[ -n ${K8S_RU_PROMETHEUS:-} ]]; then
  echo "$K8S_RU_PROMETHEUS"
  exit 0
fi
if ! command -v prometheus >/dev/null 2>&1; then
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "Prometheus is missing: install Debian's package (apt-get install prometheus) or set K8S_RU_PROMETHEUS" >&2
      exit 1
    fi
  fi
  echo "installing Debian's prometheus package (first time only)" >&2
  start=$SECONDS
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  echo "installed Prometheus in $((SECONDS - start)) s" >&2
fi
command -v prometheus
