#!/usr/bin/env bash
# The production worker: `npm run build:worker` once per release, then `npm run worker:dist -- [flags]`
# (the same flags as `npm run worker`). It runs the compiled JavaScript in dist/ (no TypeScript loader
# in the process) with the workflows bundled ahead, V8 heaps capped at 192 MB (the SDK sizes its
# workflow cache from it; V8 otherwise lets garbage grow toward its 4 GB default), young generations
# of 4 MB semi-spaces (16 MB by default, in each of the two isolates: main and workflow thread) and
# two malloc arenas (the SDK's native threads otherwise each grow their own). bench/scale.ts measures
# this process; K8S_RU_WORKER_HEAP_MB, K8S_RU_WORKER_SEMI_SPACE_MB and MALLOC_ARENA_MAX change it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for f in dist/worker/main.js dist/workflow-bundle.js; do
  [[ -f $ROOT/$f ]] || { echo "worker: $f is missing: run \`npm run build:worker\` first" >&2; exit 1; }
done
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
exec node --max-old-space-size="${K8S_RU_WORKER_HEAP_MB:-192}" \
  --max-semi-space-size="${K8S_RU_WORKER_SEMI_SPACE_MB:-4}" "$ROOT/dist/worker/main.js" \
  --workflow-bundle "$ROOT/dist/workflow-bundle.js" "$@"
