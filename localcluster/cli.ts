/**
 * `npm run cluster -- up|down|seed|kubeconfig|components|stop COMPONENT|start COMPONENT`: the local
 * simulated cluster for the demo and tests. `stop` kills a component and keeps it down (a fault to
 * test against); `start` brings it back under the supervisor, which restarts any component that exits.
 */
import { clusterOptions, down, kubeconfigPath, seed, up } from './cluster.js';
import {
  COMPONENTS,
  componentPids,
  componentSpecs,
  isStopped,
  restartCounts,
  runningPid,
  startComponent,
  stopComponent,
} from './components.js';
import { supervisorLog, supervisorPid } from './supervisor.js';

const USAGE = `usage: npm run cluster -- up | down | seed | kubeconfig | components | stop COMPONENT | start COMPONENT
  (COMPONENT: ${COMPONENTS.join(', ')})`;
const options = clusterOptions();

function components(): void {
  componentSpecs(options); // says so when there is no cluster
  const restarts = restartCounts(options);
  const pids = componentPids(options);
  for (const name of COMPONENTS) {
    const pid = runningPid(options, name);
    const state = isStopped(options, name) ? 'stopped' : pid !== undefined ? 'running' : 'down';
    console.log(`${name.padEnd(24)} ${state.padEnd(8)} pid ${pid ?? pids[name] ?? '-'}  restarts ${restarts[name]}`);
  }
  const supervisor = supervisorPid(options);
  console.log(
    `supervisor: ${supervisor !== undefined ? `pid ${supervisor}` : 'not running'}; log ${supervisorLog(options)}`,
  );
}

const [command, component, ...extra] = process.argv.slice(2);
const start = Date.now();
const takesComponent = command === 'stop' || command === 'start';
if (extra.length > 0 || (takesComponent ? component === undefined : component !== undefined)) {
  console.error(USAGE);
  process.exit(2);
}
try {
  switch (command) {
    case 'up':
      await up(options);
      console.log(
        `cluster up in ${((Date.now() - start) / 1000).toFixed(1)} s; kubeconfig: ${kubeconfigPath(options)}`,
      );
      break;
    case 'seed':
      await seed(options);
      console.log('cluster reseeded');
      break;
    case 'down':
      down(options);
      console.log('cluster down');
      break;
    case 'kubeconfig':
      console.log(kubeconfigPath(options));
      break;
    case 'components':
      components();
      break;
    case 'stop':
      await stopComponent(options, component ?? '');
      console.log(`${component} stopped (killed, and kept down until \`npm run cluster -- start ${component}\`)`);
      break;
    case 'start':
      console.log(`${component} running as pid ${startComponent(options, component ?? '')}, supervised again`);
      break;
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exitCode = 1;
}
