import type { WebSocket } from 'ws';

/** A socket whose last ping was answered (`isAlive`, set back to `true` by its 'pong' handler). */
export interface Pingable {
  readonly ws: WebSocket;
  isAlive: boolean;
}

/**
 * Pings every socket of `sockets` (read afresh each round) every `intervalMs`; one that did not answer the
 * previous ping is cut, so dead connections go. Returns the function that stops it.
 */
export function startKeepalive(sockets: Iterable<Pingable>, intervalMs = 30_000): () => void {
  const timer = setInterval(() => {
    for (const socket of sockets) {
      if (!socket.isAlive) {
        socket.ws.terminate();
        continue;
      }
      socket.isAlive = false;
      try {
        socket.ws.ping();
      } catch {
        socket.ws.terminate();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
