// Loads a built bundle the way `require` would, with V8's compiled code kept between runs.
//
// Every `dormouse` command compiles the CLI bundle anew (about 30 ms of a 100 ms start here), and
// every backup, restore and verify the archive worker's (about 20 ms);
// Node 22's module.enableCompileCache keeps that work, but the CLI runs on Node 20. So the first
// run of a build writes V8's code cache of the bundle (with what that run compiled) to the user's
// cache folder, and later runs hand it to V8. A cache V8 does not take (another Node, a damaged
// file) is written again; one that cannot be read or written is done without. Nothing in it is
// trusted beyond that: V8 checks it against the source and its own version and flags, and
// DORMOUSE_CODE_CACHE=off turns it off.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { homedir } = require('node:os');
const { basename, dirname, join } = require('node:path');
const { Script } = require('node:vm');

/** Where caches of a user's programs go on this system. */
function cacheFolder() {
  if (process.env.DORMOUSE_CODE_CACHE === 'off') return null;
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ? join(process.env.LOCALAPPDATA, 'dormouse', 'Cache') : null;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'dormouse');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dormouse');
}

/** The cache's file: one per bundle, named for the build (size and time) and the Node that compiled it. */
function cacheFileOf(folder, file) {
  const { size, mtimeMs } = statSync(file);
  const build = createHash('sha256').update(`${file}\0${size}\0${mtimeMs}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 16);
  return join(folder, `${basename(file, '.cjs')}-${build}.v8-cache`);
}

/** Writes the cache privately and whole (a temporary name, then a rename), and removes the bundle's older ones. */
function saveCache(folder, cacheFile, data) {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${cacheFile}.${process.pid}.partial`;
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, cacheFile);
    const prefix = `${basename(cacheFile).replace(/-[0-9a-f]{16}\.v8-cache$/, '')}-`;
    for (const name of readdirSync(folder)) {
      if (name.startsWith(prefix) && name !== basename(cacheFile)) rmSync(join(folder, name), { force: true });
    }
  } catch {
    // A read-only home or a full disk: the next run compiles again.
  }
}

/** Runs `file` (a CommonJS bundle) as `require(file)` would, with the cached code when V8 takes it. */
function loadWithCodeCache(file) {
  const folder = cacheFolder();
  let cacheFile = null;
  let cachedData;
  if (folder !== null) {
    try {
      cacheFile = cacheFileOf(folder, file);
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cacheFile !== null && (cachedData === undefined || script.cachedDataRejected)) {
    // At exit the cache also holds what this run compiled, not only the top level.
    process.once('exit', () => saveCache(folder, cacheFile, script.createCachedData()));
  }
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(dirname(file));
  const require = Module.createRequire(file);
  script.runInThisContext().call(loaded.exports, loaded.exports, require, loaded, file, dirname(file));
  loaded.loaded = true;
  return loaded.exports;
}

module.exports = { loadWithCodeCache };

// Run as a program, `node load-with-code-cache.cjs BUNDLE` (how the CLI and the daemon start the
// archive worker, from the copy the build puts beside the bundles): BUNDLE runs as `node BUNDLE`
// would run it, with the cache.
if (require.main === module && process.argv.length > 2) {
  const bundle = process.argv[2];
  process.argv.splice(1, 2, bundle);
  loadWithCodeCache(bundle);
}
