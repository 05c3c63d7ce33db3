import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, expectOk, temporaryFolder } from '../helpers/cli';

/**
 * The `dormouse` command keeps V8's compiled code of its bundle in the user's cache folder
 * (bin/load-with-code-cache.cjs): the first run writes it, privately; later runs use it as it is;
 * a damaged one never breaks a command and is written again; DORMOUSE_CODE_CACHE=off keeps none.
 */

function setUp(t: { after: (fn: () => void) => void }) {
  const root = temporaryFolder(t);
  const cacheHome = join(root, 'cache');
  const dataDir = join(root, 'data');
  mkdirSync(join(root, 'drive'));
  const run = (extra: NodeJS.ProcessEnv = {}) => dormouse(['--data-dir', dataDir, '--json', 'destination', 'list'], { env: { XDG_CACHE_HOME: cacheHome, ...extra } });
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'destination', 'add', '--name', 'usb', '--path', join(root, 'drive')], { env: { XDG_CACHE_HOME: cacheHome } }));
  return { cacheHome, folder: join(cacheHome, 'dormouse'), run };
}

const names = (listed: { name: string }[]) => listed.map((destination) => destination.name);

test('the first command writes the code cache privately; the next ones use it without writing it again', { skip: process.platform === 'win32' && 'the cache folder is LOCALAPPDATA there' }, (t) => {
  const { folder, run } = setUp(t);
  const caches = readdirSync(folder);
  assert.equal(caches.length, 1, `one cache file: ${caches.join(', ')}`);
  const [cache] = caches as [string];
  assert.match(cache, /^cli-[0-9a-f]{16}\.v8-cache$/);
  const file = join(folder, cache);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the cache is private');
  assert.equal(statSync(folder).mode & 0o777, 0o700);
  assert.ok(statSync(file).size > 100_000, `it holds compiled code (${statSync(file).size} bytes)`);
  const before = statSync(file, { bigint: true });
  for (let again = 0; again < 2; again += 1) assert.deepEqual(names(expectOk(run())), ['usb']);
  const after = statSync(file, { bigint: true });
  assert.equal(after.ino, before.ino, 'V8 took the cache: it was not written again');
  assert.equal(after.mtimeNs, before.mtimeNs);
});

test('a damaged code cache never breaks a command: it runs as ever and the cache is written again', (t) => {
  const { folder, run } = setUp(t);
  const [cache] = readdirSync(folder) as [string];
  const file = join(folder, cache);
  const garbage = Buffer.alloc(statSync(file).size, 0x5a);
  writeFileSync(file, garbage);
  assert.deepEqual(names(expectOk(run())), ['usb'], 'the command gives its usual answer');
  assert.deepEqual(readdirSync(folder), [cache], 'no other file is left beside it');
  assert.ok(!readFileSync(file).equals(garbage), 'V8 refused the damaged cache, and a good one took its place');
  writeFileSync(file, Buffer.from('short'));
  assert.deepEqual(names(expectOk(run())), ['usb'], 'a cut-off cache too');
});

test('DORMOUSE_CODE_CACHE=off keeps no cache, and a cache folder that cannot be made costs nothing but the cache', (t) => {
  const root = temporaryFolder(t);
  const dataDir = join(root, 'data');
  const cacheHome = join(root, 'cache');
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'list'], { env: { XDG_CACHE_HOME: cacheHome, DORMOUSE_CODE_CACHE: 'off' } }));
  assert.ok(!existsSync(cacheHome), 'nothing was written');
  // A file where the cache folder would be: the folder cannot be made.
  writeFileSync(cacheHome, 'not a folder');
  assert.deepEqual(expectOk(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'list'], { env: { XDG_CACHE_HOME: cacheHome } })), []);
  assert.equal(readFileSync(cacheHome, 'utf8'), 'not a folder');
});

test('a backup\'s archive worker keeps its code cache too: the first backup writes it, the next ones start from it', (t) => {
  const root = temporaryFolder(t);
  const cacheHome = join(root, 'cache');
  const folder = join(cacheHome, 'dormouse');
  const env = { XDG_CACHE_HOME: cacheHome };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => dormouse(['--data-dir', join(root, 'data'), '--json', ...args], { env: { ...env, ...extra } });
  mkdirSync(join(root, 'drive'));
  mkdirSync(join(root, 'home'));
  writeFileSync(join(root, 'home', 'notes.txt'), 'remember the milk\n');
  expectOk(cli(['destination', 'add', '--name', 'usb', '--path', join(root, 'drive')]));
  expectOk(cli(['schedule', 'add', '--name', 'Home', '--source', join(root, 'home'), '--destination', 'usb', '--cron', '0 9 * * *']));
  const workerCaches = () => readdirSync(folder).filter((name) => name.startsWith('archive-worker-'));
  assert.deepEqual(workerCaches(), [], 'no worker has run yet');

  assert.equal(expectOk<{ status: string }>(cli(['run', 'Home'])).status, 'succeeded');
  const caches = workerCaches();
  assert.equal(caches.length, 1, `one worker cache: ${caches.join(', ')}`);
  const file = join(folder, caches[0] as string);
  assert.match(caches[0] as string, /^archive-worker-[0-9a-f]{16}\.v8-cache$/);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the cache is private');
  assert.ok(statSync(file).size > 50_000, `it holds compiled code (${statSync(file).size} bytes)`);
  const before = statSync(file, { bigint: true });
  writeFileSync(join(root, 'home', 'todo.txt'), 'call the plumber\n');
  const second = expectOk<{ status: string; files: number }>(cli(['run', 'Home']));
  assert.equal(second.status, 'succeeded');
  assert.equal(second.files, 2, 'the worker that started from the cache backed up the whole tree');
  const after = statSync(file, { bigint: true });
  assert.equal(after.ino, before.ino, 'V8 took the cache: it was not written again');
  assert.equal(after.mtimeNs, before.mtimeNs);

  writeFileSync(file, Buffer.alloc(Number(before.size), 0x5a));
  assert.equal(expectOk<{ status: string }>(cli(['run', 'Home'])).status, 'succeeded', 'a damaged worker cache breaks no backup');
  assert.ok(!readFileSync(file).equals(Buffer.alloc(Number(before.size), 0x5a)), 'and is written again');

  const offHome = join(root, 'cache-off');
  assert.equal(expectOk<{ status: string }>(cli(['run', 'Home'], { XDG_CACHE_HOME: offHome, DORMOUSE_CODE_CACHE: 'off' })).status, 'succeeded');
  assert.ok(!existsSync(offHome), 'DORMOUSE_CODE_CACHE=off: the worker keeps none either');
});
