import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { extract, homeBackups, type HomeBackups } from './fidelity-kit';
import { fidelityUnsupported, sparseFile } from './home-tree';
import { assertSame, compareTrees, type Difference } from './tree-compare';

/**
 * Issue #14, interop: the same archives Dormouse restores, extracted by GNU tar
 * (`--xattrs --xattrs-include='*' --acls --same-owner --numeric-owner -xpf`) and by bsdtar, give the
 * tree back as faithfully; Python's tarfile reads them. An incremental archive holds only what
 * changed, so it is extracted over the full one, as a person would with tar.
 */

const unsupported = fidelityUnsupported();
const noBsdtar = spawnSync('bsdtar', ['--version'], { stdio: 'ignore' }).error ? 'bsdtar is missing (apt-get install -y libarchive-tools)' : false;

function tarNames(archive: string): string[] {
  const result = spawnSync('tar', ['--quoting-style=literal', '-tf', archive], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `tar -tf ${archive}: ${result.stderr.toString()}`);
  return result.stdout.toString('latin1').split('\n').filter((name) => name !== '').map((name) => name.replace(/\/$/, ''));
}

const pythonList = `
import os, sys, tarfile
with tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as archive:
    for member in archive:
        sys.stdout.buffer.write(os.fsencode(member.name).rstrip(b"/") + b"\\0" + str(member.size).encode() + b"\\n")
`;

describe('fidelity: GNU tar and bsdtar extract dormouse archives as faithfully', { skip: unsupported ?? false }, () => {
  let backups: HomeBackups;
  before(() => {
    backups = homeBackups();
  });
  after(() => backups?.home.remove());

  for (const tool of ['gnu-tar', 'bsdtar'] as const) {
    const skip = tool === 'bsdtar' ? noBsdtar : false;

    test(`${tool}: the full archive extracts equal to the source as it was`, { skip }, () => {
      const { home, full } = backups;
      const into = extract(home, tool, [full.snapshot.archivePath]);
      assertSame(compareTrees(full.source, join(into, home.srcEntry)), `${tool} -x of the full archive`);
    });

    /** The chain extracted in order, compared with the source at the incremental; tar applies no deletions, so the hard-link name removed since the full is left out. */
    const chainDifferences = (() => {
      let found: Difference[] | undefined;
      return () => {
        if (found) return found;
        const { home, full, incremental, changes } = backups;
        const into = extract(home, tool, [full.snapshot.archivePath, incremental.snapshot.archivePath]);
        found = compareTrees(incremental.source, join(into, home.srcEntry)).filter(
          (d) => !(d.path === changes.removedLink && d.property === 'extra') && !(d.property === 'hardlink' && d.detail.includes(changes.removedLink)),
        );
        return found;
      };
    })();
    const folders = (d: Difference) => d.property === 'mtime' && lstatSync(join(backups.incremental.source, d.path)).isDirectory();

    test(`${tool}: the full then the incremental archive extract equal to the source at the incremental (but for the name deleted since and folder mtimes)`, { skip }, () => {
      assertSame(chainDifferences().filter((d) => !folders(d)), `${tool} -x of the full archive, then of the incremental one`);
    });

    const folderSkip = tool === 'bsdtar' ? 'bsdtar sets the mtime of a folder that already exists at once, and writing into it later changes it again' : false;
    test(`${tool}: … and the folders whose files the incremental replaced keep their mtimes`, { skip: skip || folderSkip }, () => {
      assertSame(chainDifferences().filter(folders), `${tool} -x of the full archive, then of the incremental one: folder mtimes`);
    });
  }

  test("Python's tarfile reads every entry of both archives, under the names GNU tar lists, the sparse file at its full size", () => {
    const { home, full, incremental } = backups;
    for (const archive of [full.snapshot.archivePath, incremental.snapshot.archivePath]) {
      const result = spawnSync('python3', ['-c', pythonList, archive], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(result.status, 0, `python3 tarfile ${archive}: ${result.stderr.toString()}`);
      const members = result.stdout.toString('latin1').split('\n').filter((line) => line !== '').map((line) => line.split('\0') as [string, string]);
      assert.deepEqual(members.map(([name]) => name), tarNames(archive), `the names of ${archive}`);
      if (archive === full.snapshot.archivePath) {
        const sparse = members.find(([name]) => name === `${home.srcEntry}/${sparseFile.path}`);
        assert.equal(sparse?.[1], String(sparseFile.size), 'the sparse file as tarfile sees it');
      }
    }
  });

  test("the archive names each entry's owner and group, as GNU tar lists them", () => {
    const { home, full } = backups;
    const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();
    const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
    const listing = spawnSync('tar', ['-tvf', full.snapshot.archivePath, `${home.srcEntry}/docs/notes.txt`], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, new RegExp(`^-rw-r--r-- ${user}/${group} `), `tar -tv shows the names ${user}/${group}: ${listing.stdout}`);
  });
});
