import { z } from 'zod';

/** Every setting a person can change, with its default: the settings window and the engine share this. */
export const settingsSchema = z.strictObject({
  /** Seconds to wait after a wake (resume, unlock, start-up) before catching up, so a flapping laptop gets one catch-up. */
  settleSeconds: z.number().int().min(0).max(3600),
  /** Don't start backups on battery power; they wait, queued, until the laptop is on AC. */
  skipOnBattery: z.boolean(),
  /** Don't start backups below this battery percentage (null: no limit). */
  minBatteryPercent: z.number().int().min(1).max(100).nullable(),
  /** Show a notification when a backup succeeds (failures always notify). */
  notifyOnSuccess: z.boolean(),
  /** Days without a successful backup after which the tray asks for attention. */
  overdueWarningDays: z.number().int().min(1).max(365),
  /** Start Dormouse when the person logs in. */
  openAtLogin: z.boolean(),
  /** A new full backup after this many incrementals in a row. */
  incrementalsPerFull: z.number().int().min(0).max(1000),
  /** A new full backup when the last full one is this many days old. */
  fullEveryDays: z.number().int().min(1).max(3650),
  /** Re-read every archive (SHA-256 and manifest) every this many days; null: only when asked. */
  verifyEveryDays: z.number().int().min(1).max(365).nullable(),
  /** When every snapshot was last verified on that schedule (epoch ms), or null. */
  lastVerifiedAt: z.number().int().nonnegative().nullable(),
  /** Automatic backups are paused until this time (epoch ms), from the tray's Pause Backups; null when not paused. */
  pausedUntil: z.number().int().nonnegative().nullable(),
  /** Uploads to S3 destinations average at most this many KB (1000 bytes) a second; null: as fast as the network goes. */
  uploadLimitKbPerSecond: z.number().int().min(16).max(10_000_000).nullable(),
});

export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = {
  settleSeconds: 60,
  skipOnBattery: false,
  minBatteryPercent: null,
  notifyOnSuccess: true,
  overdueWarningDays: 7,
  openAtLogin: false,
  incrementalsPerFull: 30,
  fullEveryDays: 30,
  verifyEveryDays: null,
  lastVerifiedAt: null,
  pausedUntil: null,
  uploadLimitKbPerSecond: null,
};
