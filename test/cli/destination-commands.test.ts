import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, temporaryFolder, type CliResult, expectError, expectOk } from '../helpers/cli';

const markerName = '.dormouse-destination.json';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Destination {
  id: string;
  name: string;
  path: string;
  available: boolean;
  state: string;
  freeBytes: number | null;
}

interface Workspace {
  root: string;
  dataDir: string;
  /** Runs `dormouse --data-dir <dataDir> --json …` from the workspace folder. */
  run: (args: string[]) => CliResult;
  folder: (name: string) => string;
  list: () => Destination[];
}

function workspace(t: { after: (fn: () => void) => void }): Workspace {
  const root = realpathSync(temporaryFolder(t));
  const dataDir = join(root, 'data');
  const run = (args: string[]) => dormouse(['--data-dir', dataDir, '--json', ...args], { cwd: root });
  return {
    root,
    dataDir,
    run,
    folder(name) {
      const path = join(root, name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    list() {
      const result = run(['destination', 'list']);
      assert.equal(result.code, 0, result.stderr);
      return result.json<Destination[]>();
    },
  };
}



const assertUsageError = (result: CliResult, says: RegExp) => expectError(result, 2, says);

/** What identifies the saved destinations, leaving out the free space that other tests change. */
function saved(list: Destination[]) {
  return list.map(({ id, name, path }) => ({ id, name, path }));
}

function readMarkerFile(folder: string): { id: string } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(folder, markerName), 'utf8')) as { id: string } & Record<string, unknown>;
}

test('destination add answers {id, name, path} and writes a 0600 marker carrying that id', (t) => {
  const w = workspace(t);
  const drive = w.folder('drive');

  const added = expectOk<Record<string, unknown>>(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));

  assert.deepEqual(Object.keys(added).sort(), ['encrypted', 'id', 'importedSnapshots', 'kind', 'name', 'path', 'warnings']);
  assert.equal((added as unknown as { encrypted: boolean }).encrypted, false, 'a destination added without --encrypt is not encrypted');
  assert.equal((added as unknown as { importedSnapshots: number }).importedSnapshots, 0, 'an empty folder holds no snapshots to import');
  assert.match(String(added.id), uuidPattern);
  assert.equal(added.name, 'usb');
  assert.equal(added.path, drive);

  const markerFile = join(drive, markerName);
  assert.ok(existsSync(markerFile), 'the marker file is written into the folder');
  assert.equal(statSync(markerFile).mode & 0o777, 0o600, 'the marker is readable and writable by its owner only');
  assert.equal(readMarkerFile(drive).id, added.id);
  assert.ok(!existsSync(`${markerFile}.partial`), 'no temporary file is left behind');
});

test('destination add resolves a relative --path against the current folder', (t) => {
  const w = workspace(t);
  const drive = w.folder('mnt/drive');

  const added = expectOk<{ id: string; path: string }>(w.run(['destination', 'add', '--name', 'usb', '--path', 'mnt/drive']));

  assert.equal(added.path, drive);
  assert.equal(readMarkerFile(drive).id, added.id);
  assert.deepEqual(saved(w.list()), [{ id: added.id, name: 'usb', path: drive }]);
});

test('destination list shows each destination with its availability and free space', (t) => {
  const w = workspace(t);
  assert.deepEqual(w.list(), [], 'a fresh catalog has no destinations');

  const usb = expectOk<{ id: string }>(w.run(['destination', 'add', '--name', 'usb', '--path', w.folder('usb-drive')]));
  const nas = expectOk<{ id: string }>(w.run(['destination', 'add', '--name', 'nas', '--path', w.folder('nas-share')]));

  const list = w.list();
  assert.equal(list.length, 2);
  for (const destination of list) {
    assert.deepEqual(Object.keys(destination).sort(), ['available', 'encrypted', 'freeBytes', 'id', 'kind', 'name', 'path', 'state']);
    assert.equal(destination.available, true);
    assert.equal(destination.state, 'available');
    assert.equal(typeof destination.freeBytes, 'number');
    assert.ok((destination.freeBytes as number) > 0, `free space is positive: ${destination.freeBytes}`);
  }
  const byName = Object.fromEntries(list.map((destination) => [destination.name, destination]));
  assert.equal(byName.usb?.id, usb.id);
  assert.equal(byName.usb?.path, join(w.root, 'usb-drive'));
  assert.equal(byName.nas?.id, nas.id);
  assert.equal(byName.nas?.path, join(w.root, 'nas-share'));
});

test('a destination whose marker is gone (unplugged drive, empty mount point) is unavailable, and available again when it returns', (t) => {
  const w = workspace(t);
  const drive = w.folder('media/usb');
  const added = expectOk<{ id: string }>(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));
  const marker = readFileSync(join(drive, markerName));

  rmSync(join(drive, markerName));
  assert.deepEqual(w.list(), [{ id: added.id, name: 'usb', path: drive, available: false, state: 'missing', freeBytes: null, encrypted: false, kind: 'folder' }]);

  writeFileSync(join(drive, markerName), marker);
  const [back] = w.list();
  assert.equal(back?.available, true);
  assert.ok((back?.freeBytes ?? 0) > 0);
});

test('a destination whose folder now holds another destination\'s marker is unavailable', (t) => {
  const w = workspace(t);
  const drive = w.folder('media/usb');
  const added = expectOk<{ id: string }>(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));

  const marker = readMarkerFile(drive);
  const otherId = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
  assert.notEqual(otherId, added.id);
  writeFileSync(join(drive, markerName), JSON.stringify({ ...marker, id: otherId }));

  assert.deepEqual(w.list(), [{ id: added.id, name: 'usb', path: drive, available: false, state: 'missing', freeBytes: null, encrypted: false, kind: 'folder' }]);
});

test('destination remove forgets it but leaves the folder and marker, and re-adding the folder adopts the same id', (t) => {
  const w = workspace(t);
  const drive = w.folder('drive');
  writeFileSync(join(drive, 'archive.tar'), 'an archive');
  const added = expectOk<{ id: string }>(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));
  const markerBefore = readFileSync(join(drive, markerName), 'utf8');

  const removed = expectOk<{ id: string; name: string; path: string }>(w.run(['destination', 'remove', 'usb']));
  assert.equal(removed.id, added.id);
  assert.equal(removed.name, 'usb');
  assert.deepEqual(w.list(), []);
  assert.equal(readFileSync(join(drive, markerName), 'utf8'), markerBefore, 'the marker is left as it was');
  assert.equal(readFileSync(join(drive, 'archive.tar'), 'utf8'), 'an archive', 'the archives are left as they were');

  const again = expectOk<{ id: string; name: string }>(w.run(['destination', 'add', '--name', 'backup-drive', '--path', drive]));
  assert.equal(again.id, added.id, 'the existing marker is adopted rather than replaced');
  assert.equal(again.name, 'backup-drive');
  assert.equal(readMarkerFile(drive).id, added.id);
  const [listed] = w.list();
  assert.equal(listed?.id, added.id);
  assert.equal(listed?.available, true);
});

test('destination remove finds the name case-insensitively', (t) => {
  const w = workspace(t);
  expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', w.folder('drive')]));
  expectOk(w.run(['destination', 'remove', 'USB']));
  assert.deepEqual(w.list(), []);
});

test('destination remove of an unknown name exits 2 and changes nothing', (t) => {
  const w = workspace(t);
  expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', w.folder('drive')]));
  const before = saved(w.list());

  assertUsageError(w.run(['destination', 'remove', 'nas']), /"nas"/);
  assert.deepEqual(saved(w.list()), before);
});

test('destination remove of a destination a schedule uses exits 2 naming the schedule, and changes nothing', (t) => {
  const w = workspace(t);
  const drive = w.folder('drive');
  const docs = w.folder('docs');
  expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));
  expectOk(w.run(['schedule', 'add', '--name', 'Documents', '--source', docs, '--destination', 'usb', '--cron', '0 9 * * *']));
  const destinationsBefore = saved(w.list());
  const schedulesBefore = w.run(['schedule', 'list']).stdout;

  assertUsageError(w.run(['destination', 'remove', 'usb']), /Documents/);

  assert.deepEqual(saved(w.list()), destinationsBefore);
  assert.equal(w.run(['schedule', 'list']).stdout, schedulesBefore);
  assert.ok(existsSync(join(drive, markerName)));
});

test('destination add refuses a folder that does not exist, creating nothing', (t) => {
  const w = workspace(t);
  const missing = join(w.root, 'not-plugged-in');

  assertUsageError(w.run(['destination', 'add', '--name', 'usb', '--path', missing]), /not-plugged-in/);
  assert.ok(!existsSync(missing), 'the folder is not created');
  assert.deepEqual(w.list(), []);
});

test('destination add refuses a path that is a file, leaving the file alone', (t) => {
  const w = workspace(t);
  const file = join(w.root, 'notes.txt');
  writeFileSync(file, 'just a file');

  assertUsageError(w.run(['destination', 'add', '--name', 'usb', '--path', file]), /notes\.txt/);
  assert.equal(readFileSync(file, 'utf8'), 'just a file');
  assert.deepEqual(w.list(), []);
});

for (const [existing, duplicate] of [
  ['usb', 'usb'],
  ['USB', 'usb'],
  ['usb', 'Usb'],
] as const) {
  test(`destination add refuses the name "${duplicate}" when "${existing}" exists, and writes no marker`, (t) => {
    const w = workspace(t);
    expectOk(w.run(['destination', 'add', '--name', existing, '--path', w.folder('first')]));
    const before = saved(w.list());
    const second = w.folder('second');

    assertUsageError(w.run(['destination', 'add', '--name', duplicate, '--path', second]), new RegExp(`"${duplicate}"`, 'i'));
    assert.deepEqual(saved(w.list()), before);
    assert.ok(!existsSync(join(second, markerName)), 'the refused folder gets no marker');
  });
}

for (const [label, spelling] of [
  ['the same path', (root: string) => join(root, 'drive')],
  ['a trailing slash', (root: string) => `${join(root, 'drive')}/`],
  ['a relative path', () => './drive'],
  ['a path with ..', (root: string) => join(root, 'other', '..', 'drive')],
] as const) {
  test(`destination add refuses a folder that is already a destination (${label})`, (t) => {
    const w = workspace(t);
    const drive = w.folder('drive');
    w.folder('other');
    expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));
    const before = saved(w.list());
    const marker = readFileSync(join(drive, markerName), 'utf8');

    assertUsageError(w.run(['destination', 'add', '--name', 'usb-again', '--path', spelling(w.root)]), /usb/);
    assert.deepEqual(saved(w.list()), before);
    assert.equal(readFileSync(join(drive, markerName), 'utf8'), marker, 'the marker is not rewritten');
  });
}

test('destination add refuses a folder that is already a destination through a symbolic link', (t) => {
  const w = workspace(t);
  const drive = w.folder('drive');
  const link = join(w.root, 'drive-link');
  symlinkSync(drive, link);
  expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', drive]));
  const before = saved(w.list());

  assertUsageError(w.run(['destination', 'add', '--name', 'usb-link', '--path', link]), /usb/);
  assert.deepEqual(saved(w.list()), before);
});

for (const [label, name] of [
  ['an empty name', ''],
  ['a whitespace-only name', '   '],
] as const) {
  test(`destination add refuses ${label}, writing no marker`, (t) => {
    const w = workspace(t);
    const drive = w.folder('drive');

    assertUsageError(w.run(['destination', 'add', '--name', name, '--path', drive]), /name/);
    assert.ok(!existsSync(join(drive, markerName)));
    assert.deepEqual(w.list(), []);
  });
}

for (const [label, content] of [
  ['text that is not JSON', 'not json'],
  ['JSON that is not a Dormouse marker', '{"hello": "world"}\n'],
  ['a marker whose id is not a UUID', '{"dormouse":"destination","format":1,"id":"42","name":"x","createdAt":"2026-01-01T00:00:00Z"}'],
] as const) {
  test(`destination add refuses a folder whose marker file holds ${label}, leaving it byte-for-byte`, (t) => {
    const w = workspace(t);
    const drive = w.folder('drive');
    const markerFile = join(drive, markerName);
    writeFileSync(markerFile, content);
    const before = readFileSync(markerFile);

    assertUsageError(w.run(['destination', 'add', '--name', 'usb', '--path', drive]), /marker|dormouse-destination/i);
    assert.deepEqual(readFileSync(markerFile), before);
    assert.deepEqual(w.list(), []);
  });
}

test('destination add refuses a folder carrying a copy of another destination\'s marker, naming that destination', (t) => {
  const w = workspace(t);
  const original = w.folder('original');
  const copy = w.folder('copy');
  expectOk(w.run(['destination', 'add', '--name', 'usb', '--path', original]));
  writeFileSync(join(copy, markerName), readFileSync(join(original, markerName)));
  const before = saved(w.list());

  assertUsageError(w.run(['destination', 'add', '--name', 'copy', '--path', copy]), /"usb"/);
  assert.deepEqual(saved(w.list()), before);
});
