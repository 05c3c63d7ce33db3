// The packaged app, as electron-builder makes it from electron-builder.yml: packaged for Linux with
// `--dir` against a stand-in Electron distribution (a shell script carrying Electron's fuse wire,
// so nothing is downloaded and no native module is rebuilt), then read back: the bundles and every
// file the main process opens inside app.asar, native addons unpacked beside it, only
// better-sqlite3's JavaScript left of node_modules (the bundles hold the rest), the fuses set with
// runAsNode off, and the `dormouse` launcher that runs the app's binary in its CLI mode.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFile, listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { build, Platform } from 'electron-builder';
import { repoRoot } from '../helpers/cli';

const electronVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
const electronNative = `dist/electron-native/electron-${electronVersion}-linux-x64/better_sqlite3.node`;
const sentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

let root: string;
let appDir: string;
let asar: string;
let entries: Set<string>;

/**
 * A project folder holding what electron-builder reads from this one (the built dist/ copied, so the
 * stand-in Electron build of better-sqlite3 lands in the copy, never in the repository's dist/).
 */
function stageProject(project: string): void {
  mkdirSync(join(project, 'build'), { recursive: true });
  for (const file of ['package.json', 'electron-builder.yml']) copyFileSync(join(repoRoot, file), join(project, file));
  for (const folder of ['build/launcher', 'build/icons', 'dist']) cpSync(join(repoRoot, folder), join(project, folder), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(project, 'node_modules'));
  // Stands in for what build/scripts/electron-sqlite.mjs builds where Electron is installed.
  mkdirSync(join(project, electronNative, '..'), { recursive: true });
  copyFileSync(join(repoRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), join(project, electronNative));
}

/** An "Electron" that prints its arguments, with Electron 45's fuse wire as shipped (runAsNode, node options and inspect on). */
function standInElectron(folder: string): void {
  mkdirSync(folder);
  writeFileSync(join(folder, 'electron'), Buffer.concat([Buffer.from(`#!/bin/sh\necho "$@"\nexit 0\n# ${sentinel}`), Buffer.from([1, 8]), Buffer.from('10110001\n')]));
  chmodSync(join(folder, 'electron'), 0o755);
}

before(async () => {
  for (const built of ['dist/main/electron-main.cjs', 'dist/renderer/index.html']) assert.ok(existsSync(join(repoRoot, built)), `${built} is built (run npm run build)`);
  root = mkdtempSync(join(tmpdir(), 'dormouse-package-'));
  stageProject(join(root, 'project'));
  standInElectron(join(root, 'electron-dist'));
  await build({
    projectDir: join(root, 'project'),
    targets: Platform.LINUX.createTarget('dir'),
    publish: 'never',
    // Never rebuild here: the project's node_modules is the repository's, whose better-sqlite3 is for Node.
    config: { electronDist: join(root, 'electron-dist'), electronVersion, npmRebuild: false, directories: { output: join(root, 'release') } },
  });
  appDir = join(root, 'release', 'linux-unpacked');
  asar = join(appDir, 'resources', 'app.asar');
  entries = new Set(listPackage(asar, { isPack: false }).map((entry) => entry.replaceAll('\\', '/').replace(/^\//, '')));
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test('app.asar holds the main, preload, worker and renderer bundles and every file the main process opens', () => {
  for (const file of ['package.json', 'dist/main/electron-main.cjs', 'dist/main/preload.cjs', 'dist/main/archive-worker.cjs', 'dist/renderer/index.html']) {
    assert.ok(entries.has(file), `${file} is in app.asar`);
  }
  const manifest = JSON.parse(extractFile(asar, 'package.json').toString('utf8')) as { main: string };
  assert.equal(manifest.main, 'dist/main/electron-main.cjs');
  const page = extractFile(asar, 'dist/renderer/index.html').toString('utf8');
  const assets = [...page.matchAll(/(?:src|href)="\.?\/?([^":]+)"/g)].map((match) => `dist/renderer/${match[1]}`);
  assert.ok(assets.length > 0, 'the page loads its scripts and styles');
  for (const asset of assets) assert.ok(entries.has(asset), `${asset}, loaded by index.html, is in app.asar`);
  const trayIcons = readdirSync(join(repoRoot, 'build', 'icons')).filter((name) => name.startsWith('tray-'));
  assert.equal(trayIcons.length, 16);
  for (const icon of trayIcons) assert.ok(entries.has(`dist/main/icons/${icon}`), `tray icon ${icon} is in app.asar`);
  assert.ok(![...entries].some((entry) => entry.endsWith('.map')), 'no source maps ship');
});

test('native addons are unpacked beside app.asar: better-sqlite3 for Electron and the N-API addon', () => {
  const unpacked = join(appDir, 'resources', 'app.asar.unpacked');
  assert.ok(statSync(join(unpacked, electronNative)).size > 100_000, `${electronNative} is unpacked`);
  if (existsSync(join(repoRoot, 'dist', 'native', 'dormouse_native.node'))) {
    assert.ok(existsSync(join(unpacked, 'dist/native/dormouse_native.node')), 'the N-API addon is unpacked');
  }
  assert.ok(!existsSync(join(unpacked, 'node_modules')), "better-sqlite3's own build (for Node) does not ship");
});

test('of node_modules only better-sqlite3 ships, and only its JavaScript: the bundles hold every other package', () => {
  const packages = new Set([...entries].filter((entry) => entry.startsWith('node_modules/')).map((entry) => entry.split('/')[1]));
  assert.deepEqual([...packages], ['better-sqlite3']);
  const files = [...entries].filter((entry) => entry.startsWith('node_modules/better-sqlite3/') && /\.\w+$/.test(entry));
  assert.ok(files.includes('node_modules/better-sqlite3/lib/index.js'));
  assert.deepEqual(files.filter((file) => !file.endsWith('.js') && !file.endsWith('package.json')), []);
});

test('the fuses are set: runAsNode, NODE_OPTIONS and the inspector off, the app loaded only from an integrity-checked asar', async () => {
  const wire = await getCurrentFuseWire(join(appDir, 'dormouse'));
  const off = '0';
  const on = '1';
  assert.equal(String.fromCharCode(Number(wire[FuseV1Options.RunAsNode])), off);
  assert.equal(String.fromCharCode(Number(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable])), off);
  assert.equal(String.fromCharCode(Number(wire[FuseV1Options.EnableNodeCliInspectArguments])), off);
  assert.equal(String.fromCharCode(Number(wire[FuseV1Options.OnlyLoadAppFromAsar])), on);
  assert.equal(String.fromCharCode(Number(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation])), on);
});

test('the dormouse launcher, linked from a folder on PATH, runs the app binary in its CLI mode with the arguments given', { skip: process.platform === 'win32' && 'the shell launcher is for Linux and macOS' }, () => {
  const launcher = join(appDir, 'resources', 'bin', 'dormouse');
  assert.ok((statSync(launcher).mode & 0o111) !== 0, 'the launcher is executable');
  const onPath = join(root, 'path-bin');
  mkdirSync(onPath);
  symlinkSync(launcher, join(onPath, 'dormouse'));
  const result = spawnSync(join(onPath, 'dormouse'), ['schedule', 'list', '--json'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), '--ozone-platform=headless --cli schedule list --json');
  const cmd = readFileSync(join(appDir, 'resources', 'bin', 'dormouse.cmd'), 'utf8');
  assert.ok(cmd.includes('\r\n"%~dp0..\\..\\Dormouse.exe" --cli %*\r\n'), cmd);
});
