// The tray app cannot start (its catalog was written by a newer Dormouse): the real main entry,
// loaded with the stand-in electron module, says so in a native error dialog and quits, instead of
// leaving a tray icon without a menu and an instance lock that makes every relaunch quit quietly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { databaseFile } from '../../src-main/store/data-dir';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';

let folder: DataFolder;
let loaded: LoadedApp;
let catalogBefore: Buffer;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 0 });
  // A newer Dormouse migrated this catalog to a schema version this one has never heard of.
  folder.db.prepare('INSERT INTO schema_migrations (version, migrated_at) VALUES (?, ?)').run(9999, Date.now());
  folder.db.pragma('wal_checkpoint(TRUNCATE)');
  catalogBefore = readFileSync(databaseFile(folder.dataDir));
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  await loaded?.cleanUp();
});

test('a catalog from a newer Dormouse: an error dialog says what happened and what to do, then the app exits with code 1', async () => {
  const { electron } = loaded;
  const box = await waitFor('the error dialog', () => electron.dialog.errorBoxes[0]);
  assert.equal(electron.dialog.errorBoxes.length, 1);
  assert.equal(box.title, 'Dormouse could not start');
  const [headline, detail] = box.content.split('\n\n');
  assert.equal(headline, 'This catalog was written by a newer Dormouse.');
  assert.ok(detail?.startsWith(`The catalog ${databaseFile(folder.dataDir)} is at schema version 9999`), box.content);
  assert.match(box.content, /update Dormouse to open it/);
  await waitFor('the app to exit', () => electron.app.exitCode !== null, 5_000);
  assert.equal(electron.app.exitCode, 1);
  assert.deepEqual(readFileSync(databaseFile(folder.dataDir)), catalogBefore, 'the newer catalog is left byte for byte as it was');
});
