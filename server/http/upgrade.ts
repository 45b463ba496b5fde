/**
 * What every WebSocket upgrade of a conversation checks before the protocol switches (SPEC R13, R111):
 * the Origin, the session or guest cookie, the conversation and the membership. Refusals are plain
 * HTTP answers written to the raw socket, so nothing of the protocol ever flows to someone refused.
 * Used by the sync server (`/ws/<docName>`) and the call signaling hub (`/ws-signal/<conversationId>`).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ConversationId } from '../../src/lib/domain/ids';
import type { Role } from '../../src/lib/domain/roles';
import type { Identity } from '../auth/identity';
import type { Persistence } from '../persistence/types';

export interface UpgradeRefusal {
  ok: false;
  status: 401 | 403 | 404;
  sentence: string;
}

export type MemberAdmission<T> = { ok: true; identity: Identity; role: Role; target: T } | UpgradeRefusal;

/** The sentence of each refusal, in the words of the endpoint (a document, a call). */
export interface UpgradeSentences {
  /** 403: the Origin is neither ours nor allowed. */
  origin: string;
  /** 401: no valid session or guest cookie. */
  signIn: string;
  /** 404: the path names nothing of ours. */
  notFound: string;
  /** 404: the conversation does not exist. */
  noConversation: string;
  /** 403: signed in, but not a member of the conversation. */
  notMember: string;
}

/**
 * Checks, in this order: Origin (403), identity (401), the path (`parseTarget` of the URL; `null`:
 * 404), the conversation (404) and the membership (403). Admits with who it is, their role and the
 * parsed target.
 */
export async function admitMember<T extends { conversationId: ConversationId }>(
  req: IncomingMessage,
  options: {
    persistence: Pick<Persistence, 'getConversation' | 'getMembership'>;
    identify: (req: IncomingMessage) => Promise<Identity | null>;
    isAllowedOrigin: (req: IncomingMessage) => boolean;
    parseTarget: (url: string | undefined) => T | null;
    sentences: UpgradeSentences;
  }
): Promise<MemberAdmission<T>> {
  const { sentences } = options;
  if (!options.isAllowedOrigin(req)) return { ok: false, status: 403, sentence: sentences.origin };
  const identity = await options.identify(req);
  if (!identity) return { ok: false, status: 401, sentence: sentences.signIn };
  const target = options.parseTarget(req.url);
  if (!target) return { ok: false, status: 404, sentence: sentences.notFound };
  const conversation = await options.persistence.getConversation(target.conversationId);
  if (!conversation) return { ok: false, status: 404, sentence: sentences.noConversation };
  const membership = await options.persistence.getMembership(target.conversationId, identity.userId);
  const role = membership?.role ?? null;
  if (role === null) return { ok: false, status: 403, sentence: sentences.notMember };
  return { ok: true, identity, role, target };
}

/** Answers the upgrade request with a plain HTTP error and closes the socket once it is written. */
export function rejectUpgrade(socket: Duplex, status: number, sentence: string): void {
  if (socket.destroyed) return;
  const body = Buffer.from(sentence + '\n');
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      '\r\n' +
      body.toString('utf8')
  );
}

const SHUTTING_DOWN = 'The server is shutting down; try again in a moment.';

/**
 * The life of one upgrade request, the same for every endpoint: a client reset before `ws` owns the
 * socket must not become an uncaught 'error'; a server closing refuses (503), before and after the
 * admission; a refusal is answered in words (`rejectUpgrade`); an admitted request becomes a WebSocket
 * handed to `accept` with its admission; a failed admission is logged and answered 500 with `failure`.
 */
export function upgradeAdmitted<T extends { ok: true }>(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: {
    wss: WebSocketServer;
    isClosing: () => boolean;
    admit: (req: IncomingMessage) => Promise<T | UpgradeRefusal>;
    accept: (ws: WebSocket, admission: T) => void;
    onError: (error: unknown) => void;
    /** The 500 sentence, in the endpoint's words. */
    failure: string;
  }
): void {
  const onSocketError = () => socket.destroy();
  socket.on('error', onSocketError);
  if (options.isClosing()) {
    rejectUpgrade(socket, 503, SHUTTING_DOWN);
    return;
  }
  options
    .admit(req)
    .then((admission) => {
      if (!admission.ok) {
        rejectUpgrade(socket, admission.status, admission.sentence);
        return;
      }
      if (options.isClosing()) {
        rejectUpgrade(socket, 503, SHUTTING_DOWN);
        return;
      }
      socket.off('error', onSocketError);
      options.wss.handleUpgrade(req, socket, head, (ws) => options.accept(ws, admission));
    })
    .catch((error: unknown) => {
      options.onError(error);
      rejectUpgrade(socket, 500, options.failure);
    });
}
