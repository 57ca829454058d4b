#!/usr/bin/env bash
# Prints the path of a Chromium for the browser test (Playwright drives it; Playwright never downloads one).
# K8S_RU_CHROMIUM if set, else `chromium` on PATH, else Debian's package installed with apt-get
# (as root, or through sudo without a password).
set -euo pipefail

if [[ -n ${K8S_RU_CHROMIUM:-} ]]; then
  echo "$K8S_RU_CHROMIUM"
  exit 0
fi
if ! command -v chromium >/dev/null 2>&1; then
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "Chromium is missing: install Debian's package (apt-get install chromium) or set K8S_RU_CHROMIUM" >&2
      exit 1
    fi
  fi
  echo "installing Debian's chromium package (first time only)" >&2
  start=$SECONDS
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
  echo "installed Chromium in $((SECONDS - start)) s" >&2
fi
command -v chromium
