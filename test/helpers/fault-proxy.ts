import { createConnection, createServer, type Socket } from 'node:net';

/** What went through the proxy and what it did. */
export interface ProxyCounters {
  connections: number;
  /** Bytes forwarded from clients to the server, and back. */
  bytesUp: number;
  bytesDown: number;
  /** Connections reset by cutAll (or cutAfter). */
  connectionsCut: number;
}

/** A TCP proxy in front of a server that a test tells to fail like a network does. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`, to use instead of the server's endpoint. */
  endpoint: string;
  port: number;
  counters: ProxyCounters;
  /** Resets every open connection now (the Wi-Fi went away). */
  cutAll(): void;
  /** Resets every open connection once `bytes` more bytes have gone up to the server (a cut in the middle of an upload). */
  cutAfter(bytes: number): void;
  /** Stops forwarding, both ways, on every connection old and new, without closing any (the laptop sleeps). */
  stall(): void;
  /** Stalls once `bytes` more bytes have gone up to the server. */
  stallAfter(bytes: number): void;
  /** Resolves when the next stall takes effect. */
  stalled(): Promise<void>;
  /** Resets every open connection and every new one until resume() (the network is down: a sleeping laptop's Wi-Fi). */
  refuse(): void;
  /** Forwards again (the laptop woke up). */
  resume(): void;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
}

/**
 * Starts a fault-injecting TCP proxy on a free port of 127.0.0.1 that forwards to `target`: no
 * HTTP knowledge, just bytes, so what the client sees is exactly what a cut or a silent network
 * does to a real connection (a reset; or nothing at all, until its own timeout).
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const counters: ProxyCounters = { connections: 0, bytesUp: 0, bytesDown: 0, connectionsCut: 0 };
  let isStalled = false;
  let isRefusing = false;
  let trigger: { at: number; fault: 'cut' | 'stall' } | null = null;
  let stallWaiters: Array<() => void> = [];

  const cutAll = (): void => {
    for (const pair of pairs) {
      counters.connectionsCut++;
      pair.client.resetAndDestroy();
      pair.server.resetAndDestroy();
    }
    pairs.clear();
  };
  const stall = (): void => {
    isStalled = true;
    for (const pair of pairs) {
      pair.client.pause();
      pair.server.pause();
    }
    for (const waiter of stallWaiters) waiter();
    stallWaiters = [];
  };
  const resume = (): void => {
    isStalled = false;
    isRefusing = false;
    for (const pair of pairs) {
      pair.client.resume();
      pair.server.resume();
    }
  };

  /** Forwards `from` to `to`; upward bytes count towards a pending cutAfter or stallAfter. */
  const forward = (from: Socket, to: Socket, up: boolean): void => {
    from.on('data', (chunk: Buffer) => {
      let piece = chunk;
      let fault: 'cut' | 'stall' | null = null;
      if (up && trigger !== null && counters.bytesUp + chunk.length >= trigger.at) {
        piece = chunk.subarray(0, trigger.at - counters.bytesUp);
        fault = trigger.fault;
        trigger = null;
      }
      if (up) counters.bytesUp += piece.length;
      else counters.bytesDown += piece.length;
      if (!to.write(piece)) {
        from.pause();
        to.once('drain', () => {
          if (!isStalled) from.resume();
        });
      }
      if (fault === 'cut') cutAll();
      if (fault === 'stall') {
        stall();
        if (piece.length < chunk.length) from.unshift(chunk.subarray(piece.length));
      }
    });
    from.on('end', () => to.end());
  };

  const server = createServer({ allowHalfOpen: true }, (client) => {
    counters.connections++;
    if (isRefusing) {
      counters.connectionsCut++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
    const pair: Pair = { client, server: upstream };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
    forward(client, upstream, true);
    forward(upstream, client, false);
    if (isStalled) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no port');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    counters,
    cutAll,
    cutAfter: (bytes) => {
      trigger = { at: counters.bytesUp + bytes, fault: 'cut' };
    },
    stall,
    stallAfter: (bytes) => {
      trigger = { at: counters.bytesUp + bytes, fault: 'stall' };
    },
    stalled: () => new Promise((resolve) => stallWaiters.push(resolve)),
    refuse: () => {
      isRefusing = true;
      cutAll();
    },
    resume,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
      pairs.clear();
      await closed;
    },
  };
}
