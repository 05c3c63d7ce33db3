// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
// Node 20's runner does not expand globs itself, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function testFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return ['fixtures', 'electron-runtime', 'bench'].includes(entry.name) ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : testFiles(join(root, 'test')).sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  // The pool size the entry points set (src-main/common/thread-pool.ts), for the engine tests run in-process.
  env: { ...process.env, NODE_OPTIONS: '', UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '32' },
});
process.exit(result.status ?? 1);
