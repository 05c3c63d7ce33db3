import type { Channel, DormouseBridge, DormouseEvent, Envelope, RequestOf, ResponseOf } from '../../shared/contract';

declare global {
  interface Window {
    dormouse?: DormouseBridge;
  }
}

/**
 * The same API over HTTP, for the web host (`dormouse daemon --ui`): POST /api/<channel> with the
 * per-start token the page was served with, and engine events as server-sent events.
 */
function httpBridge(): DormouseBridge {
  const token = document.querySelector<HTMLMetaElement>('meta[name="dormouse-token"]')?.content ?? new URLSearchParams(window.location.search).get('token') ?? '';
  return {
    async invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Envelope<ResponseOf<C>>> {
      try {
        const response = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          credentials: 'omit',
          body: JSON.stringify(request),
        });
        return (await response.json()) as Envelope<ResponseOf<C>>;
      } catch (error) {
        return { ok: false, error: { code: 'INTERNAL', message: `Dormouse is not reachable (${(error as Error).message})` } };
      }
    },
    onEvent(listener: (event: DormouseEvent) => void) {
      const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
      source.onmessage = (message) => listener(JSON.parse(message.data as string) as DormouseEvent);
      return () => source.close();
    },
  };
}

/**
 * True when the page was opened from the app's own files but its preload gave it no window.dormouse:
 * there is no HTTP host to fall back to there, so the window says so instead of failing request by request.
 */
export const preloadMissing = window.dormouse === undefined && window.location.protocol === 'file:';

/** What the window says when its preload did not load. */
export const preloadMissingMessage = 'This window could not connect to Dormouse: its preload script did not load. Quit Dormouse from the tray and start it again; if this keeps happening, reinstall Dormouse.';

function unconnectedBridge(): DormouseBridge {
  return {
    invoke: () => Promise.resolve({ ok: false, error: { code: 'INTERNAL', message: preloadMissingMessage } }),
    onEvent: () => () => undefined,
  };
}

/** The bridge to the engine: the preload's in the app, HTTP in a browser, none when the app's preload failed. */
export const bridge: DormouseBridge = window.dormouse ?? (preloadMissing ? unconnectedBridge() : httpBridge());

const listeners = new Set<(event: DormouseEvent) => void>();
let stopListening: (() => void) | null = null;

/**
 * Listens to engine events through ONE connection shared by the whole window (a browser allows
 * only a few connections per host, and each EventSource holds one open).
 */
export function subscribe(listener: (event: DormouseEvent) => void): () => void {
  listeners.add(listener);
  stopListening ??= bridge.onEvent((event) => listeners.forEach((each) => each(event)));
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && stopListening) {
      stopListening();
      stopListening = null;
    }
  };
}

/** An engine error with its code and the engine's own message, shown inline by the forms. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Calls a contract channel and returns its answer, or throws the engine's error. */
export async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const envelope = await bridge.invoke(channel, request);
  if (!envelope.ok) throw new EngineError(envelope.error.code, envelope.error.message);
  return envelope.value;
}
