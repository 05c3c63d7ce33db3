// One native module, two runtimes: the tray app (Electron) loads a better-sqlite3 built for Electron
// from dist/electron-native/ (build/scripts/electron-sqlite.mjs puts it there), passed to every catalog
// connection through better-sqlite3's nativeBinding option; under Node (CLI, daemon, tests) nothing
// changes. A real catalog is opened through a given binding, and a binding that is not an addon fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { electronSqliteBinding } from '../../src-main/electron/electron-sqlite';
import { openDatabase, useSqliteBinding } from '../../src-main/store/open-store';
import { repoRoot, temporaryFolder } from '../helpers/cli';

const nodeBuild = join(repoRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

test('the build script and the app agree on where the Electron build of better-sqlite3 is', async () => {
  const { electronSqlitePath } = (await import(join(repoRoot, 'build', 'scripts', 'electron-sqlite.mjs'))) as { electronSqlitePath: (version: string, platform: string, arch: string) => string };
  assert.equal(electronSqlitePath('45.4.1', 'linux', 'x64'), join('dist', 'electron-native', 'electron-45.4.1-linux-x64', 'better_sqlite3.node'));
});

test('under Electron the app finds its own build beside dist/main, unpacked from asar; under Node, or where it was not built, none', (t) => {
  const root = temporaryFolder(t);
  const dev = join(root, 'dist', 'electron-native', 'electron-45.4.1-linux-x64');
  mkdirSync(dev, { recursive: true });
  writeFileSync(join(dev, 'better_sqlite3.node'), 'addon');
  assert.equal(electronSqliteBinding(join(root, 'dist', 'main'), '45.4.1', 'linux', 'x64'), join(dev, 'better_sqlite3.node'));
  assert.equal(electronSqliteBinding(join(root, 'dist', 'main'), undefined, 'linux', 'x64'), null, 'plain Node keeps the package build');
  assert.equal(electronSqliteBinding(join(root, 'dist', 'main'), '46.0.0', 'linux', 'x64'), null, 'another Electron needs its own build');

  const packaged = join(root, 'resources', 'app.asar.unpacked', 'dist', 'electron-native', 'electron-45.4.1-darwin-arm64');
  mkdirSync(packaged, { recursive: true });
  writeFileSync(join(packaged, 'better_sqlite3.node'), 'addon');
  assert.equal(electronSqliteBinding(join(root, 'resources', 'app.asar', 'dist', 'main'), '45.4.1', 'darwin', 'arm64'), join(packaged, 'better_sqlite3.node'));
});

test('every catalog connection loads the binding it is given, and the package build again after null', (t) => {
  const root = temporaryFolder(t);
  t.after(() => useSqliteBinding(null));
  const copy = join(root, 'copy', 'better_sqlite3.node');
  mkdirSync(join(root, 'copy'));
  copyFileSync(nodeBuild, copy);
  useSqliteBinding(copy);
  const db = openDatabase(join(root, 'data', 'dormouse.sqlite'));
  assert.ok((db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number }).version > 0);
  db.close();

  const notAnAddon = join(root, 'not-an-addon.node');
  writeFileSync(notAnAddon, 'this is not a shared library');
  useSqliteBinding(notAnAddon);
  assert.throws(() => openDatabase(join(root, 'data', 'dormouse.sqlite')), /not-an-addon\.node/);

  useSqliteBinding(null);
  openDatabase(join(root, 'data', 'dormouse.sqlite')).close();
});
