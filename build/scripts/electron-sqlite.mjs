// better-sqlite3 for Electron, beside the one for Node. The CLI, the daemon and the tests load
// node_modules/better-sqlite3's own build (Node's ABI); the tray app runs under Electron, whose ABI
// differs, so it loads a second copy built here into dist/electron-native/electron-<version>-<platform>-<arch>/
// (found there by src-main/electron/electron-sqlite.ts through better-sqlite3's nativeBinding option).
// The copy is built from a copy of the package's sources, so the Node build is never touched:
// a prebuilt binary for that Electron when prebuild-install can fetch one, else node-gyp against
// Electron's headers. Dormouse's own addon (dist/native/dormouse_native.node) is plain N-API,
// ABI-stable across Node and Electron, and needs no second build.
// Run directly (`node build/scripts/electron-sqlite.mjs`) it builds for the installed Electron and
// exits 1 with one line when it cannot.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the Electron copy of better-sqlite3 goes for an Electron version, platform and architecture (relative to the project). */
export function electronSqlitePath(version, platform = process.platform, arch = process.arch) {
  return join('dist', 'electron-native', `electron-${version}-${platform}-${arch}`, 'better_sqlite3.node');
}

/** The installed Electron package's version, or null where the package is not installed. */
export function installedElectronVersion(root) {
  const manifest = join(root, 'node_modules', 'electron', 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : null;
}

/** Why an attempt failed, in one line: prebuild-install's warning, node-gyp's network failure or error, else the last line. */
function reasonOf(result) {
  const output = `${result.error?.message ?? ''}\n${result.stderr ?? ''}\n${result.stdout ?? ''}`;
  if (/network connectivity/.test(output)) return "Electron's headers could not be downloaded";
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const telling = lines.find((line) => /prebuild-install warn install |gyp ERR! stack Error: |gyp: /.test(line));
  return (telling ?? lines.at(-1) ?? `exit code ${result.status}`).replace(/^(prebuild-install warn install |gyp ERR! stack Error: )/, '').trim();
}

/**
 * Builds better-sqlite3 for the given Electron version unless already built. Returns
 * { file } on success, { error } (one line) when neither a prebuilt binary nor a compiler could make it.
 */
export function buildElectronSqlite(root, version, { platform = process.platform, arch = process.arch } = {}) {
  const file = join(root, electronSqlitePath(version, platform, arch));
  if (existsSync(file)) return { file };
  const source = join(root, 'node_modules', 'better-sqlite3');
  const work = join(root, 'node_modules', '.cache', 'dormouse-electron-sqlite', `electron-${version}-${platform}-${arch}`);
  rmSync(work, { recursive: true, force: true });
  cpSync(source, work, { recursive: true, filter: (path) => relative(source, path).split(sep)[0] !== 'build' });
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  const prebuild = join(root, 'node_modules', 'prebuild-install', 'bin.js');
  const attempts = [
    ...(existsSync(prebuild) ? [['a prebuilt binary', [prebuild, '--runtime=electron', `--target=${version}`, `--platform=${platform}`, `--arch=${arch}`]]] : []),
    ['compiling', [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--release', `--target=${version}`, `--arch=${arch}`, '--dist-url=https://electronjs.org/headers']],
  ];
  const failures = [];
  for (const [how, args] of attempts) {
    const result = spawnSync(process.execPath, args, { cwd: work, encoding: 'utf8', timeout: 600_000 });
    if (result.status === 0 && existsSync(built)) {
      mkdirSync(dirname(file), { recursive: true });
      copyFileSync(built, file);
      rmSync(work, { recursive: true, force: true });
      return { file };
    }
    failures.push(`${how}: ${reasonOf(result)}`);
  }
  rmSync(work, { recursive: true, force: true });
  return { error: `could not build better-sqlite3 for Electron ${version} (${failures.join('; ')}); the tray app needs it: it is fetched prebuilt from GitHub, or compiled against Electron's headers from electronjs.org with Python 3 and a C++ compiler (Xcode's command line tools, Visual Studio's C++ workload, or build-essential)` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const version = installedElectronVersion(root);
  if (!version) {
    console.error('error: the electron package is not installed; run npm ci first');
    process.exit(1);
  }
  const result = buildElectronSqlite(root, version);
  if (result.error) {
    console.error(`error: ${result.error}`);
    process.exit(1);
  }
  console.log(`dormouse: better-sqlite3 for Electron ${version} is at ${relative(root, result.file)}`);
}
