import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watch, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { startDormouse } from '../helpers/trees';

/**
 * While a backup to an encrypted destination runs, no plaintext reaches the drive: the manifest is
 * gathered beside its local copy in the data folder, not beside the archive. The same backup to a
 * plain destination, watched the same way, shows the manifest's temporary file on the drive, so the
 * watch sees what it should.
 */

/** The names created or removed anywhere under a folder while `run` goes on (after its subfolders exist). */
async function namesWhile(folder: string, run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const watcher = watch(folder, { recursive: true }, (_event, name) => {
    if (name) seen.push(String(name));
  });
  try {
    await run();
    await sleep(300);
  } finally {
    watcher.close();
  }
  return seen;
}

for (const encrypted of [true, false]) {
  test(`a backup to ${encrypted ? 'an encrypted' : 'a plain'} destination ${encrypted ? 'writes no plaintext manifest onto the drive' : 'keeps its manifest beside the archive while it is written'}`, async (t) => {
    const root = temporaryFolder(t, 'dormouse-no-plaintext-');
    const data = join(root, 'data');
    const drive = join(root, 'drive');
    const source = join(root, 'home');
    mkdirSync(drive);
    mkdirSync(source);
    writeFileSync(join(source, 'secret-plans-for-the-garden.txt'), 'tulips\n');
    const passphraseFile = join(root, 'passphrase.txt');
    writeFileSync(passphraseFile, 'correct horse battery staple\n');
    const cli = (args: string[]) => dormouse(['--data-dir', data, ...args]);
    const add = cli(['destination', 'add', '--name', 'usb', '--path', drive, ...(encrypted ? ['--encrypt', '--passphrase-file', passphraseFile] : []), '--json']);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'usb', '--cron', '0 3 * * *', '--json']).code, 0);
    // The first backup makes the schedule's folders on the drive, so the watch covers them from the start.
    assert.equal(cli(['run', 'Home', '--json']).code, 0);
    writeFileSync(join(source, 'more-plans.txt'), 'daffodils\n');
    const names = await namesWhile(drive, async () => {
      const ended = await startDormouse(['--data-dir', data, 'run', 'Home', '--json']).done;
      assert.equal(ended.code, 0, ended.stderr);
    });
    const manifestTemporaries = names.filter((name) => name.endsWith('.manifest.partial'));
    if (encrypted) {
      assert.deepEqual(manifestTemporaries, [], `names seen on the drive: ${JSON.stringify(names)}`);
      assert.ok(names.some((name) => name.endsWith('.tar.age')), `the archive was seen being written: ${JSON.stringify(names)}`);
      assert.ok(!names.some((name) => name.includes('plans')), 'no file name of the source appears on the drive');
    } else {
      assert.ok(manifestTemporaries.length > 0, `the watch sees the manifest's temporary file on a plain drive: ${JSON.stringify(names)}`);
    }
  });
}
