// Builds the native addon (native/*.c, plain N-API) with node-gyp against the Node
// headers already on this machine, into dist/native/dormouse_native.node, where both the bundles in
// dist/main/ and src-main/ under tsx look for it. It is rebuilt only when a C source or header or
// binding.gyp changed. A machine without a C compiler, make, Python or Node's headers gets one line
// saying so and the rest of the build goes on: backups then say which attributes they could not keep.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const addonName = 'dormouse_native.node';

/** What the addon is built from: binding.gyp and the C sources and headers beside it. */
function sourceFiles(nativeFolder) {
  return readdirSync(nativeFolder).filter((name) => name === 'binding.gyp' || /\.[ch]$/.test(name)).sort();
}

function sourceHash(nativeFolder, sources) {
  const hash = createHash('sha256');
  hash.update(`${process.platform}-${process.arch}\n`);
  for (const name of sources) hash.update(`${name}\n`).update(readFileSync(join(nativeFolder, name)));
  return hash.digest('hex');
}

function works(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return !result.error && result.status === 0;
}

/** Node's own headers: beside the running node (prefix/include/node), or where npm is told they are. */
function nodeHeadersFolder() {
  const candidates = [dirname(dirname(process.execPath)), process.env.npm_config_nodedir].filter(Boolean);
  return candidates.find((folder) => existsSync(join(folder, 'include', 'node', 'node_api.h')));
}

function missingTools() {
  const missing = [];
  const compiler = process.env.CC || 'cc';
  if (!works(compiler, ['--version'])) missing.push(`no C compiler (${compiler})`);
  if (!works(process.env.MAKE || 'make', ['--version'])) missing.push('no make');
  const python = process.env.npm_config_python || process.env.PYTHON;
  if (!(python ? works(python, ['--version']) : works('python3', ['--version']) || works('python', ['--version']))) missing.push('no Python 3');
  return missing;
}

/**
 * Builds dist/native/dormouse_native.node when native/ changed since the last build. Throws when the
 * compiler is there but the build fails (a bug to fix); returns quietly when it cannot be built here.
 */
export function buildNative(root) {
  const nativeFolder = join(root, 'native');
  const outFolder = join(root, 'dist', 'native');
  const addon = join(outFolder, addonName);
  const stamp = join(outFolder, 'dormouse_native.sha256');
  const sources = sourceFiles(nativeFolder);
  const hash = sourceHash(nativeFolder, sources);
  if (existsSync(addon) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return;

  const cannot = (why) => {
    rmSync(addon, { force: true });
    rmSync(stamp, { force: true });
    console.log(`dormouse: the native addon was not built (${why}); until it is, backups will not keep extended attributes, ACLs, FIFOs, nanosecond times or sparse holes.`);
  };
  if (process.platform === 'win32') return cannot('its calls are for Linux and macOS');
  const missing = missingTools();
  if (missing.length > 0) return cannot(`${missing.join(', ')}: install them, then run npm run build`);
  const headers = nodeHeadersFolder();
  if (!headers) return cannot(`Node's headers are not beside ${process.execPath} (include/node/node_api.h): install them, then run npm run build`);
  let nodeGyp;
  try {
    nodeGyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return cannot('node-gyp is not installed (run npm ci)');
  }

  const work = join(root, 'dist', `.native-build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    for (const name of sources) copyFileSync(join(nativeFolder, name), join(work, name));
    const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', `--nodedir=${headers}`], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, npm_config_nodedir: headers },
      timeout: 300_000,
    });
    if (result.status !== 0) {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').filter((line) => !line.startsWith('gyp info')).join('\n');
      throw new Error(`the native addon did not build (node-gyp exit ${result.status ?? result.error?.message}):\n${output.trim()}`);
    }
    mkdirSync(outFolder, { recursive: true });
    const next = `${addon}.${process.pid}.next`;
    copyFileSync(join(work, 'build', 'Release', addonName), next);
    renameSync(next, addon);
    writeFileSync(`${stamp}.${process.pid}`, `${hash}\n`);
    renameSync(`${stamp}.${process.pid}`, stamp);
    console.log('dormouse: built the native addon dist/native/dormouse_native.node');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
