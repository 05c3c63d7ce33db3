import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool, repoRoot, temporaryFolderIn } from './native-kit';

/**
 * The build step of the addon (build/scripts/build-native.mjs), run on a copy of native/: it builds
 * once, leaves a built addon alone until the C source or binding.gyp changes, and on a machine
 * without a C compiler says so in one line and lets the rest of the build go on.
 */

function buildIn(root: string, env: NodeJS.ProcessEnv = {}) {
  const script = `import { buildNative } from ${JSON.stringify(join(repoRoot, 'build', 'scripts', 'build-native.mjs'))};\nbuildNative(${JSON.stringify(root)});\nconsole.log('the rest of the build');\n`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function copyOfNative(t: { after: (fn: () => void) => void }): string {
  const root = temporaryFolderIn(t, tmpdir());
  cpSync(join(repoRoot, 'native'), join(root, 'native'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return root;
}

const compilerMissing = hasTool(process.env.CC || 'cc') ? false : 'no C compiler here: the build step itself is not checked';

test('the addon is built once, then again only when its C source or binding.gyp changes', { skip: compilerMissing }, (t) => {
  const root = copyOfNative(t);
  const addon = join(root, 'dist', 'native', 'dormouse_native.node');
  const first = buildIn(root);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^dormouse: built the native addon dist\/native\/dormouse_native\.node\nthe rest of the build\n$/);
  const magic = readFileSync(addon).subarray(0, 4).toString('hex');
  assert.ok(['7f454c46', 'cffaedfe', 'cafebabe'].includes(magic), `a shared library (ELF or Mach-O), not ${magic}`);
  const builtAt = statSync(addon).mtimeMs;

  const again = buildIn(root);
  assert.equal(again.stdout, 'the rest of the build\n', 'nothing changed: nothing rebuilt');
  assert.equal(statSync(addon).mtimeMs, builtAt);

  appendFileSync(join(root, 'native', 'binding.gyp'), '\n');
  const changed = buildIn(root);
  assert.match(changed.stdout, /^dormouse: built the native addon/);
  assert.notEqual(statSync(addon).mtimeMs, builtAt);
});

test('without a C compiler the build says so in one line and goes on', (t) => {
  const root = copyOfNative(t);
  const result = buildIn(root, { CC: join(root, 'no-such-compiler') });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 2, result.stdout);
  assert.match(lines[0] as string, /^dormouse: the native addon was not built \(no C compiler \(.*no-such-compiler\): install them, then run npm run build\); until it is, backups will not keep extended attributes, ACLs/);
  assert.equal(lines[1], 'the rest of the build');
  assert.ok(!existsSync(join(root, 'dist', 'native', 'dormouse_native.node')));
});
