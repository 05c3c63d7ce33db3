import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { DormouseBridge, DormouseEvent } from '../../shared/contract';
import { eventChannelName, isWindowChannel, pageListeningChannel } from './window-channels';

/** The one narrow API the renderer gets: the channels the window uses and engine events, never ipcRenderer itself. */
const bridge: DormouseBridge = {
  invoke: (channel, request) => {
    if (!isWindowChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_INPUT', message: `the window has no channel ${String(channel)}` } });
    return ipcRenderer.invoke(`dormouse:${channel}`, request);
  },
  onEvent: (listener) => {
    const forward = (_event: IpcRendererEvent, message: DormouseEvent) => listener(message);
    ipcRenderer.on(eventChannelName, forward);
    // Events sent before this listener existed were dropped; the main process kept the navigation
    // (a notification click that opened the window) and hands it over now.
    void ipcRenderer.invoke(pageListeningChannel).then((pending: DormouseEvent | null) => {
      if (pending) listener(pending);
    });
    return () => {
      ipcRenderer.off(eventChannelName, forward);
    };
  },
};

contextBridge.exposeInMainWorld('dormouse', bridge);
