import type { Channel } from '../../shared/contract';

// The IPC channel names the preload needs, in a file that imports nothing: the preload runs in the
// window's sandbox and is bundled from this, never from shared/contract.ts (which pulls in zod).

/** The channel engine events travel on to the window (shared/contract.ts's eventChannel, checked equal by test). */
export const eventChannelName = 'dormouse:event';

/**
 * Invoked by the preload when the page starts listening to engine events: the main process answers
 * with the navigation the page has not seen yet (a notification click that opened the window), as
 * anything sent before the page listens is dropped by Electron.
 */
export const pageListeningChannel = 'dormouse:page-listening';

/**
 * The contract channels the settings window calls, and the only ones its preload passes on and the
 * main process answers over IPC. The CLI-shaped ones (jobs:run waits for a whole backup, prune,
 * import, cancel, set-enabled) stay with the CLI and the daemon.
 */
export const windowChannels = [
  'coverage:get',
  'cron:preview',
  'destinations:add',
  'destinations:list',
  'destinations:recovery-kit',
  'destinations:remove',
  'destinations:s3-key-storage',
  'destinations:usage',
  'folders:pick',
  'folders:suggest',
  'jobs:get',
  'jobs:list',
  'jobs:start',
  'passphrases:forget',
  'passphrases:remember',
  'passphrases:status',
  'schedules:add',
  'schedules:edit',
  'schedules:list',
  'schedules:remove',
  'settings:get',
  'settings:set',
  'snapshots:list',
  'snapshots:ls',
  'snapshots:restore',
  'snapshots:suggest-target',
  'snapshots:verify',
  'status:get',
] as const satisfies readonly Channel[];

/** True for a channel the window may call. */
export function isWindowChannel(name: unknown): name is (typeof windowChannels)[number] {
  return typeof name === 'string' && (windowChannels as readonly string[]).includes(name);
}
