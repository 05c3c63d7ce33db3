import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventChannel, ipcChannel, isChannel, type DormouseBridge, type DormouseEvent } from '../../shared/contract';

/** The one narrow API the renderer gets: contract channels and engine events, never ipcRenderer itself. */
const bridge: DormouseBridge = {
  invoke: (channel, request) => {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_INPUT', message: `unknown channel ${String(channel)}` } });
    return ipcRenderer.invoke(ipcChannel(channel), request);
  },
  onEvent: (listener) => {
    const forward = (_event: IpcRendererEvent, message: DormouseEvent) => listener(message);
    ipcRenderer.on(eventChannel, forward);
    return () => {
      ipcRenderer.off(eventChannel, forward);
    };
  },
};

contextBridge.exposeInMainWorld('dormouse', bridge);
