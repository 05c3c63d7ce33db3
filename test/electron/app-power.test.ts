// The tray app's power source: Electron tells on-battery only; the level comes from sysfs on Linux
// (a folder laid out as /sys/class/power_supply is), and is unknown on macOS and Windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryFolder } from '../helpers/cli';
import { appPowerSource } from '../../src-main/electron/app-clock-and-power';

function supplies(t: Parameters<typeof temporaryFolder>[0], capacity: string): string {
  const root = temporaryFolder(t, 'dormouse-power-');
  mkdirSync(join(root, 'AC'));
  writeFileSync(join(root, 'AC', 'type'), 'Mains\n');
  writeFileSync(join(root, 'AC', 'online'), '0\n');
  mkdirSync(join(root, 'BAT0'));
  writeFileSync(join(root, 'BAT0', 'type'), 'Battery\n');
  writeFileSync(join(root, 'BAT0', 'status'), 'Discharging\n');
  writeFileSync(join(root, 'BAT0', 'capacity'), capacity);
  return root;
}

test('on Linux the app reads the battery level from sysfs, so minBatteryPercent can hold a backup back', (t) => {
  const source = appPowerSource(() => true, 'linux', supplies(t, '17\n'));
  assert.equal(source.onBattery(), true);
  assert.equal(source.batteryPercent(), 17);
});

test('on macOS and Windows the level is unknown (null), never a made-up number; on-battery still comes from Electron', (t) => {
  const root = supplies(t, '17\n');
  for (const platform of ['darwin', 'win32'] as const) {
    const source = appPowerSource(() => false, platform, root);
    assert.equal(source.batteryPercent(), null, platform);
    assert.equal(source.onBattery(), false, platform);
  }
});
