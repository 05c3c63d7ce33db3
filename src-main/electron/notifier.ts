import { Notification } from 'electron';
import type { NotificationText } from '../desktop/notification-texts';

/** How many shown notifications are held at most; the oldest is let go of first (a toast in Windows' action centre may never say it closed). */
const heldAtMost = 50;

/**
 * Shows desktop notifications and keeps each one referenced until it is clicked, closed or failed:
 * Electron keeps no reference for the app, so a Notification held by nothing is garbage-collected
 * and its click reaches nobody (electron/electron#16922, #12690). `shown` hears each one shown
 * (the smoke test's probe, src-main/electron/smoke-probe.ts).
 */
export function notifier(onClick: (text: NotificationText) => void, shown?: (notification: Notification, text: NotificationText) => void): (text: NotificationText) => void {
  const held = new Set<Notification>();
  return (text) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: text.title, body: text.body });
    const release = () => held.delete(notification);
    notification.on('click', () => {
      release();
      onClick(text);
    });
    notification.on('close', release);
    notification.on('failed', release);
    held.add(notification);
    if (held.size > heldAtMost) held.delete(held.values().next().value as Notification);
    notification.show();
    shown?.(notification, text);
  };
}
