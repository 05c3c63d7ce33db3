import '../common/thread-pool';
import './early-worker';
import { join } from 'node:path';
import { runCli } from './cli-program';

void runCli(process.argv.slice(2), {
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  cwd: process.cwd(),
  env: process.env,
  progressTerminal: process.stderr.isTTY === true,
  workerScript: join(__dirname, 'archive-worker.cjs'),
  rendererFolder: join(__dirname, '..', 'renderer'),
}).then((code) => {
  process.exitCode = code;
});
