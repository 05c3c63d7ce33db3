import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PowerSource } from '../scheduler/scheduler';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The power supply as Linux's sysfs describes it, for the daemon (the app asks Electron's
 * powerMonitor instead). A machine with no battery, or one sysfs cannot describe, is on mains.
 */
export function sysfsPowerSource(root = '/sys/class/power_supply'): PowerSource {
  const supplies = () => {
    try {
      return readdirSync(root).map((name) => ({ type: read(join(root, name, 'type')), dir: join(root, name) }));
    } catch {
      return [];
    }
  };
  return {
    onBattery: () => {
      const all = supplies();
      const mains = all.filter((supply) => supply.type === 'Mains' || supply.type === 'USB');
      const batteries = all.filter((supply) => supply.type === 'Battery');
      if (batteries.length === 0) return false;
      if (mains.some((supply) => read(join(supply.dir, 'online')) === '1')) return false;
      return batteries.some((battery) => read(join(battery.dir, 'status')) === 'Discharging');
    },
    batteryPercent: () => {
      const battery = supplies().find((supply) => supply.type === 'Battery');
      const capacity = battery ? Number(read(join(battery.dir, 'capacity'))) : Number.NaN;
      return Number.isFinite(capacity) ? capacity : null;
    },
  };
}
