import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, temporaryFolder, type CliResult, expectError, expectOk } from '../helpers/cli';
import type { ScheduleView as Schedule } from '../../shared/types';


const scheduleKeys = [
  'compression',
  'cron',
  'description',
  'destination',
  'enabled',
  'excludes',
  'id',
  'keepDaily',
  'keepLast',
  'keepMonthly',
  'keepWeekly',
  'lastSuccessAt',
  'name',
  'nextRunAt',
  'overdue',
  'sources',
].sort();

const localIsoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?[+-]\d{2}:\d{2}$/;

/**
 * A workspace: a data folder, a destination "usb" at drive/ (with drive/inner), a second
 * destination "nested" at docs/backups (inside a source), source folders docs/ and photos/,
 * and a file notes.txt.
 */
interface Workspace {
  root: string;
  drive: string;
  docs: string;
  photos: string;
  file: string;
  run: (args: string[], env?: NodeJS.ProcessEnv) => CliResult;
  list: (env?: NodeJS.ProcessEnv) => Schedule[];
}



const assertUsageError = (result: CliResult, says: RegExp) => expectError(result, 2, says);

function workspace(t: { after: (fn: () => void) => void }): Workspace {
  const root = realpathSync(temporaryFolder(t));
  const dataDir = join(root, 'data');
  const drive = join(root, 'drive');
  const docs = join(root, 'docs');
  const photos = join(root, 'photos');
  const file = join(root, 'notes.txt');
  for (const folder of [join(drive, 'inner'), join(docs, 'backups'), photos]) mkdirSync(folder, { recursive: true });
  writeFileSync(file, 'a file, not a folder');
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => dormouse(['--data-dir', dataDir, '--json', ...args], { cwd: root, env });
  expectOk(run(['destination', 'add', '--name', 'usb', '--path', drive]));
  expectOk(run(['destination', 'add', '--name', 'nested', '--path', join(docs, 'backups')]));
  return {
    root,
    drive,
    docs,
    photos,
    file,
    run,
    list: (env = {}) => expectOk<Schedule[]>(run(['schedule', 'list'], env)),
  };
}

function byName(list: Schedule[], name: string): Schedule {
  const found = list.find((schedule) => schedule.name === name);
  assert.ok(found, `schedule "${name}" is listed: ${JSON.stringify(list)}`);
  return found;
}

test('schedule add answers the schedule exactly as schedule list shows it', (t) => {
  const w = workspace(t);
  const added = expectOk<Schedule>(
    w.run([
      'schedule', 'add',
      '--name', 'Documents',
      '--source', w.docs,
      '--source', w.photos,
      '--exclude', '**/node_modules',
      '--exclude', '*.tmp',
      '--destination', 'usb',
      '--cron', '30 18 * * 1-5',
      '--compression', 'gzip',
      '--keep-last', '7',
    ]),
  );

  assert.deepEqual(Object.keys(added).sort(), scheduleKeys);
  assert.equal(typeof added.id, 'number');
  assert.equal(added.name, 'Documents');
  assert.equal(added.cron, '30 18 * * 1-5');
  assert.equal(added.description, 'Every weekday at 18:30');
  assert.equal(added.enabled, true);
  assert.deepEqual(added.sources, [w.docs, w.photos]);
  assert.deepEqual(added.excludes, ['**/node_modules', '*.tmp']);
  assert.equal(added.destination, 'usb');
  assert.equal(added.compression, 'gzip');
  assert.equal(added.keepLast, 7);

  const list = w.list();
  assert.equal(list.length, 1);
  assert.deepEqual(Object.keys(list[0] as Schedule).sort(), scheduleKeys);
  assert.deepEqual(list[0], added);
});

test('schedule add defaults: no compression, keep every snapshot, enabled, never backed up and so overdue', (t) => {
  const w = workspace(t);
  const berlin = { TZ: 'Europe/Berlin' };
  const before = Date.now();
  expectOk(w.run(['schedule', 'add', '--name', 'Documents', '--source', w.docs, '--destination', 'usb', '--cron', '0 9 * * *'], berlin));

  const [schedule] = w.list(berlin);
  assert.ok(schedule);
  assert.deepEqual(Object.keys(schedule).sort(), scheduleKeys);
  assert.equal(schedule.description, 'Every day at 09:00');
  assert.equal(schedule.compression, 'none');
  assert.equal(schedule.keepLast, null);
  assert.equal(schedule.keepDaily, null);
  assert.equal(schedule.keepWeekly, null);
  assert.equal(schedule.keepMonthly, null);
  assert.equal(schedule.enabled, true);
  assert.deepEqual(schedule.excludes, []);
  assert.equal(schedule.lastSuccessAt, null);
  assert.equal(schedule.overdue, true, 'a schedule that never backed up is overdue');

  const next = schedule.nextRunAt;
  assert.ok(next !== null);
  assert.match(next, localIsoPattern);
  assert.match(next, /T09:00:00\+0[12]:00$/, 'the next run is at 09:00 Berlin time, with Berlin\'s offset');
  const nextMs = Date.parse(next);
  assert.ok(nextMs > before, `the next run ${next} is in the future`);
  assert.ok(nextMs <= before + 24 * 3600 * 1000 + 1000, `the next run ${next} is within a day`);
});

test('schedule add resolves relative --source paths against the current folder, keeping their order', (t) => {
  const w = workspace(t);
  const added = expectOk<Schedule>(
    w.run(['schedule', 'add', '--name', 'Home', '--source', 'photos', '--source', './docs/../docs', '--destination', 'usb', '--cron', '0 9 * * *']),
  );
  assert.deepEqual(added.sources, [w.photos, w.docs]);
  assert.deepEqual(byName(w.list(), 'Home').sources, [w.photos, w.docs]);
});

test('schedule add --disabled saves a schedule that has no next run and is not overdue', (t) => {
  const w = workspace(t);
  const added = expectOk<Schedule>(w.run(['schedule', 'add', '--name', 'Docs', '--source', w.docs, '--destination', 'usb', '--cron', '0 9 * * *', '--disabled']));
  assert.equal(added.enabled, false);
  assert.equal(added.nextRunAt, null);
  assert.equal(added.overdue, false);
  assert.deepEqual(w.list(), [added]);
});

test('schedule list shows every schedule', (t) => {
  const w = workspace(t);
  assert.deepEqual(w.list(), []);
  expectOk(w.run(['schedule', 'add', '--name', 'Photos', '--source', w.photos, '--destination', 'usb', '--cron', '0 * * * *']));
  expectOk(w.run(['schedule', 'add', '--name', 'Documents', '--source', w.docs, '--destination', 'usb', '--cron', '15 * * * *']));
  const list = w.list();
  assert.deepEqual(list.map((schedule) => schedule.name).sort(), ['Documents', 'Photos']);
  assert.equal(byName(list, 'Photos').description, 'Every hour');
  assert.equal(byName(list, 'Documents').description, 'Every hour at 15 minutes past');
});

/** Adds the schedule the edit tests start from. */
function addDocuments(w: Workspace): Schedule {
  return expectOk<Schedule>(
    w.run([
      'schedule', 'add',
      '--name', 'Documents',
      '--source', w.docs,
      '--source', w.photos,
      '--exclude', '**/node_modules',
      '--exclude', '*.tmp',
      '--destination', 'usb',
      '--cron', '0 9 * * *',
      '--compression', 'gzip',
      '--keep-last', '5',
    ]),
  );
}

/** The fields a person set, without the ones computed from the cron and the clock. */
function definition(schedule: Schedule) {
  const { description: _d, nextRunAt: _n, overdue: _o, cron: _c, ...rest } = schedule;
  return rest;
}

test('schedule edit --cron changes the cron only, keeping sources, excludes and the rest', (t) => {
  const w = workspace(t);
  const before = addDocuments(w);

  const edited = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--cron', '30 22 * * 0']));
  assert.equal(edited.cron, '30 22 * * 0');
  assert.equal(edited.description, 'Every Sunday at 22:30');
  assert.deepEqual(definition(edited), definition(before));
  assert.deepEqual(w.list(), [edited]);
});

test('schedule edit --source replaces the list of sources', (t) => {
  const w = workspace(t);
  const before = addDocuments(w);

  const edited = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--source', 'photos']));
  assert.deepEqual(edited.sources, [w.photos]);
  assert.deepEqual({ ...definition(edited), sources: before.sources }, definition(before));
  assert.deepEqual(w.list(), [edited]);
});

test('schedule edit --exclude replaces the patterns and --clear-excludes removes them all', (t) => {
  const w = workspace(t);
  addDocuments(w);

  const replaced = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--exclude', '*.iso']));
  assert.deepEqual(replaced.excludes, ['*.iso']);
  assert.deepEqual(byName(w.list(), 'Documents').excludes, ['*.iso']);

  const cleared = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--clear-excludes']));
  assert.deepEqual(cleared.excludes, []);
  assert.deepEqual(cleared.sources, [w.docs, w.photos]);
  assert.deepEqual(byName(w.list(), 'Documents').excludes, []);
});

test('schedule edit --keep-last N sets how many snapshots to keep', (t) => {
  const w = workspace(t);
  addDocuments(w);

  assert.equal(expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--keep-last', '12'])).keepLast, 12);
  assert.equal(byName(w.list(), 'Documents').keepLast, 12);
});

test('schedule edit --keep-last all clears the limit', (t) => {
  const w = workspace(t);
  assert.equal(addDocuments(w).keepLast, 5);

  assert.equal(expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--keep-last', 'all'])).keepLast, null);
  assert.equal(byName(w.list(), 'Documents').keepLast, null);
});

test('schedule add --keep-last all keeps every snapshot', (t) => {
  const w = workspace(t);
  const added = expectOk<Schedule>(w.run(['schedule', 'add', '--name', 'Docs', '--source', w.docs, '--destination', 'usb', '--cron', '0 9 * * *', '--keep-last', 'all']));
  assert.equal(added.keepLast, null);
  assert.deepEqual(w.list(), [added]);
});

test('schedule edit --compression changes the compression only', (t) => {
  const w = workspace(t);
  const before = addDocuments(w);

  const edited = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--compression', 'none']));
  assert.equal(edited.compression, 'none');
  assert.deepEqual({ ...definition(edited), compression: 'gzip' }, definition(before));
});

test('schedule edit --name renames the schedule, keeping its id and settings', (t) => {
  const w = workspace(t);
  const before = addDocuments(w);

  const renamed = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--name', 'Papers']));
  assert.equal(renamed.name, 'Papers');
  assert.equal(renamed.id, before.id);
  assert.deepEqual({ ...definition(renamed), name: 'Documents' }, definition(before));
  assert.deepEqual(w.list().map((schedule) => schedule.name), ['Papers']);
  assertUsageError(w.run(['schedule', 'edit', 'Documents', '--cron', '0 10 * * *']), /"Documents"/);
});

test('schedule edit --destination moves the schedule to another destination', (t) => {
  const w = workspace(t);
  addDocuments(w);
  const other = join(w.root, 'other-drive');
  mkdirSync(other);
  expectOk(w.run(['destination', 'add', '--name', 'nas', '--path', other]));

  const moved = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--destination', 'nas']));
  assert.equal(moved.destination, 'nas');
  assert.equal(byName(w.list(), 'Documents').destination, 'nas');
});

test('schedule edit of a disabled schedule keeps it disabled', (t) => {
  const w = workspace(t);
  addDocuments(w);
  expectOk(w.run(['schedule', 'disable', 'Documents']));

  const edited = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--cron', '0 10 * * *']));
  assert.equal(edited.enabled, false);
  assert.equal(edited.nextRunAt, null);
  assert.equal(byName(w.list(), 'Documents').enabled, false);
});

test('schedule edit --cron still works after a source folder has vanished', (t) => {
  const w = workspace(t);
  addDocuments(w);
  rmSync(w.photos, { recursive: true });

  const edited = expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--cron', '0 10 * * *']));
  assert.equal(edited.cron, '0 10 * * *');
  assert.deepEqual(edited.sources, [w.docs, w.photos]);
});

test('schedule edit with no options exits 2 and changes nothing', (t) => {
  const w = workspace(t);
  addDocuments(w);
  const before = w.run(['schedule', 'list']).stdout;

  assertUsageError(w.run(['schedule', 'edit', 'Documents']), /option/);
  assert.equal(w.run(['schedule', 'list']).stdout, before);
});

test('schedule disable stops it (no next run, not overdue) and enable brings it back', (t) => {
  const w = workspace(t);
  const before = addDocuments(w);
  assert.equal(before.enabled, true);

  const disabled = expectOk<Schedule>(w.run(['schedule', 'disable', 'Documents']));
  assert.equal(disabled.enabled, false);
  assert.equal(disabled.nextRunAt, null);
  assert.equal(disabled.overdue, false);
  assert.deepEqual(w.list(), [disabled]);

  const enabled = expectOk<Schedule>(w.run(['schedule', 'enable', 'Documents']));
  assert.equal(enabled.enabled, true);
  assert.match(String(enabled.nextRunAt), localIsoPattern);
  assert.equal(enabled.overdue, true);
  assert.deepEqual(definition(enabled), definition(before));
  assert.deepEqual(w.list(), [enabled]);
});

test('schedule edit --disabled and --enabled switch it too', (t) => {
  const w = workspace(t);
  addDocuments(w);
  assert.equal(expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--disabled'])).enabled, false);
  assert.equal(byName(w.list(), 'Documents').enabled, false);
  assert.equal(expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--enabled'])).enabled, true);
  assert.equal(byName(w.list(), 'Documents').enabled, true);
});

test('schedule remove forgets the schedule, and the destination can then be removed', (t) => {
  const w = workspace(t);
  const added = addDocuments(w);

  const removed = expectOk<Schedule>(w.run(['schedule', 'remove', 'Documents']));
  assert.equal(removed.id, added.id);
  assert.equal(removed.name, 'Documents');
  assert.deepEqual(w.list(), []);
  expectOk(w.run(['destination', 'remove', 'usb']));
});

for (const verb of ['edit', 'remove', 'enable', 'disable'] as const) {
  test(`schedule ${verb} of an unknown name exits 2 and changes nothing`, (t) => {
    const w = workspace(t);
    addDocuments(w);
    const before = w.run(['schedule', 'list']).stdout;

    const args = verb === 'edit' ? ['schedule', 'edit', 'Photos', '--cron', '0 10 * * *'] : ['schedule', verb, 'Photos'];
    assertUsageError(w.run(args), /"Photos"/);
    assert.equal(w.run(['schedule', 'list']).stdout, before);
  });
}

/**
 * Invalid changes, each refused with exit 2 for both `schedule add` and `schedule edit`.
 * `args` are the options given; `says` is what the error line must mention.
 */
const invalidCases: { label: string; args: (w: Workspace) => string[]; says: RegExp }[] = [
  { label: 'a cron with 4 fields', args: () => ['--cron', '0 9 * *'], says: /0 9 \* \*/ },
  { label: 'a cron with 7 fields', args: () => ['--cron', '0 0 9 * * * *'], says: /0 0 9 \* \* \* \*/ },
  { label: 'a cron with an out-of-range minute', args: () => ['--cron', '61 * * * *'], says: /61/ },
  { label: 'a cron that is words', args: () => ['--cron', 'every day'], says: /every day/ },
  { label: 'a source that does not exist', args: (w) => ['--source', join(w.root, 'missing')], says: /missing/ },
  { label: 'a source that is a file', args: (w) => ['--source', w.file], says: /notes\.txt/ },
  { label: 'an unknown destination', args: () => ['--destination', 'cloud'], says: /"cloud"/ },
  { label: 'a source holding the destination folder', args: () => ['--source', '.'], says: /usb/ },
  { label: 'a source inside the destination folder', args: (w) => ['--source', join(w.drive, 'inner')], says: /inner/ },
  { label: 'an existing name', args: () => ['--name', 'Documents'], says: /Documents/ },
  { label: 'an existing name in other letter case', args: () => ['--name', 'DOCUMENTS'], says: /documents/i },
  { label: 'an empty name', args: () => ['--name', ''], says: /name/ },
  { label: 'a whitespace-only name', args: () => ['--name', '   '], says: /name/ },
  { label: 'an unknown --compression', args: () => ['--compression', 'zip'], says: /zip/ },
  { label: '--keep-last 0', args: () => ['--keep-last', '0'], says: /keep-last/ },
  { label: '--keep-last abc', args: () => ['--keep-last', 'abc'], says: /keep-last/ },
];

/** Options for a valid new schedule "Photos", overridden by the ones a case gives. */
function addArgs(w: Workspace, override: string[]): string[] {
  const options = new Map<string, string[]>([
    ['--name', ['Photos']],
    ['--source', [w.photos]],
    ['--destination', ['usb']],
    ['--cron', ['0 9 * * *']],
  ]);
  for (let index = 0; index < override.length; index += 2) options.set(override[index] as string, [override[index + 1] as string]);
  return [...options].flatMap(([flag, values]) => values.flatMap((value) => [flag, value]));
}

for (const invalid of invalidCases) {
  test(`schedule add refuses ${invalid.label}, saving nothing`, (t) => {
    const w = workspace(t);
    addDocuments(w);
    const before = w.run(['schedule', 'list']).stdout;

    assertUsageError(w.run(['schedule', 'add', ...addArgs(w, invalid.args(w))]), invalid.says);
    assert.equal(w.run(['schedule', 'list']).stdout, before);
  });

  test(`schedule edit refuses ${invalid.label}, changing nothing`, (t) => {
    const w = workspace(t);
    addDocuments(w);
    expectOk(w.run(['schedule', 'add', ...addArgs(w, [])]));
    const before = w.run(['schedule', 'list']).stdout;

    assertUsageError(w.run(['schedule', 'edit', 'Photos', ...invalid.args(w)]), invalid.says);
    assert.equal(w.run(['schedule', 'list']).stdout, before);
  });
}

test('schedule add and edit refuse a destination that lies inside one of the sources', (t) => {
  const w = workspace(t);
  addDocuments(w);
  const before = w.run(['schedule', 'list']).stdout;

  // "nested" is docs/backups, inside the docs source.
  assertUsageError(w.run(['schedule', 'add', '--name', 'Docs2', '--source', w.docs, '--destination', 'nested', '--cron', '0 9 * * *']), /nested/);
  assertUsageError(w.run(['schedule', 'edit', 'Documents', '--destination', 'nested']), /nested/);
  assert.equal(w.run(['schedule', 'list']).stdout, before);
});

test('schedule edit may change the letter case of the schedule\'s own name', (t) => {
  const w = workspace(t);
  addDocuments(w);
  assert.equal(expectOk<Schedule>(w.run(['schedule', 'edit', 'Documents', '--name', 'DOCUMENTS'])).name, 'DOCUMENTS');
  assert.deepEqual(w.list().map((schedule) => schedule.name), ['DOCUMENTS']);
});

test('schedule add without --source exits 2 and says to pass --source', (t) => {
  const w = workspace(t);
  const result = w.run(['schedule', 'add', '--name', 'Photos', '--destination', 'usb', '--cron', '0 9 * * *']);
  assertUsageError(result, /--source/);
  assert.deepEqual(w.list(), []);
});

test('schedule add and edit take the crontab nicknames (@daily, @hourly…) and keep their five fields; @reboot is refused', (t) => {
  const w = workspace(t);
  const berlin = { TZ: 'Europe/Berlin' };
  expectOk(w.run(['schedule', 'add', '--name', 'Documents', '--source', w.docs, '--destination', 'usb', '--cron', '@daily'], berlin));
  let [schedule] = w.list(berlin);
  assert.equal(schedule?.cron, '0 0 * * *');
  assert.equal(schedule?.description, 'Every day at 00:00');
  expectOk(w.run(['schedule', 'edit', 'Documents', '--cron', '@Hourly'], berlin));
  [schedule] = w.list(berlin);
  assert.equal(schedule?.cron, '0 * * * *');
  assert.equal(schedule?.description, 'Every hour');
  assertUsageError(w.run(['schedule', 'add', '--name', 'Boot', '--source', w.docs, '--destination', 'usb', '--cron', '@reboot']), /"@reboot" is not a schedule Dormouse keeps/);
  assert.deepEqual(w.list().map((each) => each.name), ['Documents'], 'nothing was added');
});
