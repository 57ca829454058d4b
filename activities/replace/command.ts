/**
 * The `command` provider (real clusters): runs the operator's command for one node, e.g. a kubeadm
 * upgrade over SSH or a cloud CLI that re-images the machine, with NODE_NAME, TARGET_VERSION,
 * CLUSTER_NAME and KUBECONFIG in its environment. Exit status 0 means the node is being (or has been)
 * replaced; the upgrade then waits for it to be Ready at the target version. A node already at the
 * target version is skipped, so a retry does not replace it twice. The command must be idempotent too.
 */
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import type { ReplaceHooks, ReplaceResult } from './provider.js';
import { Failure } from '../../model/errors.js';

export async function replaceWithCommand(
  command: string,
  env: { node: string; targetVersion: string; cluster: string; kubeconfig: string },
  timeoutSeconds: number,
  hooks: ReplaceHooks,
): Promise<ReplaceResult> {
  const child = spawn('sh', ['-c', command], {
    env: {
      ...process.env,
      NODE_NAME: env.node,
      TARGET_VERSION: env.targetVersion,
      CLUSTER_NAME: env.cluster,
      KUBECONFIG: env.kubeconfig,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: hooks.signal,
    timeout: timeoutSeconds * 1000,
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const beat = setInterval(() => hooks.heartbeat(`running the replace command for ${env.node}`), 1000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw ApplicationFailure.nonRetryable(
        `replace command for node ${env.node} exited with ${code ?? 'a signal (timeout?)'}: ${tail.trim().split('\n').slice(-5).join(' | ')}`,
        Failure.ReplaceFailed,
      );
    }
    return { node: env.node, replaced: true, detail: `command exited 0` };
  } finally {
    clearInterval(beat);
  }
}
