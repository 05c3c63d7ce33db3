// The catalog database when something is wrong with it: damaged (a garbled header, a garbled page,
// cut to half its size), held by another program past the busy timeout, or in a folder or file the
// user may not write. Every time: one clear `error:` line naming the catalog and what to do, exit 1,
// and the file kept byte-for-byte (no new catalog written in its place).
// A catalog at a newer schema version, and a text file where the catalog should be, are refused by
// the CLI in test/store/catalog-migrations.test.ts; here the daemon is checked on the newer schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dormouse, repoRoot, temporaryFolder, type CliResult } from '../helpers/cli';
import { describeResult, workspace } from '../helpers/trees';
import { latestSchemaVersion } from '../../src-main/store/migrations';
import { openToOthers, seededRandom, unprivilegedUser } from './fault-kit';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The data folder's files, leaving out SQLite's shared-memory file and an empty write-ahead log (neither holds data). */
function folderState(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => !name.endsWith('-shm') && !(name.endsWith('-wal') && statSync(join(folder, name)).size === 0))
    .map((name) => `${name} ${statSync(join(folder, name)).size}`)
    .sort();
}

/** A real catalog with destinations, a schedule, jobs and snapshots, made by the CLI; answers a fresh copy of its data folder each time. */
function realCatalog(t: Parameters<typeof workspace>[0]) {
  const ws = workspace(t);
  writeFileSync(join(ws.src, 'a.txt'), 'a\n');
  ws.addSchedule('Docs');
  for (let run = 0; run < 3; run += 1) {
    writeFileSync(join(ws.src, `b-${run}.txt`), `run ${run}\n`);
    assert.equal(ws.ok<{ status: string }>(['run', 'Docs']).status, 'succeeded');
  }
  assert.ok(!existsSync(`${ws.catalog}-wal`), 'the CLI closed the catalog cleanly');
  let copies = 0;
  return {
    ws,
    copy(): { dataDir: string; catalog: string } {
      copies += 1;
      const dataDir = join(ws.root, `copy-${copies}`);
      mkdirSync(dataDir);
      copyFileSync(ws.catalog, join(dataDir, 'dormouse.sqlite'));
      return { dataDir, catalog: join(dataDir, 'dormouse.sqlite') };
    },
  };
}

/** One `error:` line naming the catalog, exit 1, nothing on stdout, and no "please report it" (these are expected faults). */
function assertClearCatalogError(result: CliResult, catalog: string, what: string): void {
  const shown = `${what}: exit ${result.code}, stderr ${JSON.stringify(result.stderr)}, stdout ${JSON.stringify(result.stdout.slice(0, 200))}`;
  assert.equal(result.code, 1, shown);
  assert.equal(result.stdout, '', shown);
  assert.match(result.stderr, /^error: [^\n]+\n$/, `one error line: ${shown}`);
  assert.ok(result.stderr.includes(catalog), `the error names the catalog ${catalog}: ${shown}`);
  assert.doesNotMatch(result.stderr, /unexpected failure|please report/i, `a known fault is not an "unexpected failure": ${shown}`);
}

const commands: [string, string[]][] = [
  ['schedule list', ['schedule', 'list']],
  ['jobs', ['jobs']],
  ['status', ['status']],
  ['run Docs', ['run', 'Docs']],
];

test('the daemon refuses a catalog at a newer schema version with one error line, exit 1, and leaves it byte-for-byte untouched', (t) => {
  const catalog = realCatalog(t);
  const { dataDir, catalog: file } = catalog.copy();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (version, migrated_at) VALUES (?, ?)').run(latestSchemaVersion + 1, Date.now());
  db.close();
  const hash = sha256(file);
  const before = folderState(dataDir);
  const result = dormouse(['daemon', '--settle-seconds', '1', '--data-dir', dataDir]);
  assert.equal(result.code, 1, describeResult(result));
  assert.match(result.stderr, /^error: [^\n]*newer than this Dormouse knows[^\n]*\n$/, describeResult(result));
  assert.doesNotMatch(result.stdout, /scheduler lock taken/, 'the daemon never started scheduling');
  assert.equal(sha256(file), hash, 'the catalog is byte-for-byte untouched');
  assert.deepEqual(folderState(dataDir), before);
});

/** Runs every command on a catalog that cannot be read: each says so (exit 1), and neither the file nor its folder changes. */
function expectEveryCommandToFindItUnreadable(dataDir: string, file: string): void {
  const hash = sha256(file);
  const before = folderState(dataDir);
  for (const [what, args] of commands) {
    const result = dormouse(['--data-dir', dataDir, ...args, '--json']);
    assertClearCatalogError(result, file, what);
    assert.match(result.stderr, /cannot be read/, what);
    assert.equal(sha256(file), hash, `${what}: the catalog is byte-for-byte untouched`);
    assert.deepEqual(folderState(dataDir), before, `${what}: no new catalog beside or in place of it`);
  }
}

test('a real catalog whose first page is garbled: every command says the catalog cannot be read, exit 1, and the file is kept byte-for-byte', (t) => {
  const catalog = realCatalog(t);
  const { dataDir, catalog: file } = catalog.copy();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('this is not the SQLite header you are looking for'), 0, undefined, 0);
  closeSync(fd);
  expectEveryCommandToFindItUnreadable(dataDir, file);
});

test('a real catalog truncated to half its size: every command says the catalog cannot be read, exit 1, and the file is kept byte-for-byte', (t) => {
  const catalog = realCatalog(t);
  const { dataDir, catalog: file } = catalog.copy();
  truncateSync(file, Math.floor(statSync(file).size / 2));
  expectEveryCommandToFindItUnreadable(dataDir, file);
});

test('a real catalog with one garbled page (the jobs table, as a bad sector would leave it): commands that need it say the catalog is damaged, naming it, exit 1, and the file is kept byte-for-byte', (t) => {
  const catalog = realCatalog(t);
  const { dataDir, catalog: file } = catalog.copy();
  const db = new Database(file, { readonly: true });
  const rootPage = db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").pluck().get() as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const random = seededRandom(16);
  const garbage = Buffer.from(Array.from({ length: pageSize }, () => Math.floor(random() * 256)));
  const fd = openSync(file, 'r+');
  writeSync(fd, garbage, 0, pageSize, (rootPage - 1) * pageSize);
  closeSync(fd);
  const hash = sha256(file);
  const before = folderState(dataDir);
  const problems: string[] = [];
  for (const [what, args] of [
    ['jobs', ['jobs']],
    ['run Docs', ['run', 'Docs']],
  ] as const) {
    const result = dormouse(['--data-dir', dataDir, ...args, '--json']);
    try {
      assertClearCatalogError(result, file, what);
      assert.match(result.stderr, /cannot be read|damaged|corrupt|malformed/i, what);
    } catch (error) {
      problems.push((error as Error).message.split('\n')[0] as string);
    }
    assert.equal(sha256(file), hash, `${what}: the catalog is byte-for-byte untouched`);
    assert.deepEqual(folderState(dataDir), before, `${what}: no new catalog beside or in place of it`);
  }
  assert.deepEqual(problems, [], 'every command that meets the damaged page reports it clearly');
});

test('another program holding the catalog past the busy timeout: a clear error naming the catalog as busy, exit 1, the catalog unchanged', async (t) => {
  const catalog = realCatalog(t);
  const { dataDir, catalog: file } = catalog.copy();
  const src = join(catalog.ws.root, 'more');
  mkdirSync(src);
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
       db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
       process.stdin.on('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });`,
      file,
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await once(holder.stdout as NodeJS.ReadableStream, 'data');
  const started = Date.now();
  const result = dormouse(['--data-dir', dataDir, 'schedule', 'add', '--name', 'More', '--source', src, '--destination', 'usb', '--cron', '0 4 * * *', '--json']);
  const waited = Date.now() - started;
  holder.stdin?.write('done\n');
  await once(holder, 'exit');
  t.diagnostic(`the CLI gave up after ${waited} ms: ${result.stderr.trim()}`);
  assert.ok(waited >= 4000, `it waited for the busy timeout first (${waited} ms)`);
  assertClearCatalogError(result, file, 'schedule add while another program holds the catalog');
  assert.match(result.stderr, /busy|locked|in use|another/i);
  const listed = dormouse(['--data-dir', dataDir, 'schedule', 'list', '--json']);
  assert.equal(listed.code, 0, describeResult(listed));
  assert.deepEqual(listed.json<{ name: string }[]>().map((schedule) => schedule.name), ['Docs'], 'nothing was half-saved');
});

test('as an unprivileged user: a read-only data folder (chmod 555) and a read-only catalog (chmod 444) give a clear error about permissions, never advice to move a healthy catalog aside; a data folder that cannot be created is named', (t) => {
  const user = unprivilegedUser();
  if (typeof user === 'string') {
    t.skip(user);
    return;
  }
  const root = temporaryFolder(t, 'dormouse-faults-readonly-');
  openToOthers(root);
  const dataDir = join(root, 'data');
  const src = join(root, 'documents');
  const dest = join(root, 'drive');
  const other = join(root, 'pictures');
  for (const folder of [dataDir, src, dest, other]) {
    mkdirSync(folder);
    user.give(folder);
  }
  writeFileSync(join(src, 'a.txt'), 'a\n');
  user.give(join(src, 'a.txt'));
  const cli = (args: string[]) => user.dormouse(['--data-dir', dataDir, ...args]);
  for (const args of [
    ['destination', 'add', '--name', 'usb', '--path', dest],
    ['schedule', 'add', '--name', 'Docs', '--source', src, '--destination', 'usb', '--cron', '0 3 * * *'],
    ['run', 'Docs'],
  ]) {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, describeResult(result));
  }
  const file = join(dataDir, 'dormouse.sqlite');
  const hash = sha256(file);
  const problems: string[] = [];
  const check = (what: string, result: CliResult) => {
    try {
      assertClearCatalogError(result, file, what);
      assert.match(result.stderr, /permission|read-only|readonly|cannot write/i, `${what}: says it is about permissions`);
      assert.doesNotMatch(result.stderr, /move it aside/, `${what}: a healthy catalog must not be moved aside: ${result.stderr.trim()}`);
    } catch (error) {
      problems.push((error as Error).message.split('\n')[0] as string);
    }
    assert.equal(sha256(file), hash, `${what}: the catalog is byte-for-byte untouched`);
  };

  chmodSync(dataDir, 0o555);
  const before = folderState(dataDir);
  check('data folder 555: schedule list', cli(['schedule', 'list', '--json']));
  check('data folder 555: run', cli(['run', 'Docs', '--json']));
  assert.deepEqual(folderState(dataDir), before, 'nothing was created in the read-only folder');

  chmodSync(dataDir, 0o755);
  chmodSync(file, 0o444);
  check('catalog 444: run', cli(['run', 'Docs', '--json']));
  check('catalog 444: schedule add', cli(['schedule', 'add', '--name', 'Other', '--source', other, '--destination', 'usb', '--cron', '0 4 * * *', '--json']));
  chmodSync(file, 0o644);

  // A data folder that cannot be created at all is named, with what to do.
  const locked = join(root, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  const nested = join(locked, 'Dormouse');
  const created = user.dormouse(['--data-dir', nested, 'schedule', 'list', '--json']);
  assert.equal(created.code, 1, describeResult(created));
  assert.equal(created.stderr, `error: cannot create the data folder ${nested} (${locked} does not let you make a folder in it (permission denied)); pass --data-dir with a folder you can write to\n`, describeResult(created));
  assert.ok(!existsSync(nested));

  assert.deepEqual(problems, [], 'every permission fault is reported clearly');
});
