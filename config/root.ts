/**
 * The project's root folder (the one with package.json), found from this module's own place, so that
 * the shipped catalogue and the local state are found the same from the TypeScript sources (tsx) and
 * from the compiled worker in dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot find the project's root`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
