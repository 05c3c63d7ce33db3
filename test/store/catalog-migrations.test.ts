import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DormouseError } from '../../shared/errors';
import { latestSchemaVersion, migrations } from '../../src-main/store/migrations';
import { openDatabase } from '../../src-main/store/open-store';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';

const fixture = join(__dirname, '..', 'fixtures', 'catalog-v1.sqlite');

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function versions(db: Database.Database): number[] {
  return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}

test('a new catalog is created at the newest schema with WAL, foreign keys and a busy timeout', (t) => {
  const folder = temporaryFolder(t);
  const db = openDatabase(join(folder, 'data', 'dormouse.sqlite'));
  t.after(() => db.close());
  assert.deepEqual(versions(db), migrations.map((m) => m.version));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.ok(Number(db.pragma('busy_timeout', { simple: true })) >= 1000);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  for (const table of ['destinations', 'schedules', 'jobs', 'snapshots', 'settings', 'scheduler_lock', 'schema_migrations']) {
    assert.ok(tables.includes(table), `table ${table} exists`);
  }
});

test('opening a catalog twice applies no migration twice', (t) => {
  const folder = temporaryFolder(t);
  const file = join(folder, 'dormouse.sqlite');
  openDatabase(file).close();
  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual(versions(db), migrations.map((m) => m.version));
});

test('migrating a version-1 catalog keeps every row it had', (t) => {
  const folder = temporaryFolder(t);
  const file = join(folder, 'dormouse.sqlite');
  copyFileSync(fixture, file);
  const before = new Database(file, { readonly: true });
  const tables = ['destinations', 'schedules', 'schedule_sources', 'schedule_excludes', 'settings', 'scheduler_lock'];
  const columnsOf = (table: string) => (before.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).join(', ');
  const columns = Object.fromEntries(tables.map((table) => [table, columnsOf(table)]));
  const rowsBefore = Object.fromEntries(tables.map((table) => [table, before.prepare(`SELECT ${columns[table]} FROM ${table} ORDER BY rowid`).all()]));
  assert.deepEqual(versions(before), [1]);
  before.close();

  const db = openDatabase(file);
  t.after(() => db.close());
  assert.deepEqual(versions(db), migrations.map((m) => m.version));
  for (const table of tables) {
    assert.deepEqual(db.prepare(`SELECT ${columns[table]} FROM ${table} ORDER BY rowid`).all(), rowsBefore[table], `rows of ${table} kept`);
  }
  assert.equal(db.prepare('SELECT count(*) FROM jobs').pluck().get(), 0);
});

test('the CLI lists the schedules of a migrated version-1 catalog', (t) => {
  const folder = temporaryFolder(t);
  copyFileSync(fixture, join(folder, 'dormouse.sqlite'));
  const result = dormouse(['schedule', 'list', '--json', '--data-dir', folder]);
  assert.equal(result.code, 0, result.stderr);
  const list = result.json<Array<{ name: string; sources: string[]; excludes: string[]; enabled: boolean; compression: string; keepLast: number | null }>>();
  assert.deepEqual(
    list.map((s) => [s.name, s.sources, s.excludes, s.enabled, s.compression, s.keepLast]),
    [
      ['Documents', ['/home/ana/Documents', '/home/ana/Notes'], ['**/node_modules', '*.tmp'], true, 'none', 10],
      ['Photos', ['/home/ana/Pictures'], [], false, 'gzip', null],
    ],
  );
});

test('a catalog newer than this code is refused with a clear error and left byte-for-byte untouched', (t) => {
  const folder = temporaryFolder(t);
  const file = join(folder, 'dormouse.sqlite');
  const setup = openDatabase(file);
  setup.prepare('INSERT INTO schema_migrations (version, migrated_at) VALUES (?, ?)').run(latestSchemaVersion + 1, Date.now());
  setup.pragma('wal_checkpoint(TRUNCATE)');
  setup.close();
  const filesBefore = readdirSync(folder).sort();
  const hash = sha256(file);

  assert.throws(() => openDatabase(file), (error: unknown) => {
    assert.ok(error instanceof DormouseError);
    assert.equal(error.code, 'SCHEMA_TOO_NEW');
    assert.match(error.message, new RegExp(`schema version ${latestSchemaVersion + 1}`));
    assert.match(error.message, /update Dormouse/);
    return true;
  });
  assert.equal(sha256(file), hash);

  const cli = dormouse(['destination', 'list', '--data-dir', folder]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /^error: .*newer than this Dormouse knows.*\n$/);
  assert.equal(sha256(file), hash);
  assert.deepEqual(readdirSync(folder).filter((name) => !name.endsWith('-shm') && !name.endsWith('-wal')).sort(), filesBefore.filter((name) => !name.endsWith('-shm') && !name.endsWith('-wal')));
});

test('a file that is not a catalog is reported clearly and not overwritten', (t) => {
  const folder = temporaryFolder(t);
  const file = join(folder, 'dormouse.sqlite');
  writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
  const hash = sha256(file);
  const cli = dormouse(['schedule', 'list', '--data-dir', folder]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /^error: the catalog .* cannot be read .*move it aside/);
  assert.equal(sha256(file), hash);
});

// SQLite says only "disk I/O error" when the disk is too full for its shared-memory file; the
// person is told the disk is full, and nothing is lost once space is freed.
test('a catalog on a full disk: every command says the disk is full (not "check permissions"), and all is there once space is freed', (t) => {
  const disk = mountSmallDisk(t, 2);
  if (disk === null) return t.skip('mounting a tmpfs needs root');
  const data = join(disk, 'data');
  const documents = join(temporaryFolder(t), 'Documents');
  mkdirSync(documents);
  writeFileSync(join(documents, 'letter.txt'), 'Dear Ana,\n');
  const drive = temporaryFolder(t);
  for (const args of [['destination', 'add', '--name', 'usb', '--path', drive], ['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '@daily'], ['run', 'Documents']]) {
    const done = dormouse([...args, '--json', '--data-dir', data]);
    assert.equal(done.code, 0, done.stderr);
  }
  const filler = join(disk, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']);
  assert.ok(statfsSync(disk).bavail === 0, 'the disk is full');
  for (const args of [['jobs'], ['run', 'Documents']]) {
    const refused = dormouse([...args, '--data-dir', data]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr, `error: the disk holding the catalog ${join(data, 'dormouse.sqlite')} is full (0 B free); free some space there and try again (the catalog was left as it was), or pass --data-dir\n`);
  }
  rmSync(filler);
  const jobs = dormouse(['jobs', '--json', '--data-dir', data]);
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.deepEqual(jobs.json<{ status: string }[]>().map((job) => job.status), ['succeeded']);
});

test('the data folder is created on first use', (t) => {
  const folder = temporaryFolder(t);
  const dataDir = join(folder, 'nested', 'Dormouse');
  const cli = dormouse(['destination', 'list', '--data-dir', dataDir]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(existsSync(join(dataDir, 'dormouse.sqlite')));
});

test('a writer waits for another process holding the catalog instead of failing at once', async (t) => {
  const folder = temporaryFolder(t);
  const file = join(folder, 'dormouse.sqlite');
  openDatabase(file).close();
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
       db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700); db.exec('COMMIT'); db.close();`,
      file,
    ],
    { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(holder.stdout, 'data');
  const db = openDatabase(file);
  t.after(() => db.close());
  const started = Date.now();
  db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run('probe', '1', Date.now());
  const waited = Date.now() - started;
  await once(holder, 'exit');
  assert.ok(waited >= 300, `the insert waited ${waited} ms for the other process's transaction`);
  assert.equal(db.prepare("SELECT value FROM settings WHERE key = 'probe'").pluck().get(), '1');
});
