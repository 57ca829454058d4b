/**
 * Determinism guard: the histories recorded by `npm run fixtures` (test/replay/record.ts, one scenario
 * per path through the workflows, and the clusters' entity of entity.ts) are replayed against the
 * current workflow code, so a change that would break running upgrades or entities fails here; and
 * every recording the recorder defines must have its files, so a path without a fixture fails too.
 * K8S_RU_HISTORIES=DIR replays another folder (a recording made with `npm run fixtures -- --out DIR`).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { quietRuntime, WORKFLOWS_PATH } from '../../worker/worker.js';
import { ENTITY } from './entity.js';
import { type ManifestEntry, MANIFEST, parseHistoryFile, readManifest } from './histories.js';
import { SCENARIOS } from './scenarios.js';

const dir = process.env.K8S_RU_HISTORIES
  ? resolve(process.env.K8S_RU_HISTORIES)
  : fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== MANIFEST);

/** The manifest's entry of a recording, its files on disk and named as recorded. */
function recordedFiles(name: string, covers: string): ManifestEntry {
  const entry = readManifest(dir).scenarios.find((e) => e.scenario === name);
  assert.ok(entry, `no fixtures for ${name} (${covers}): re-record with \`npm run fixtures\``);
  for (const f of entry.files) {
    assert.ok(existsSync(join(dir, f.file)), `${name}: ${f.file} is listed but missing`);
    assert.deepEqual(parseHistoryFile(f.file), { scenario: name, workflowId: f.workflowId, run: f.run });
  }
  return entry;
}

describe(`replay of recorded upgrade histories (${dir})`, () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 4, `only ${files.length} histories in ${dir}`);
  });

  it('has the histories of every scenario the recorder defines', () => {
    for (const s of SCENARIOS) {
      const entry = recordedFiles(s.name, s.covers);
      const parents = entry.files.filter((f) => f.workflowType === 'rollingUpgrade').length;
      const children = entry.files.filter((f) => f.workflowType === 'nodeUpgrade').length;
      assert.ok(parents >= (s.runs ?? 1), `${s.name}: ${parents} rollingUpgrade histories, expected ${s.runs ?? 1}+`);
      assert.equal(children, s.children, `${s.name}: nodeUpgrade histories`);
    }
  });

  it("has the histories of the clusters' entity, every run of it", () => {
    const entry = recordedFiles(ENTITY.name, ENTITY.covers);
    const runs = entry.files.filter((f) => f.workflowType === ENTITY.workflowType).length;
    assert.ok(
      runs >= ENTITY.runs,
      `${ENTITY.name}: ${runs} ${ENTITY.workflowType} histories, expected ${ENTITY.runs}+`,
    );
    assert.equal(runs, entry.files.length, `${ENTITY.name}: only ${ENTITY.workflowType} histories`);
  });

  it('replays every one without nondeterminism', async () => {
    quietRuntime('WARN');
    const histories = files.map((f) => ({
      workflowId: parseHistoryFile(f).workflowId,
      history: JSON.parse(readFileSync(join(dir, f), 'utf8')),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
