import { sysfsPowerSource } from '../daemon/linux-power';
import { systemTimers, type PowerSource } from '../scheduler/scheduler';
import type { SchedulerHost } from '../scheduler/scheduler-host';
import { WakeDetector } from '../scheduler/wake-detector';

/**
 * The power source the tray app's scheduler asks. Electron says whether the laptop runs on battery
 * but not how full it is: on Linux the level comes from sysfs, as in the daemon; on macOS and
 * Windows it is unknown (null), so `minBatteryPercent` cannot hold a backup back there, and the
 * settings screen says so.
 */
export function appPowerSource(onBattery: () => boolean, platform: NodeJS.Platform = process.platform, sysfsRoot?: string): PowerSource {
  const linux = platform === 'linux' ? sysfsPowerSource(sysfsRoot) : null;
  return { onBattery, batteryPercent: () => linux?.batteryPercent() ?? null };
}

/**
 * Watches the clocks in the tray app as the daemon does, for what Electron has no event for: a
 * clock set back and a new time zone (a laptop that travels) recompute the schedule. Waking is
 * left to Electron's resume and unlock events, which the app already follows.
 */
export function watchClockChanges(host: SchedulerHost): WakeDetector {
  const detector = new WakeDetector({
    timers: systemTimers,
    monotonicNow: () => performance.now(),
    onWake: () => undefined,
    onClockChange: (reason) => host.clockChanged(reason),
  });
  detector.start();
  return detector;
}
