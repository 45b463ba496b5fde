/**
 * Breakout helpers for integration tests: the members as the domain sees them, and the control
 * document's setup as every replica shows it.
 */
import * as Y from 'yjs';
import { tidyBreakout, type BreakoutView, type Member } from '../../src/lib/domain/breakout';
import { asUserId, type UserId } from '../../src/lib/domain/ids';
import { isModerator, type Role } from '../../src/lib/domain/roles';
import { readBreakoutState } from '../../src/lib/sync/control';
import { api, waitFor } from './api';

/** The conversation's members from `GET /api/conversations/:id`, as `tidyBreakout` wants them. */
export async function getBreakoutMembers(
  baseUrl: string,
  cookie: string,
  conversationId: string
): Promise<Member[]> {
  const answer = await api<{ members: Array<{ userId: string; role: Role }> }>(
    baseUrl,
    `/api/conversations/${conversationId}`,
    { cookie }
  );
  if (answer.status !== 200) throw new Error(`GET conversation: HTTP ${answer.status}`);
  return answer.body.members.map((m) => ({ userId: asUserId(m.userId), isModerator: isModerator(m.role) }));
}

export const participantsOf = (members: Member[]): Set<UserId> =>
  new Set(members.filter((m) => !m.isModerator).map((m) => m.userId));

/** What a replica shows (SPEC R42–R45). */
export const viewOf = (doc: Y.Doc, members: Member[]): BreakoutView =>
  tidyBreakout({ state: readBreakoutState(doc), members });

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Waits until every replica has seen the same updates (equal state vectors). */
export async function waitForSameState(docs: Y.Doc[], what = 'the replicas to converge'): Promise<void> {
  await waitFor(
    () => {
      const first = Y.encodeStateVector(docs[0]);
      return docs.every((doc) => sameBytes(Y.encodeStateVector(doc), first));
    },
    { what }
  );
}

/**
 * Every participant is in at most one room, every room in the view exists in the document, and the
 * view's indexes agree with its lists; the failing sentence says which rule broke.
 */
export function findInvalidity(doc: Y.Doc, members: Member[]): string | null {
  const view = viewOf(doc, members);
  const existing = new Set(readBreakoutState(doc).rooms.map((r) => r.id));
  const seen = new Set<UserId>();
  for (const room of view.rooms) {
    if (!existing.has(room.id)) return `room ${room.id} is shown but does not exist`;
    for (const userId of room.members) {
      if (seen.has(userId)) return `${userId} is in two rooms`;
      seen.add(userId);
      if (view.roomOf.get(userId) !== room.id) return `roomOf disagrees for ${userId}`;
    }
  }
  for (const userId of view.unassigned) if (seen.has(userId)) return `${userId} is in a room and unassigned`;
  const moderators = members.filter((m) => m.isModerator).map((m) => m.userId);
  for (const userId of moderators) if (seen.has(userId)) return `moderator ${userId} is assigned`;
  return null;
}
