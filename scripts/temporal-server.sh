#!/usr/bin/env bash
# The one way this project gets and runs a real Temporal server (the dev server of the Temporal CLI).
#
#   scripts/temporal-server.sh cli                 print the path of a `temporal` binary (build it if needed)
#   scripts/temporal-server.sh start [STATE_DIR]   start `temporal server start-dev` and wait until it answers
#   scripts/temporal-server.sh stop  [STATE_DIR]   stop it (SIGTERM, then SIGKILL) and wait for the port to free
#
# The binary: `temporal` on PATH if there is one, else a pinned `go install` of the Temporal CLI into a
# cache outside the repo, keyed by the tag (nothing is downloaded but Go modules).
# Settings (environment): TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (port+1000; 0 = headless),
# TEMPORAL_NAMESPACE (default), K8S_RU_CACHE (~/.cache/k8s-rolling-upgrade).
# STATE_DIR (default .run/temporal) holds temporal.db (SQLite: history survives restarts), the pid and the log.
set -euo pipefail

# Newest tag whose go.mod has no `replace` (v1.6.0+ replace cliext, which `go install` refuses).
TEMPORAL_CLI_TAG=v1.5.1
CACHE=${K8S_RU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-rolling-upgrade}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

temporal_cli() {
  if [[ -z ${K8S_RU_BUILD_TEMPORAL:-} ]] && command -v temporal >/dev/null 2>&1; then
    command -v temporal
    return
  fi
  local bin=$CACHE/temporal-cli-$TEMPORAL_CLI_TAG/bin/temporal
  if [[ ! -x $bin ]]; then
    echo "building the Temporal CLI $TEMPORAL_CLI_TAG from the Go module proxy into $(dirname "$bin") (first time only, several minutes)" >&2
    mkdir -p "$(dirname "$bin")"
    local start=$SECONDS
    GOBIN=$(dirname "$bin").tmp CGO_ENABLED=0 GOFLAGS=-trimpath \
      go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_TAG" >&2
    mv "$(dirname "$bin").tmp/temporal" "$bin" && rmdir "$(dirname "$bin").tmp"
    echo "built the Temporal CLI in $((SECONDS - start)) s" >&2
  fi
  echo "$bin"
}

# Search attributes operators find upgrades by (registered at start, see README).
SEARCH_ATTRIBUTES=(UpgradeCluster=Keyword UpgradeTargetVersion=Keyword UpgradePhase=Keyword)

start() {
  local dir=${1:-$ROOT/.run/temporal}
  local port=${TEMPORAL_PORT:-7233} ui=${TEMPORAL_UI_PORT:-$((${TEMPORAL_PORT:-7233} + 1000))}
  local ns=${TEMPORAL_NAMESPACE:-default}
  local bin
  bin=$(temporal_cli)
  mkdir -p "$dir"
  if [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "Temporal dev server already running (pid $(cat "$dir/pid"), 127.0.0.1:$port)" >&2
    return 0
  fi
  local args=(server start-dev --ip 127.0.0.1 --port "$port" --namespace "$ns" --db-filename "$dir/temporal.db"
    --log-level warn --log-format pretty
    # The server hands a workflow's next activity to the worker in the reply to its workflow task,
    # instead of through the task queue (one round trip less per activity).
    --dynamic-config-value system.enableActivityEagerExecution=true
    # Worker Versioning (README, Worker versioning; on by default in this server, stated so it is not
    # lost): a version no longer current shows as drained within seconds of its last pinned workflow
    # closing, instead of after 3 + 3 minutes (they allow for a visibility lag that is small here).
    --dynamic-config-value system.enableDeploymentVersions=true
    --dynamic-config-value 'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"'
    --dynamic-config-value 'matching.wv.VersionDrainageStatusRefreshInterval="5s"')
  if [[ $ui == 0 ]]; then args+=(--headless); else args+=(--ui-port "$ui"); fi
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa"); done
  setsid "$bin" "${args[@]}" >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  local deadline=$((SECONDS + 60))
  until "$bin" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "Temporal dev server exited during start; its log ($dir/server.log):" >&2
      tail -20 "$dir/server.log" >&2
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "Temporal dev server did not answer on 127.0.0.1:$port within 60 s; log: $dir/server.log" >&2
      return 1
    fi
    sleep 0.3
  done
  # The namespace answers a little after the frontend does.
  until "$bin" operator namespace describe --address "127.0.0.1:$port" -n "$ns" >/dev/null 2>&1; do
    ((SECONDS > deadline)) && { echo "namespace $ns never became available" >&2; return 1; }
    sleep 0.3
  done
  echo "Temporal dev server on 127.0.0.1:$port (namespace $ns, UI $([[ $ui == 0 ]] && echo off || echo "http://127.0.0.1:$ui"), db $dir/temporal.db)" >&2
}

stop() {
  local dir=${1:-$ROOT/.run/temporal}
  [[ -f $dir/pid ]] || return 0
  local pid
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case ${1:-} in
  cli) temporal_cli ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 cli | start [STATE_DIR] | stop [STATE_DIR]" >&2; exit 2 ;;
esac
