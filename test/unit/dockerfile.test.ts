/**
 * The worker's image cannot be built here (no registry for base images), so its Dockerfile is read:
 * every file it copies from the build context is in the repository and let through by .dockerignore,
 * the build stage gets every source the compile and the bundle read, the runtime stage copies what
 * the build stage makes, and its entrypoint is the production worker (scripts/worker.sh, as
 * `npm run worker:dist`), run as a non-root user. .dockerignore keeps .run/, node_modules, dist out.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}
interface Stage {
  name?: string;
  instructions: Instruction[];
}
interface Copy {
  line: number;
  from?: string;
  sources: string[];
  dest: string;
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const all: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\')) {
      i++;
      const next = lines[i]?.trim() ?? '';
      line = line.slice(0, -1).trimEnd() + (next.startsWith('#') ? '' : ` ${next}`);
    }
    assert.ok(!line.includes('<<'), `Dockerfile line ${start}: heredocs are not read by this test`);
    const match = /^(\w+)\s+(.*)$/.exec(line);
    assert.ok(match, `Dockerfile line ${start} is not an instruction: ${line}`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!;
    if (keyword === 'FROM') {
      all.push({ name: /\s+AS\s+(\S+)$/i.exec(args)?.[1], instructions: [] });
    } else {
      assert.ok(all.length > 0, `Dockerfile line ${start}: ${keyword} before any FROM`);
    }
    all.at(-1)!.instructions.push({ line: start, keyword, args });
  }
  return all;
}

function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((x) => x.keyword === 'COPY' || x.keyword === 'ADD')
    .map((x) => {
      assert.equal(x.keyword, 'COPY', `Dockerfile line ${x.line}: ADD fetches and unpacks; COPY is what is meant`);
      assert.ok(!x.args.startsWith('['), `Dockerfile line ${x.line}: the JSON form of COPY is not read by this test`);
      const words = x.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      assert.ok(paths.length >= 2, `Dockerfile line ${x.line}: COPY needs a source and a destination`);
      for (const p of paths) assert.ok(!/[$*?[]/.test(p), `Dockerfile line ${x.line}: ${p} is not a plain path`);
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { line: x.line, from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** Docker's .dockerignore rule: the last pattern matching the path or one of its parent folders decides. */
function ignoredBy(patterns: string[]): (path: string) => boolean {
  const rules = patterns.map((raw) => {
    const exclude = !raw.startsWith('!');
    const pattern = posix.normalize((exclude ? raw : raw.slice(1)).trim()).replace(/^\/+/, '');
    assert.ok(!/[[\]{}\\]/.test(pattern), `.dockerignore pattern ${raw}: this test reads only *, ? and **`);
    const source = pattern
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^$()|]/g, '\\$&')
          .replaceAll('*', '[^/]*')
          .replaceAll('?', '[^/]'),
      )
      .join('.*');
    return { exclude, regex: new RegExp(`^${source}$`) };
  });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) ignored = rule.exclude;
    return ignored;
  };
}

const dockerfile = stages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const ignorePatterns = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const ignored = ignoredBy(ignorePatterns);
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).trim().split('\n');
const build = dockerfile.find((s) => s.name === 'build');
const runtime = dockerfile.at(-1)!;
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The repository's files a COPY source stands for (a file, or every file under a folder). */
const trackedUnder = (source: string) =>
  tracked.filter((f) => f === source || f.startsWith(`${source.replace(/\/$/, '')}/`));

/** The stage's WORKDIR in effect at a line. */
function workdirAt(stage: Stage, line: number): string {
  let dir = '/';
  for (const x of stage.instructions) if (x.keyword === 'WORKDIR' && x.line < line) dir = posix.resolve(dir, x.args);
  return dir;
}

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage', () => {
    assert.ok(build, 'no stage named "build"');
    assert.notEqual(runtime, build, 'the last stage (the image) is the build stage');
    assert.ok(
      build.instructions.some((x) => x.keyword === 'RUN' && /\bnpm ci\b/.test(x.args)),
      'the build stage installs with npm ci',
    );
    assert.ok(
      build.instructions.some((x) => x.keyword === 'RUN' && /\bnpm run build:worker\b/.test(x.args)),
      'the build stage runs npm run build:worker',
    );
    assert.ok(
      runtime.instructions.some((x) => x.keyword === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(x.args)),
      'the runtime stage installs the production dependencies only (npm ci --omit=dev)',
    );
  });

  it('copies from the build context only files of the repository that .dockerignore lets through', () => {
    const fromContext = dockerfile.flatMap(copies).filter((c) => c.from === undefined);
    assert.ok(fromContext.length > 0);
    for (const c of fromContext) {
      for (const source of c.sources) {
        const where = `Dockerfile line ${c.line}: ${source}`;
        assert.ok(existsSync(join(root, source)), `${where} does not exist`);
        const files = trackedUnder(source);
        assert.ok(files.length > 0, `${where} is not in the repository (git ls-files)`);
        for (const f of files) assert.ok(!ignored(f), `${where}: .dockerignore keeps ${f} out of the context`);
      }
    }
  });

  it('gives the build stage every source the compile and the bundle read', () => {
    const sources = copies(build!).flatMap((c) => (c.from === undefined ? c.sources : []));
    const listed = execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      cwd: root,
      encoding: 'utf8',
    });
    const needed = listed
      .trim()
      .split('\n')
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith('..') && !f.split('/').includes('node_modules'));
    assert.ok(needed.includes('workflows/index.ts') && needed.includes('worker/main.ts'), needed.join(' '));
    // `npm run build:worker` reads these too: the configs, and worker/bundle.ts (outside the compile)
    needed.push('package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'worker/bundle.ts');
    for (const f of needed) {
      assert.ok(
        sources.some((s) => f === s || f.startsWith(`${s.replace(/\/$/, '')}/`)),
        `the build stage does not copy ${f}`,
      );
    }
  });

  it('copies into the image from the build stage only what the build makes', () => {
    const fromBuild = copies(runtime).filter((c) => c.from !== undefined);
    assert.ok(fromBuild.length > 0, 'the image copies nothing from the build stage');
    const runAt = build!.instructions.find((x) => x.keyword === 'RUN' && /build:worker/.test(x.args))!;
    const outDir = posix.resolve(workdirAt(build!, runAt.line + 1), 'dist');
    assert.match(packageJson.scripts['build:worker'] ?? '', /tsc -p tsconfig\.build\.json/);
    const buildConfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    assert.equal(buildConfig.compilerOptions.outDir, 'dist', 'build:worker writes dist/');
    for (const c of fromBuild) {
      assert.equal(c.from, 'build', `Dockerfile line ${c.line}: copies from ${c.from}`);
      for (const s of c.sources) {
        const path = posix.resolve(workdirAt(build!, runAt.line + 1), s);
        assert.ok(
          path === outDir || path.startsWith(`${outDir}/`),
          `Dockerfile line ${c.line}: ${s} is not made by npm run build:worker`,
        );
      }
    }
  });

  it('starts the production worker (scripts/worker.sh, as npm run worker:dist) as a non-root user', () => {
    const entrypoint = runtime.instructions.filter((x) => x.keyword === 'ENTRYPOINT').at(-1);
    assert.ok(entrypoint, 'the image has no ENTRYPOINT');
    const argv = JSON.parse(entrypoint.args) as string[]; // the exec form: the worker gets the signals
    assert.equal(packageJson.scripts['worker:dist'], 'bash scripts/worker.sh');
    const script = argv.find((a) => a.endsWith('scripts/worker.sh'));
    assert.ok(script, `the entrypoint ${entrypoint.args} does not run scripts/worker.sh`);
    assert.equal(argv[argv.indexOf(script) - 1], 'bash', entrypoint.args);
    // the script is in the image where the entrypoint looks, copied from the repository
    const target = posix.resolve(workdirAt(runtime, entrypoint.line), script);
    const copied = copies(runtime).find((c) => {
      const dest = posix.resolve(workdirAt(runtime, c.line), c.dest);
      return (
        c.from === undefined &&
        c.sources.includes('scripts/worker.sh') &&
        (c.dest.endsWith('/') ? `${dest}/worker.sh` : dest) === target
      );
    });
    assert.ok(copied, `scripts/worker.sh is not copied to ${target}`);
    // ...and what it runs is in dist/, which the image has from the build stage
    const worker = readFileSync(join(root, 'scripts/worker.sh'), 'utf8');
    assert.match(worker, /for f in dist\/worker\/main\.js dist\/workflow-bundle\.js; do/);
    assert.match(worker, /exec node .*"\$ROOT\/dist\/worker\/main\.js"/s);
    const user = runtime.instructions.filter((x) => x.keyword === 'USER').at(-1)?.args ?? 'root';
    assert.match(user, /^[1-9]\d*(:\d+)?$/, `the image runs as ${user}: a non-root user by number (runAsNonRoot)`);
  });
});

describe('.dockerignore', () => {
  it('keeps .run/, node_modules, dist and .git out of the build context', () => {
    for (const path of ['.run/state/x.json', 'node_modules/yaml/package.json', 'dist/worker/main.js', '.git/HEAD']) {
      assert.ok(ignored(path), `${path} is sent to the build`);
    }
  });

  it('reads patterns as Docker does', () => {
    const rule = ignoredBy(['*', '!scripts/worker.sh', 'dist', '!keep/**/*.ts']);
    assert.equal(rule('scripts/worker.sh'), false);
    assert.equal(rule('scripts/test.sh'), true);
    assert.equal(rule('keep/a/b.ts'), false);
    assert.equal(rule('keep/a/b.js'), true);
    assert.equal(ignoredBy(['dist'])('dist/worker/main.js'), true);
    assert.equal(ignoredBy(['dist'])('worker/dist'), false);
  });
});
