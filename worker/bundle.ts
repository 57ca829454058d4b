/**
 * `npm run bundle -- [FILE]`: the workflow code bundled once, ahead of time (default
 * .run/workflow-bundle.js), for `npm run worker -- --workflow-bundle FILE`. A worker given no bundle
 * runs webpack itself at start, which costs it ~200 MB of peak memory; production workers should not.
 * Bundle again whenever workflows/ changes: a worker runs exactly the code in its bundle.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './worker.js';

export const DEFAULT_BUNDLE = fileURLToPath(new URL('../.run/workflow-bundle.js', import.meta.url));

const out = resolve(process.argv[2] ?? DEFAULT_BUNDLE);
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1e6).toFixed(1)} MB)`);
