#!/usr/bin/env node
// The `dormouse` command: runs the built CLI bundle (with V8's code cache: load-with-code-cache.cjs).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { loadWithCodeCache } = require('./load-with-code-cache.cjs');

const bundle = join(__dirname, '..', 'dist', 'main', 'cli.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('error: Dormouse is not built yet; run `npm run build` in ' + join(__dirname, '..') + '\n');
  process.exit(1);
}
loadWithCodeCache(bundle);
