import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { dormouse, temporaryFolder, type CliResult, describeResult, expectError, expectOk } from '../helpers/cli';
import { startDormouse, waitFor } from '../helpers/trees';

const catalogName = 'dormouse.sqlite';



const assertError = expectError;

/** A workspace folder with a drive/ folder to add as a destination and a docs/ folder to back up. */
function workspace(t: { after: (fn: () => void) => void }) {
  const root = realpathSync(temporaryFolder(t));
  mkdirSync(join(root, 'drive'));
  mkdirSync(join(root, 'docs'));
  return { root, drive: join(root, 'drive'), docs: join(root, 'docs') };
}

function destinationNames(result: CliResult): string[] {
  return expectOk<{ name: string }[]>(result).map((destination) => destination.name);
}

test('--data-dir works before and after the subcommand, naming the same catalog', (t) => {
  const { root, drive } = workspace(t);
  const dataDir = join(root, 'data');

  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--data-dir', dataDir, '--json']));
  assert.ok(existsSync(join(dataDir, catalogName)), 'the catalog is created in the --data-dir folder');

  assert.deepEqual(destinationNames(dormouse(['--data-dir', dataDir, '--json', 'destination', 'list'])), ['usb']);
  assert.deepEqual(destinationNames(dormouse(['destination', '--data-dir', dataDir, 'list', '--json'])), ['usb']);
});

test('DORMOUSE_DATA_DIR names the data folder when --data-dir is absent', (t) => {
  const { root, drive } = workspace(t);
  const dataDir = join(root, 'env-data');

  expectOk(dormouse(['--json', 'destination', 'add', '--name', 'usb', '--path', drive], { env: { DORMOUSE_DATA_DIR: dataDir } }));
  assert.ok(existsSync(join(dataDir, catalogName)));
  assert.deepEqual(destinationNames(dormouse(['--json', 'destination', 'list'], { env: { DORMOUSE_DATA_DIR: dataDir } })), ['usb']);
  assert.deepEqual(destinationNames(dormouse(['--json', '--data-dir', dataDir, 'destination', 'list'])), ['usb']);
});

test('--data-dir wins over DORMOUSE_DATA_DIR', (t) => {
  const { root, drive } = workspace(t);
  const optionDir = join(root, 'option-data');
  const envDir = join(root, 'env-data');

  expectOk(dormouse(['--json', '--data-dir', optionDir, 'destination', 'add', '--name', 'usb', '--path', drive], { env: { DORMOUSE_DATA_DIR: envDir } }));

  assert.ok(existsSync(join(optionDir, catalogName)));
  assert.ok(!existsSync(envDir), 'the folder DORMOUSE_DATA_DIR names is left alone');
  assert.deepEqual(destinationNames(dormouse(['--json', '--data-dir', optionDir, 'destination', 'list'], { env: { DORMOUSE_DATA_DIR: envDir } })), ['usb']);
});

test('a relative --data-dir resolves against the current folder', (t) => {
  const { root, drive } = workspace(t);
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);

  expectOk(dormouse(['--json', '--data-dir', 'state/dormouse', 'destination', 'add', '--name', 'usb', '--path', drive], { cwd: root }));
  assert.ok(existsSync(join(root, 'state', 'dormouse', catalogName)));

  assert.deepEqual(destinationNames(dormouse(['--json', '--data-dir', '../state/dormouse', 'destination', 'list'], { cwd: elsewhere })), ['usb']);
  assert.deepEqual(destinationNames(dormouse(['--json', '--data-dir', 'state/dormouse', 'destination', 'list'], { cwd: elsewhere })), []);
  assert.ok(existsSync(join(elsewhere, 'state', 'dormouse', catalogName)), 'the same relative path from elsewhere is another catalog');
});

test('--json prints exactly one JSON document on stdout for every command', (t) => {
  const { root, drive, docs } = workspace(t);
  const run = (args: string[]) => dormouse(['--data-dir', join(root, 'data'), ...args, '--json'], { cwd: root });
  const commands = [
    ['destination', 'list'],
    ['destination', 'add', '--name', 'usb', '--path', drive],
    ['schedule', 'list'],
    ['schedule', 'add', '--name', 'Docs', '--source', docs, '--destination', 'usb', '--cron', '0 9 * * *'],
    ['schedule', 'edit', 'Docs', '--cron', '0 10 * * *'],
    ['schedule', 'disable', 'Docs'],
    ['schedule', 'enable', 'Docs'],
    ['schedule', 'list'],
    ['destination', 'list'],
    ['cron', '0 9 * * *'],
    ['schedule', 'remove', 'Docs'],
    ['destination', 'remove', 'usb'],
  ];
  for (const command of commands) {
    const result = run(command);
    assert.equal(result.code, 0, `${command.join(' ')}: ${describeResult(result)}`);
    assert.equal(result.stderr, '', `${command.join(' ')}: ${describeResult(result)}`);
    assert.doesNotThrow(() => JSON.parse(result.stdout), `${command.join(' ')} prints one JSON document: ${result.stdout}`);
    assert.equal(typeof JSON.parse(result.stdout), 'object');
  }
});

test('without --json the output is readable text, not JSON', (t) => {
  const { root, drive } = workspace(t);
  const dataDir = join(root, 'data');
  const added = dormouse(['--data-dir', dataDir, 'destination', 'add', '--name', 'usb', '--path', drive]);
  assert.equal(added.code, 0, describeResult(added));
  assert.match(added.stdout, /usb/);
  assert.throws(() => JSON.parse(added.stdout));

  const listed = dormouse(['--data-dir', dataDir, 'destination', 'list']);
  assert.equal(listed.code, 0, describeResult(listed));
  assert.match(listed.stdout, /usb/);
  assert.ok(listed.stdout.includes(drive), listed.stdout);
  assert.throws(() => JSON.parse(listed.stdout));
});

for (const [label, args, says] of [
  ['an unknown command', ['backup-everything'], /backup-everything/],
  ['an unknown subcommand', ['destination', 'rename'], /rename/],
  ['an unknown option', ['destination', 'list', '--verbose'], /--verbose/],
  ['an unknown global option', ['--quiet', 'destination', 'list'], /--quiet/],
  ['a misspelt command', ['schedul', 'list'], /schedul/],
  ['a misspelt option of a subcommand', ['cron', '0 9 * * *', '--cout', '3'], /--cout/],
  ['a misspelt global option after the subcommand', ['destination', 'list', '--jsn'], /--jsn/],
  ['a missing --path', ['destination', 'add', '--name', 'usb'], /--path/],
  ['a missing --name', ['destination', 'add', '--path', '.'], /--name/],
  ['a missing --cron', ['schedule', 'add', '--name', 'Docs', '--source', '.', '--destination', 'usb'], /--cron/],
  ['a missing --destination', ['schedule', 'add', '--name', 'Docs', '--source', '.', '--cron', '0 9 * * *'], /--destination/],
  ['a missing schedule name', ['schedule', 'remove'], /name/],
  ['a missing destination name', ['destination', 'remove'], /name/],
  ['an option without its value', ['destination', 'add', '--name', 'usb', '--path'], /--path/],
  ['too many arguments', ['destination', 'list', 'extra'], /argument/],
  // An empty path would mean the current folder (a restore into wherever the command was typed).
  ['an empty --path', ['destination', 'add', '--name', 'usb', '--path', ''], /^error: --path: must not be empty$/m],
  ['an empty --source', ['schedule', 'add', '--name', 'Docs', '--source', '', '--destination', 'usb', '--cron', '@daily'], /^error: --source: must not be empty$/m],
  ['an empty --to', ['restore', '1', '--to', ' '], /^error: --to: must not be empty$/m],
  ['an empty --data-dir', ['--data-dir', '', 'jobs'], /^error: --data-dir: must not be empty$/m],
] as const) {
  test(`${label} exits 2 with one error line, with or without --json, touching no catalog`, (t) => {
    const { root } = workspace(t);
    const dataDir = join(root, 'data');
    assertError(dormouse(['--data-dir', dataDir, ...args], { cwd: root }), 2, says);
    assertError(dormouse(['--json', '--data-dir', dataDir, ...args], { cwd: root }), 2, says);
    assert.ok(!existsSync(dataDir), 'a usage error creates no data folder');
  });
}

test('an invalid request exits 2 with one error line and nothing on stdout, also with --json', (t) => {
  const { root } = workspace(t);
  const dataDir = join(root, 'data');
  assertError(dormouse(['--data-dir', dataDir, 'destination', 'remove', 'usb']), 2, /"usb"/);
  assertError(dormouse(['--data-dir', dataDir, '--json', 'destination', 'remove', 'usb']), 2, /"usb"/);
  assertError(dormouse(['--data-dir', dataDir, '--json', 'destination', 'add', '--name', 'usb', '--path', join(root, 'missing')]), 2, /missing/);
});

test('a field the engine refuses is named as the option that was typed, not as the contract spells it', (t) => {
  const { root, drive, docs } = workspace(t);
  const dataDir = join(root, 'data');
  expectOk(dormouse(['--data-dir', dataDir, 'destination', 'add', '--name', 'usb', '--path', drive, '--json']));
  const add = ['--data-dir', dataDir, 'schedule', 'add', '--name', 'Docs', '--source', docs, '--destination', 'usb', '--cron', '@daily'];
  assertError(dormouse([...add, '--exclude', '*.tmp', '--exclude', '']), 2, /^error: --exclude: must not be empty\n$/);
  expectOk(dormouse([...add, '--json']));
  assertError(dormouse(['--data-dir', dataDir, 'schedule', 'edit', 'Docs', '--name', ' ']), 2, /^error: --name: must not be empty\n$/);
});

test('an error message says how to fix it', (t) => {
  const { root } = workspace(t);
  const dataDir = join(root, 'data');
  // The unknown destination's error points to the command that adds one.
  assertError(
    dormouse(['--data-dir', dataDir, 'schedule', 'add', '--name', 'Docs', '--source', root, '--destination', 'usb', '--cron', '0 9 * * *']),
    2,
    /dormouse destination add/,
  );
});

test('a catalog that cannot be read fails with exit 1 and one error line, leaving the file untouched', (t) => {
  const { root } = workspace(t);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const catalog = join(dataDir, catalogName);
  writeFileSync(catalog, 'this is not a SQLite database, just some text that is long enough to have a header');
  const before = readFileSync(catalog);

  assertError(dormouse(['--data-dir', dataDir, 'destination', 'list']), 1, /dormouse\.sqlite/);
  assertError(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'list']), 1, /dormouse\.sqlite/);
  assert.deepEqual(readFileSync(catalog), before);
});

test('a --data-dir that is a file fails with exit 1 and says to pass another --data-dir', (t) => {
  const { root } = workspace(t);
  const file = join(root, 'not-a-folder');
  writeFileSync(file, 'a file');

  assertError(dormouse(['--data-dir', file, 'destination', 'list']), 1, /--data-dir/);
  assert.equal(readFileSync(file, 'utf8'), 'a file');
});

test('--help prints the usage on stdout and exits 0', () => {
  const result = dormouse(['--help']);
  assert.equal(result.code, 0, describeResult(result));
  assert.match(result.stdout, /Usage: dormouse/);
  for (const command of ['destination', 'schedule', 'cron']) assert.match(result.stdout, new RegExp(command));
});

test('a run, restore or verify that fails before its work starts ends at once and leaves no worker process behind', async (t) => {
  const { root } = workspace(t);
  const dataDir = join(root, 'data');
  // These commands start their archive worker while the CLI loads; one that never gets to use it must not keep it.
  for (const args of [['run', 'Nothing'], ['restore', '999', '--to', join(root, 'out')], ['--json', 'verify', '999']]) {
    const running = startDormouse(['--data-dir', dataDir, ...args], { ownProcessGroup: true });
    const group = running.child.pid as number;
    const result = await running.done;
    assert.notEqual(result.code, 0, `${args.join(' ')} fails: ${result.stderr}`);
    assert.match(result.stderr, /Nothing|999/, `${args.join(' ')} says what it did not find`);
    const left = await waitFor(
      `the processes of \`dormouse ${args.join(' ')}\` to end`,
      // A process that has ended but is not yet reaped by init (state Z) is gone for the user.
      () => (spawnSync('ps', ['-o', 'stat=', '-g', String(group)], { encoding: 'utf8' }).stdout.split('\n').every((state) => state.trim() === '' || state.startsWith('Z')) ? 'none' : undefined),
      5000,
    );
    assert.equal(left, 'none');
  }
});

test('text output says "1 file" for one file and "2 files" for two, in the job line and the restore line; the job list names schedules', (t) => {
  const { root, drive, docs } = workspace(t);
  const dataDir = join(root, 'data');
  writeFileSync(join(docs, 'only.txt'), 'one file\n');
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'destination', 'add', '--name', 'usb', '--path', drive]));
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'add', '--name', 'docs', '--source', docs, '--destination', 'usb', '--cron', '0 9 * * *']));
  const one = dormouse(['--data-dir', dataDir, 'run', 'docs']);
  assert.equal(one.code, 0, describeResult(one));
  assert.match(one.stdout, /^ {2}1 file, \d+ B -> /m, one.stdout);
  const restoredOne = dormouse(['--data-dir', dataDir, 'restore', '1', '--to', join(root, 'back-one')]);
  assert.match(restoredOne.stdout, /^Restored 1 file \(9 B\) from snapshot 1 into /, describeResult(restoredOne));
  writeFileSync(join(docs, 'second.txt'), 'two files\n');
  const two = dormouse(['--data-dir', dataDir, 'run', 'docs']);
  assert.match(two.stdout, /^ {2}2 files, \d+ B -> /m, two.stdout);
  const restoredTwo = dormouse(['--data-dir', dataDir, 'restore', '2', '--to', join(root, 'back-two')]);
  assert.match(restoredTwo.stdout, /^Restored 2 files \(19 B\) from snapshot 2 into /, describeResult(restoredTwo));
  const same = dormouse(['--data-dir', dataDir, 'restore', '1', '--to', join(root, 'back-one')]);
  assert.equal(same.stdout, `Restored 0 files (0 B) from snapshot 1 into ${join(root, 'back-one')}.\n1 file was already there as in the snapshot, and left as it is.\n`, describeResult(same));
  writeFileSync(join(root, 'back-one', docs, 'only.txt'), 'edited since\n');
  const again = dormouse(['--data-dir', dataDir, 'restore', '1', '--to', join(root, 'back-one')]);
  assert.match(again.stdout, /^Restored 0 files \(0 B\)[^\n]*\n1 existing file left as it is \(restore again with --overwrite to replace it/, describeResult(again));
  for (const name of ['only.txt', 'second.txt']) writeFileSync(join(root, 'back-two', docs, name), 'edited since\n');
  const againTwo = dormouse(['--data-dir', dataDir, 'restore', '2', '--to', join(root, 'back-two')]);
  assert.match(againTwo.stdout, /\n2 existing files left as they are \(restore again with --overwrite to replace them/, describeResult(againTwo));
  expectError(dormouse(['--data-dir', dataDir, 'destination', 'remove', 'usb']), 2, /destination "usb" is used by schedule docs; remove it or point it at another destination first/);
  const jobs = dormouse(['--data-dir', dataDir, 'jobs']);
  assert.match(jobs.stdout, /^2 +docs +manual +succeeded /m, 'the job list names each job\'s schedule');
  assert.match(jobs.stdout, /^1 +docs +manual +succeeded /m, jobs.stdout);
});

test('a long list in text (here 25 files left as they are) shows its first 20 lines and how many more; --json has every one', (t) => {
  const { root, drive, docs } = workspace(t);
  const dataDir = join(root, 'data');
  const names = Array.from({ length: 25 }, (_, index) => `letter-${String(index).padStart(2, '0')}.txt`);
  for (const name of names) writeFileSync(join(docs, name), `${name}\n`);
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'destination', 'add', '--name', 'usb', '--path', drive]));
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'add', '--name', 'docs', '--source', docs, '--destination', 'usb', '--cron', '0 9 * * *']));
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'run', 'docs']));
  const target = join(root, 'back');
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'restore', '1', '--to', target]));
  for (const name of names) writeFileSync(join(target, docs, name), 'edited since\n');
  const text = dormouse(['--data-dir', dataDir, 'restore', '1', '--to', target]);
  assert.equal(text.code, 1);
  assert.equal(
    text.stdout,
    [
      `Restored 0 files (0 B) from snapshot 1 into ${target}.`,
      '25 existing files left as they are (restore again with --overwrite to replace them):',
      ...names.slice(0, 20).map((name) => `  ${join(docs, name)}`),
      '  … and 5 more (--json lists every one)',
      '',
    ].join('\n'),
  );
  const json = dormouse(['--data-dir', dataDir, '--json', 'restore', '1', '--to', target]);
  assert.deepEqual(json.json<{ conflicts: string[] }>().conflicts, names.map((name) => join(docs, name)));
});

test('ls shows a name that is not valid UTF-8 with its stray byte as \\xNN, in text; --json keeps it as \\udcNN', (t) => {
  const { root, drive, docs } = workspace(t);
  const dataDir = join(root, 'data');
  writeFileSync(Buffer.concat([Buffer.from(join(docs, 'caf')), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1\n');
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'destination', 'add', '--name', 'usb', '--path', drive]));
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'schedule', 'add', '--name', 'docs', '--source', docs, '--destination', 'usb', '--cron', '0 9 * * *']));
  expectOk(dormouse(['--data-dir', dataDir, '--json', 'run', 'docs']));
  const text = dormouse(['--data-dir', dataDir, 'ls', '1', docs]);
  assert.equal(text.code, 0, describeResult(text));
  assert.ok(text.stdout.includes(`${docs}/caf\\xe9.txt`), text.stdout);
  assert.ok(!text.stdout.includes('\uFFFD'), 'no replacement character');
  const listing = expectOk<{ entries: { path: string }[] }>(dormouse(['--data-dir', dataDir, '--json', 'ls', '1', docs]));
  assert.deepEqual(listing.entries.map((entry) => entry.path), [`${docs}/caf\udce9.txt`]);
});
