import type { Menu, Notification, Tray } from 'electron';
import type { NotificationText } from '../desktop/notification-texts';

/** The environment variable that turns the probe on (`DORMOUSE_SMOKE_PROBE=1`); no real start sets it. */
export const smokeProbeVariable = 'DORMOUSE_SMOKE_PROBE';

/** The main-process global the probe is published as, for Playwright's `electronApp.evaluate`. */
export const smokeProbeGlobal = 'dormouseSmokeProbe';

/** A tray menu entry as Electron built it (separators left out). */
export interface ProbedMenuItem {
  label: string;
  enabled: boolean;
  submenu?: ProbedMenuItem[];
}

/** A notification the app showed, and the job its click opens. */
export interface ProbedNotification {
  title: string;
  body: string;
  jobId: number | null;
}

/**
 * What the smoke test of the real app reads in its main process: the tray's menu as last set and
 * the notifications shown. clickNotification does what the OS does on a click (emits 'click' on the
 * app's Notification, held here only weakly, as the OS holds it); everything else is read-only.
 */
export interface SmokeProbe {
  trayMenu(): ProbedMenuItem[] | null;
  notifications(): ProbedNotification[];
  /** False when the app had already let go of that notification, so a click would reach nobody. */
  clickNotification(index: number): boolean;
}

/** The main process's side: where it reports the tray it made and each notification it showed. */
export interface SmokeProbeRecorder {
  watchTray(tray: Tray): void;
  notificationShown(notification: Notification, text: NotificationText): void;
}

function menuItems(menu: Menu): ProbedMenuItem[] {
  return menu.items
    .filter((item) => item.type !== 'separator')
    .map((item) => ({ label: item.label, enabled: item.enabled, ...(item.submenu ? { submenu: menuItems(item.submenu) } : {}) }));
}

/**
 * Publishes a SmokeProbe on `target` and returns its recorder when `env` has DORMOUSE_SMOKE_PROBE=1;
 * otherwise does nothing and returns null, so a normal start has no probe and no global.
 * Electron has no getter for a tray's context menu, so the watched tray's setContextMenu is wrapped
 * to keep the Menu it is given (and still passes it on).
 */
export function startSmokeProbe(env: NodeJS.ProcessEnv = process.env, target: object = globalThis): SmokeProbeRecorder | null {
  if (env[smokeProbeVariable] !== '1') return null;
  let menu: Menu | null = null;
  const shown: { text: NotificationText; notification: WeakRef<Notification> }[] = [];
  const probe: SmokeProbe = {
    trayMenu: () => (menu ? menuItems(menu) : null),
    notifications: () => shown.map(({ text }) => ({ title: text.title, body: text.body, jobId: text.jobId })),
    clickNotification: (index) => {
      const notification = shown[index]?.notification.deref();
      if (!notification) return false;
      notification.emit('click', { preventDefault: () => undefined });
      return true;
    },
  };
  Object.defineProperty(target, smokeProbeGlobal, { value: probe, configurable: true });
  return {
    watchTray: (tray) => {
      const setContextMenu = tray.setContextMenu.bind(tray);
      tray.setContextMenu = (next: Menu | null) => {
        menu = next;
        setContextMenu(next);
      };
    },
    notificationShown: (notification, text) => {
      shown.push({ text, notification: new WeakRef(notification) });
    },
  };
}
