/**
 * Every scenario of the replay fixtures (test/replay/scenarios.ts) run against the current workflows,
 * with the checks `npm run fixtures` makes before it records (outcome, operator messages, runs and
 * children, each scenario's own check), writing no fixture: a workflow change that takes a scenario off
 * its path fails here, not only when someone records. Real dev server, mocked activities (one simulated
 * cluster per scenario), a few scenarios at a time as the recorder runs them.
 */
import { after, before, describe, it } from 'node:test';
import type { MockWorld } from '../support/mock-activities.js';
import { closeHarness, harness, type Harness } from '../support/temporal.js';
import { quietRuntime } from '../../worker/worker.js';
import { CONCURRENCY, runScenario, scenarioActivities, scenarioWorlds, slowestFirst } from '../replay/run.js';
import { SCENARIOS } from '../replay/scenarios.js';

quietRuntime('ERROR'); // the failures the scenarios cause on purpose are not news
const worlds = scenarioWorlds(SCENARIOS);

describe('the replay scenarios on the current workflows', { concurrency: CONCURRENCY }, () => {
  let h: Harness;
  before(async () => {
    h = await harness(scenarioActivities(worlds), 'scenarios');
  });
  after(async () => await closeHarness(h));

  for (const s of slowestFirst(SCENARIOS)) {
    it(`${s.name}: ${s.covers}`, async () => {
      await runScenario(h.client, h.taskQueue, s, worlds.get(s.name) as MockWorld);
    });
  }
});
