import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveFileName, archivePathFor, listArchiveFiles, machineLabel, scheduleFolderName } from '../../src-main/destinations/destination-layout';
import { temporaryFolder } from '../helpers/cli';

/**
 * The destination layout, named once for the writer and the importer: a machine folder is the
 * hostname made safe for a file name plus the id's first 8 characters; the importer finds archives
 * in machine folders and in the older `Dormouse/<schedule>/` layout alike.
 */

const id = '3f9a1c2e7b6d4a5f8e9d0c1b2a394857';

test('a machine folder is its hostname, made safe for any file system, and the start of its id', () => {
  assert.equal(machineLabel({ id, name: 'alice-laptop' }), 'alice-laptop-3f9a1c2e');
  assert.equal(machineLabel({ id, name: 'Alice’s MacBook Pro.local' }), 'Alice-s-MacBook-Pro.local-3f9a1c2e');
  assert.equal(machineLabel({ id, name: '../../etc' }), 'etc-3f9a1c2e', 'no way out of the Dormouse folder');
  assert.equal(machineLabel({ id, name: '' }), 'machine-3f9a1c2e');
  assert.equal(machineLabel({ id, name: '....' }), 'machine-3f9a1c2e', 'never a hidden folder, nor . or ..');
  assert.equal(machineLabel({ id, name: 'ノートパソコン' }), 'machine-3f9a1c2e');
  assert.equal(machineLabel({ id, name: 'x'.repeat(300) }), `${'x'.repeat(40)}-3f9a1c2e`, 'at most 40 characters of hostname');
  assert.equal(machineLabel({ id, name: 'dot.at.the.end.' }), 'dot.at.the.end-3f9a1c2e');
});

test('an archive goes to Dormouse/<machine>/<schedule>/<UTC time>-<kind>-<id>.tar[.gz]', () => {
  const path = archivePathFor('/media/nas', { id, name: 'alice-laptop' }, { id: 7, name: 'Home / Photos' }, {
    createdAt: Date.parse('2026-11-21T08:00:05.123Z'),
    snapshotUuid: 'abcdef01-2345-6789-abcd-ef0123456789',
    compression: 'gzip',
    kind: 'incremental',
  });
  assert.equal(path, '/media/nas/Dormouse/alice-laptop-3f9a1c2e/Home-Photos/20261121T080005Z-incr-abcdef01.tar.gz');
  assert.equal(scheduleFolderName({ id: 7, name: '***' }), 'schedule-7');
  assert.equal(archiveFileName(Date.parse('2026-01-02T03:04:05Z'), '0a1b2c3d-0000-0000-0000-000000000000', 'none'), '20260102T030405Z-full-0a1b2c3d.tar');
});

test('the importer finds archives in machine folders and in the older layout, and nothing else', async (t) => {
  const root = join(temporaryFolder(t), 'Dormouse');
  const files = [
    'alice-laptop-3f9a1c2e/Home/20261121T080005Z-full-abcdef01.tar',
    'alice-laptop-3f9a1c2e/Home/20261122T080005Z-incr-abcdef02.tar.gz',
    'bob-laptop-0011aabb/Home/20261121T090000Z-full-12345678.tar',
    'Home/20250101T000000Z-full-0a1b2c3d.tar',
    'Home/renamed by hand.tar',
  ];
  const ignored = ['alice-laptop-3f9a1c2e/Home/20261121T080005Z-full-abcdef01.tar.sha256', 'Home/notes.txt', 'Home/x.tar.partial', 'loose.tar', 'a/b/c/too-deep.tar'];
  for (const file of [...files, ...ignored]) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), 'x');
  }
  assert.deepEqual(await listArchiveFiles(root), files.map((file) => join(root, file)).sort());
  assert.deepEqual(await listArchiveFiles(join(root, 'missing')), [], 'no Dormouse folder: nothing to import');
});
