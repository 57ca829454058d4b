/**
 * `npm run bundle -- [FILE]`: the workflow code bundled once, ahead of time (default
 * dist/workflow-bundle.js), for `npm run worker -- --workflow-bundle FILE`. A worker given no bundle
 * runs webpack itself at start, which raises its peak memory (README, Performance); production workers
 * should not.
 * Bundle again whenever workflows/ changes: a worker runs exactly the code in its bundle.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT } from '../config/root.js';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from './worker.js';

export const DEFAULT_BUNDLE = join(ROOT, 'dist', 'workflow-bundle.js');

const out = resolve(process.argv[2] ?? DEFAULT_BUNDLE);
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
  logger: undefined,
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1e6).toFixed(1)} MB)`);
