/** Waits until a replaced node is registered, Ready, and reports the target kubelet version. */
import { ApplicationFailure } from '@temporalio/common';
import { sameVersion } from '../../model/versions.js';
import type { Kube } from './client.js';
import { nodeState, readNode } from './nodes.js';
import { Failure } from '../../model/errors.js';

export async function waitNodeReady(
  kube: Kube,
  name: string,
  targetVersion: string,
  timeoutMs: number,
  hooks: { heartbeat(state: string): void; sleep(ms: number): Promise<void> },
): Promise<{ version: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered';
  for (;;) {
    const node = await readNode(kube, name);
    if (node) {
      const s = nodeState(node);
      if (s.ready && sameVersion(s.kubeletVersion, targetVersion)) return { version: s.kubeletVersion };
      last = `${s.ready ? 'Ready' : 'not Ready'} at ${s.kubeletVersion || 'no version'}`;
    }
    hooks.heartbeat(last);
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(
        `node ${name} was not Ready at ${targetVersion} within ${Math.round(timeoutMs / 1000)} s (last seen: ${last})`,
        Failure.NodeNotReady,
      );
    }
    await hooks.sleep(500);
  }
}
