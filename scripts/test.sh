#!/usr/bin/env bash
# The test suite: `npm test`. Starts what the tests need (the Temporal dev server; the local
# Kubernetes cluster for the integration and e2e tests), runs every test, and stops all it started.
#   npm test                  everything
#   npm test -- unit          only test/unit (no servers)
#   npm test -- production    only test/production, on two Temporal server processes on PostgreSQL
#                             (scripts/temporal-cluster.sh; `npm run test:production`, not in `npm test`)
#   npm test -- FILE...       only those files (servers started as needed)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUN=${K8S_RU_TEST_RUN:-$ROOT/.run/test}
mkdir -p "$RUN"
# Arguments starting with -- go to node's test runner (e.g. --test-name-pattern=abort).
selection=() node_options=()
for arg in "$@"; do
  if [[ $arg == --* ]]; then node_options+=("$arg"); else selection+=("$arg"); fi
done
if [[ ${#selection[@]} -eq 0 ]]; then
  mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/production/*' | sort)
elif [[ ${selection[0]} == unit || ${selection[0]} == production ]]; then
  mapfile -t files < <(find "test/${selection[0]}" -name '*.test.ts' | sort)
else
  files=("${selection[@]}")
fi

cleanup() {
  local status=$?
  # A failed run keeps what the simulated kubelets and the controllers said at the end (CI shows it).
  if [[ $status -ne 0 && -n ${CLUSTER_STARTED:-} ]]; then
    for log in "$K8S_RU_CLUSTER_DIR"/kwok/clusters/*/logs/{kwok-controller,kube-controller-manager}.log; do
      [[ -f $log ]] || continue
      echo "--- $(basename "$log"), errors and node changes (last 40)" >&2
      grep -E '^E|level=ERROR|NotReady|Not-Ready|unreachable|Unknown' "$log" | tail -n 40 | cut -c1-300 >&2 || true
    done
  fi
  if [[ -n ${TEMPORAL_STARTED:-} ]]; then bash scripts/temporal-server.sh stop "$RUN/temporal" || true; fi
  if [[ -n ${TEMPORAL_CLUSTER_STARTED:-} ]]; then bash scripts/temporal-cluster.sh stop "$K8S_RU_TEMPORAL_CLUSTER" || true; fi
  if [[ -n ${CLUSTER_STARTED:-} ]]; then npx tsx localcluster/cli.ts down || true; fi
}
trap cleanup EXIT

if printf '%s\n' "${files[@]}" | grep -qvE '^test/(unit|production)/'; then
  rm -rf "$RUN/temporal"
  export TEMPORAL_PORT=${TEST_TEMPORAL_PORT:-7633} TEMPORAL_UI_PORT=${TEST_TEMPORAL_UI_PORT:-$((${TEST_TEMPORAL_PORT:-7633} + 1000))}
  TEMPORAL_STARTED=1
  bash scripts/temporal-server.sh start "$RUN/temporal"
  export TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT TEMPORAL_NAMESPACE=default
fi

# The two-process Temporal on PostgreSQL, for test/production: frontends on port+1 and port+11.
if printf '%s\n' "${files[@]}" | grep -q '^test/production/'; then
  export TEMPORAL_CLUSTER_PORT=${TEST_TEMPORAL_CLUSTER_PORT:-7300} K8S_RU_TEMPORAL_CLUSTER=$RUN/temporal-cluster
  export TEMPORAL_CLUSTER_MEMBERSHIP_PORT=${TEST_TEMPORAL_CLUSTER_MEMBERSHIP_PORT:-$((TEMPORAL_CLUSTER_PORT + 20))}
  bash scripts/temporal-cluster.sh stop "$K8S_RU_TEMPORAL_CLUSTER"
  rm -rf "$K8S_RU_TEMPORAL_CLUSTER"
  TEMPORAL_CLUSTER_STARTED=1
  bash scripts/temporal-cluster.sh start "$K8S_RU_TEMPORAL_CLUSTER"
fi

# The real local cluster, for the tests that need it (integration, e2e, production).
# (Only the tests that use it point the catalogue at it: K8S_RU_KUBECONFIG is set in their support files.)
export K8S_RU_CLUSTER_DIR=$RUN/cluster K8S_RU_APISERVER_PORT=${TEST_APISERVER_PORT:-32643}
if printf '%s\n' "${files[@]}" | grep -qE '^test/(integration|e2e|production)/'; then
  CLUSTER_STARTED=1
  npx tsx localcluster/cli.ts up
fi

node --import tsx --test --test-concurrency=1 --test-reporter=spec "${node_options[@]}" "${files[@]}"
