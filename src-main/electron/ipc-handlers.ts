import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ipcChannel, type Envelope } from '../../shared/contract';
import { DormouseError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { windowChannels } from './window-channels';

/**
 * Connects the contract channels the window uses to the engine (no others: the CLI-shaped ones
 * stay out of the window's reach): checks that the message comes from the app's
 * own window, lets the engine validate the payload, and answers with an envelope.
 */
export function registerIpcHandlers(ipcMain: IpcMain, engine: Engine, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): void {
  for (const channel of windowChannels) {
    ipcMain.handle(ipcChannel(channel), async (event, payload: unknown): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) return { ok: false, error: { code: 'INVALID_INPUT', message: 'request from an untrusted sender' } };
      try {
        return { ok: true, value: await engine.handle(channel, payload) };
      } catch (error) {
        if (error instanceof DormouseError) return { ok: false, error: { code: error.code, message: error.message } };
        return { ok: false, error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
      }
    });
  }
}
