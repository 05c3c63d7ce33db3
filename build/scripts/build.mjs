// Builds every part: the native addon (only when native/ changed), the main-process bundles
// (CLI, Electron main, preload, archive worker) with esbuild, and the React renderer with Vite.
// Each part is built beside the old one and swapped in at the end, so tests or a daemon running
// from dist/ never see it half-built.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './build-native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');

function swapIn(next, final) {
  const old = `${final}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(final)) renameSync(final, old);
  renameSync(next, final);
  rmSync(old, { recursive: true, force: true });
}

const entries = {
  cli: 'src-main/cli/cli-main.ts',
  'electron-main': 'src-main/electron/electron-main.ts',
  preload: 'src-main/electron/preload.ts',
  'archive-worker': 'src-main/archive-worker/archive-worker-main.ts',
  'worker-thread': 'src-main/archive-worker/worker-thread-main.ts',
};

/**
 * Zod's full API re-exports every locale's messages (a third of the CLI's bundle, parsed at each
 * start); Dormouse speaks English, so zod's own imports of the locale index get English alone.
 */
const englishZodMessages = {
  name: 'english-zod-messages',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'english-zod-messages' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'english-zod-messages' }, () => ({ contents: "export { default as en } from 'zod/v4/locales/en.js';", resolveDir: root, loader: 'js' }));
  },
};

buildNative(root);

const mainNext = join(dist, '.main-next');
rmSync(mainNext, { recursive: true, force: true });
await esbuild({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(join(root, file)))),
  outdir: mainNext,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  keepNames: true,
  external: ['electron', 'better-sqlite3'],
  plugins: [englishZodMessages],
  logLevel: 'warning',
});
// The archive worker is started through the code-cache loader the `dormouse` command uses (worker-launcher.ts).
copyFileSync(join(root, 'bin', 'load-with-code-cache.cjs'), join(mainNext, 'load-with-code-cache.cjs'));
mkdirSync(join(mainNext, 'icons'), { recursive: true });
for (const name of readdirSync(join(root, 'build', 'icons'))) {
  if (name.startsWith('tray-')) copyFileSync(join(root, 'build', 'icons', name), join(mainNext, 'icons', name));
}

const rendererNext = join(dist, '.renderer-next');
await viteBuild({ configFile: join(root, 'src-renderer', 'vite.config.mts'), logLevel: 'warn', build: { outDir: rendererNext, emptyOutDir: true } });

swapIn(mainNext, join(dist, 'main'));
swapIn(rendererNext, join(dist, 'renderer'));
console.log('dormouse: built dist/main and dist/renderer');
