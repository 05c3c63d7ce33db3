import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ManifestWriter } from '../../src-main/archive-worker/manifest-writer';
import { temporaryFolder } from '../helpers/cli';

test('a manifest of many members gives back every line in order, long and non-ASCII names included, each member indexed', async (t) => {
  const work = temporaryFolder(t);
  const header = { dormouse: 'manifest' as const, format: 3, snapshot: { id: 's1', kind: 'full' as const, baseId: null, scheduleName: 'Home', createdAt: '2026-12-07T03:00:00.000Z', compression: 'none' as const, sources: ['/home/ann'], excludes: [] } };
  const writer = new ManifestWriter(join(work, 'manifest.gz'), header);
  // 20,000 lines: several members of 4,096, whose buffers are used again; some names long enough to outgrow a buffer's first size.
  const paths: string[] = [];
  for (let i = 0; i < 20_000; i += 1) {
    const long = i % 4999 === 7 ? `${'ü'.repeat(300_000)}-` : '';
    paths.push(`home/ann/${String(i).padStart(6, '0')}-${long}naïve résumé ${i % 3 === 0 ? '日本語' : 'plain'}.txt`);
  }
  for (const path of paths) {
    const adding = writer.add({ path, deleted: true });
    if (adding !== undefined) await adding;
  }
  const length = await writer.finish();
  writer.close();
  const bytes = readFileSync(join(work, 'manifest.gz'));
  assert.equal(bytes.length, length);
  const lines = gunzipSync(bytes).toString('utf8').split('\n');
  assert.equal(lines.pop(), '', 'the last line ends with a newline');
  assert.deepEqual(JSON.parse(lines[0] as string), header);
  assert.deepEqual(lines.slice(1).map((line) => (JSON.parse(line) as { path: string }).path), paths);
  assert.equal(writer.lines, paths.length);
  // Each member starts where the one before ended, holds whole lines, and names its first path.
  let line = 0;
  for (const [offset, size, count, first] of writer.members) {
    const member = gunzipSync(bytes.subarray(offset, offset + size)).toString('utf8');
    assert.equal(member.split('\n').length - 1, count);
    assert.equal(first, paths[line]);
    line += count;
  }
  assert.equal(line, paths.length);
  assert.ok(writer.members.length >= 5);
});
