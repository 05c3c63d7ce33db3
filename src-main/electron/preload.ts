import { contextBridge, ipcRenderer } from 'electron';
import { ipcChannel, isChannel, type DormouseBridge } from '../../shared/contract';

const bridge: DormouseBridge = {
  invoke: (channel, request) => {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'INVALID_INPUT', message: `unknown channel ${String(channel)}` } });
    return ipcRenderer.invoke(ipcChannel(channel), request);
  },
};

contextBridge.exposeInMainWorld('dormouse', bridge);
