import { before, it } from 'node:test';
import { seed } from '../cluster/cluster.js';
import { WORKERS, kube, nginxPods, nginxSettled, scaleNginx, waitFor } from './support.js';
before(async () => { await seed(); });
it('placement without cordon', async () => {
  const k = kube();
  for (let round = 0; round < 3; round++) {
    const before = new Set((await nginxSettled(k)).map((p) => p.metadata!.name!));
    await scaleNginx(k, 6);
    const fresh = await waitFor('sched', 60_000, async () => { const f = (await nginxPods(k)).filter((p) => !before.has(p.metadata!.name!)); return f.length === 4 && f.every((p) => p.spec?.nodeName) && f; });
    console.log('round', round, 'new on', fresh.map((p) => p.spec!.nodeName!.slice(-8)).join(','), 'count on', WORKERS[0], fresh.filter((p) => p.spec!.nodeName === WORKERS[0]).length);
    await scaleNginx(k, 2);
  }
});
