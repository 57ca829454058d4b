/** `npm run cluster -- up|down|seed|kubeconfig`: the local simulated cluster for the demo and tests. */
import { clusterOptions, down, kubeconfigPath, seed, up } from './cluster.js';

const options = clusterOptions();
const command = process.argv[2];
const start = Date.now();
switch (command) {
  case 'up':
    await up(options);
    console.log(`cluster up in ${((Date.now() - start) / 1000).toFixed(1)} s; kubeconfig: ${kubeconfigPath(options)}`);
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
  default:
    console.error('usage: npm run cluster -- up | down | seed | kubeconfig');
    process.exitCode = 2;
}
