/** The worker's start-up check: the namespace knows the search attributes the workflow writes. */
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../model/search.js';

/**
 * Throws, naming the missing ones and how to register them, when the namespace lacks one of the
 * upgrade's search attributes (a workflow writing an unknown one would fail every workflow task).
 */
export async function requireSearchAttributes(connection: NativeConnection, namespace: string): Promise<void> {
  const known = await connection.operatorService.listSearchAttributes({ namespace });
  const defined = new Set([...Object.keys(known.customAttributes ?? {}), ...Object.keys(known.systemAttributes ?? {})]);
  const missing = SEARCH_ATTRIBUTES.filter((k) => !defined.has(k.name));
  if (missing.length === 0) return;
  throw new Error(
    `namespace ${namespace} lacks the search attribute(s) ${missing.map((k) => k.name).join(', ')}; register them with ` +
      missing
        .map(
          (k) =>
            `\`temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type Keyword\``,
        )
        .join(' and ') +
      ' (scripts/temporal-server.sh and docker-compose.temporal.yml do this)',
  );
}
