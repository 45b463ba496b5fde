import { describe, expect, it } from 'vitest';
import { getDocName, parseDocName } from './docs';
import { asConversationId } from './ids';

const id = asConversationId('abcDEF123_-x');

describe('document names', () => {
  it('R10: round-trips every kind of document', () => {
    for (const ref of [
      { conversationId: id, kind: 'control' as const },
      { conversationId: id, kind: 'meta' as const },
      { conversationId: id, kind: 'history' as const },
      { conversationId: id, kind: 'chat' as const, room: 'main' }
    ]) {
      expect(parseDocName(getDocName(ref))).toEqual(ref);
    }
    expect(getDocName({ conversationId: id, kind: 'chat' })).toBe(`conversation/${id}/chat/main`);
    expect(getDocName({ conversationId: id, kind: 'history' })).toBe(`conversation/${id}/history`);
  });

  it('R13: refuses names that are not exactly ours', () => {
    for (const name of [
      '',
      'conversation',
      `conversation/${id}`,
      `conversation/${id}/other`,
      `conversation/${id}/control/extra`,
      `conversation/${id}/history/extra`,
      `conversation/${id}/histories`,
      `conversation/${id}/chat`,
      `conversation/${id}/chat/../x`,
      `conversation/short/control`,
      `conversation/${id}/chat/${'r'.repeat(65)}`,
      `room/${id}/control`
    ]) {
      expect(parseDocName(name)).toBeNull();
    }
  });
});
