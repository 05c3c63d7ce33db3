import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDataDir, resolveDataDir } from '../../src-main/store/data-dir';

test('the default data folder is the OS app-data folder named Dormouse, as Electron uses', () => {
  assert.equal(defaultDataDir('linux', {}, '/home/ana'), '/home/ana/.config/Dormouse');
  assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: '/home/ana/.cfg' }, '/home/ana'), '/home/ana/.cfg/Dormouse');
  assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: 'relative/ignored' }, '/home/ana'), '/home/ana/.config/Dormouse');
  assert.equal(defaultDataDir('darwin', {}, '/Users/ana'), '/Users/ana/Library/Application Support/Dormouse');
  assert.match(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'C:\\Users\\ana'), /Roaming[\\/]Dormouse$/);
});

test('--data-dir wins over DORMOUSE_DATA_DIR, which wins over the default', () => {
  assert.equal(resolveDataDir('/tmp/explicit', { DORMOUSE_DATA_DIR: '/tmp/env' }), '/tmp/explicit');
  assert.equal(resolveDataDir(undefined, { DORMOUSE_DATA_DIR: '/tmp/env' }), '/tmp/env');
  assert.equal(resolveDataDir(undefined, { HOME: process.env.HOME }), defaultDataDir(process.platform, { HOME: process.env.HOME }));
});
