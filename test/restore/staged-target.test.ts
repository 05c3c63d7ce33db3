import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bench } from '../incremental/incremental-kit';
import { restoreInWorker } from './worker-run';

/**
 * A restore into a folder that does not exist yet writes into a hidden stand-in beside it and gives
 * it the folder's name only when it has ended (staged-target.ts): whatever stops it, nothing under
 * that name is ever half-written, though the files inside take their own names as they are written.
 */

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file below a folder, by its path relative to it. */
function filesBelow(folder: string): string[] {
  return (readdirSync(folder, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

/** The names in `folder` that are stand-ins for `name` (`.NAME.dormouse-PID-MARK.restoring`). */
function standIns(folder: string, name: string): string[] {
  return readdirSync(folder).filter((found) => found.startsWith(`.${name}.dormouse-`) && found.endsWith('.restoring'));
}

/** A tree of many small files in many folders and eight of 24 MiB (so the restore runs long enough to be caught part-way), each of its own bytes. */
function makeTree(src: string): string[] {
  const names: string[] = [];
  for (let index = 0; index < 600; index += 1) {
    const folder = join(src, `p${index % 3}`, `d${index % 40}`);
    mkdirSync(folder, { recursive: true });
    const size = index % 75 === 7 ? 24 * 1024 * 1024 : 1000 + index;
    const name = join(`p${index % 3}`, `d${index % 40}`, `f${String(index).padStart(3, '0')}.bin`);
    writeFileSync(join(src, name), Buffer.alloc(size, `${index} `));
    names.push(name);
  }
  return names.sort();
}

/** The files under `restored` that are missing or differ from the source's. */
function wrongFiles(restored: string, src: string, names: readonly string[]): string[] {
  return names.filter((name) => !existsSync(join(restored, name)) || sha256(readFileSync(join(restored, name))) !== sha256(readFileSync(join(src, name))));
}

test('a restore into a new folder shows nothing under its name until it ends; killed, it leaves nothing there, and the next one clears what it left', async (t) => {
  const b = bench(t);
  const names = makeTree(b.src);
  const { snapshot } = b.backup();
  const target = join(b.root, 'Restored');
  const seen: { target: boolean; standIns: string[] }[] = [];
  const killed = await restoreInWorker(snapshot.archivePath, target, (progress) => {
    seen.push({ target: existsSync(target), standIns: standIns(b.root, 'Restored') });
    // Killed at a later report once files are restored (the worker is held still at each report until then).
    return seen.length >= 2 && progress.files > 0;
  });
  assert.equal(killed.answer, null, `the worker was killed before it finished (it answered ${JSON.stringify(killed.answer)})`);
  assert.ok(seen.length > 0, 'the restore reported progress before it was killed');
  assert.deepEqual(
    seen.filter((look) => look.target),
    [],
    'the target folder did not exist while the restore ran',
  );
  assert.ok(
    seen.every((look) => look.standIns.length === 1),
    `a hidden stand-in beside it was there throughout (${JSON.stringify(seen.at(-1))})`,
  );
  assert.equal(existsSync(target), false, 'after the kill there is nothing under the target folder\'s name');
  const left = standIns(b.root, 'Restored');
  assert.equal(left.length, 1, 'the killed restore left its stand-in');
  const partial = filesBelow(join(b.root, left[0] as string));
  assert.ok(partial.length > 0 && partial.length < names.length, `the stand-in holds part of the restore (${partial.length} of ${names.length} files)`);

  const again = await restoreInWorker(snapshot.archivePath, target);
  assert.equal(again.answer?.type, 'restored', JSON.stringify(again.answer));
  assert.equal(again.answer?.result?.files, names.length);
  assert.deepEqual(again.answer?.result?.refused, []);
  const restored = join(target, b.srcEntry);
  assert.deepEqual(filesBelow(restored), names, 'every file is there under its name, and nothing else');
  assert.deepEqual(wrongFiles(restored, b.src, names), [], 'every file has its right content');
  assert.deepEqual(standIns(b.root, 'Restored'), [], 'the stand-in the killed restore left is gone, and the new one took the name');
});

test('a folder that appears under the target\'s name while restoring is left as it is, and the restore says where its files are', async (t) => {
  const b = bench(t);
  const names = makeTree(b.src);
  const { snapshot } = b.backup();
  const target = join(b.root, 'Restored');
  let made = false;
  const run = await restoreInWorker(snapshot.archivePath, target, () => {
    if (!made) {
      mkdirSync(target);
      writeFileSync(join(target, 'mine.txt'), 'made by the user meanwhile\n');
      made = true;
    }
    return false;
  });
  assert.ok(made, 'the restore reported progress, and the folder was made while it ran');
  assert.equal(run.answer?.type, 'restored', JSON.stringify(run.answer));
  const refused = run.answer?.result?.refused ?? [];
  assert.equal(refused.length, 1, JSON.stringify(refused));
  const line = refused[0] as string;
  const kept = /what was restored is in (.+\.restored-[0-9a-f]+-[0-9a-f]{6}); move it/.exec(line)?.[1];
  assert.ok(kept !== undefined && line.startsWith(`${target} appeared while restoring`), `the result says where the files went: ${line}`);
  assert.deepEqual(readdirSync(target), ['mine.txt'], 'the folder made meanwhile holds only what it held');
  assert.equal(readFileSync(join(target, 'mine.txt'), 'utf8'), 'made by the user meanwhile\n');
  assert.deepEqual(wrongFiles(join(kept, b.srcEntry), b.src, names), [], 'the restored files are all in the folder named, with their right content');
  assert.deepEqual(standIns(b.root, 'Restored'), [], 'no hidden stand-in is left');
});
