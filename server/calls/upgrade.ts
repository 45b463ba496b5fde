/**
 * The gate in front of the signaling socket `/ws-signal/<conversationId>` (SPEC R111): the same checks
 * as a document's upgrade (R13), refused as plain HTTP before the protocol switches.
 */
import type { IncomingMessage } from 'node:http';
import { asConversationId, isValidId, type ConversationId } from '../../src/lib/domain/ids';
import type { Identity } from '../auth/identity';
import { admitMember, type MemberAdmission, type UpgradeSentences } from '../http/upgrade';
import type { Persistence } from '../persistence/types';

export const SIGNAL_PATH_PREFIX = '/ws-signal/';

const CALL_SENTENCES: UpgradeSentences = {
  origin: 'This page’s origin may not join Parley calls.',
  signIn: 'Sign in or join as a guest before joining a call.',
  notFound: 'There is no such call. The signaling address is /ws-signal/<conversation id>.',
  noConversation: 'This conversation does not exist.',
  notMember: 'Only members of this conversation may join its calls.'
};

/** The conversation in `/ws-signal/<conversationId>?…`, or `null` when the path names none. */
export function getSignalTarget(url: string | undefined): { conversationId: ConversationId } | null {
  if (!url) return null;
  const path = url.split('?', 1)[0].split('#', 1)[0];
  if (!path.startsWith(SIGNAL_PATH_PREFIX)) return null;
  const id = path.slice(SIGNAL_PATH_PREFIX.length);
  return isValidId(id) ? { conversationId: asConversationId(id) } : null;
}

export function admitSignaling(
  req: IncomingMessage,
  options: {
    persistence: Pick<Persistence, 'getConversation' | 'getMembership'>;
    identify: (req: IncomingMessage) => Promise<Identity | null>;
    isAllowedOrigin: (req: IncomingMessage) => boolean;
  }
): Promise<MemberAdmission<{ conversationId: ConversationId }>> {
  return admitMember(req, { ...options, parseTarget: getSignalTarget, sentences: CALL_SENTENCES });
}
