// Builds every part: the main-process bundles (CLI, Electron main, preload, archive worker)
// with esbuild, and the React renderer with Vite.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, 'dist', 'main');
rmSync(outdir, { recursive: true, force: true });

const entries = {
  cli: 'src-main/cli/cli-main.ts',
  'electron-main': 'src-main/electron/electron-main.ts',
  preload: 'src-main/electron/preload.ts',
  'archive-worker': 'src-main/archive-worker/archive-worker-main.ts',
};

await esbuild({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(join(root, file)))),
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  external: ['electron', 'better-sqlite3'],
  logLevel: 'warning',
});

mkdirSync(join(outdir, 'icons'), { recursive: true });
for (const name of readdirSync(join(root, 'build', 'icons'))) {
  if (name.startsWith('tray-')) copyFileSync(join(root, 'build', 'icons', name), join(outdir, 'icons', name));
}

await viteBuild({ configFile: join(root, 'src-renderer', 'vite.config.mts'), logLevel: 'warn' });
console.log('dormouse: built dist/main and dist/renderer');
