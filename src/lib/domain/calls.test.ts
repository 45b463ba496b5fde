import { describe, expect, it } from 'vitest';
import { asRoomId } from './ids';
import { MAIN_CALL, MAX_SIGNAL_BYTES, mayJoinCall, parseClientMessage, parseSignalData } from './calls';

const media = { audio: true, video: false };
const json = (value: unknown) => JSON.stringify(value);

describe('parseClientMessage', () => {
  it('R117: reads each kind of client message', () => {
    expect(parseClientMessage(json({ type: 'join', room: MAIN_CALL, media }))).toEqual({
      type: 'join',
      room: 'main',
      media
    });
    expect(parseClientMessage(json({ type: 'join', room: 'r_Room-1', media }))).toEqual({
      type: 'join',
      room: 'r_Room-1',
      media
    });
    expect(parseClientMessage(json({ type: 'leave' }))).toEqual({ type: 'leave' });
    expect(parseClientMessage(json({ type: 'media', media: { audio: false, video: true } }))).toEqual({
      type: 'media',
      media: { audio: false, video: true }
    });
    expect(
      parseClientMessage(json({ type: 'signal', to: 'p_abc', data: { kind: 'offer', sdp: 'v=0' } }))
    ).toEqual({ type: 'signal', to: 'p_abc', data: { kind: 'offer', sdp: 'v=0' } });
    expect(
      parseClientMessage(json({ type: 'signal', to: 'p_abc', data: { kind: 'answer', sdp: '' } }))
    ).toEqual({
      type: 'signal',
      to: 'p_abc',
      data: { kind: 'answer', sdp: '' }
    });
    const candidate = {
      candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0
    };
    expect(
      parseClientMessage(json({ type: 'signal', to: 'p_abc', data: { kind: 'candidate', candidate } }))
    ).toEqual({ type: 'signal', to: 'p_abc', data: { kind: 'candidate', candidate } });
  });

  it('R117: keeps only the fields of the message, so nothing else is relayed', () => {
    expect(
      parseClientMessage(
        json({
          type: 'signal',
          to: 'p_abc',
          extra: 1,
          data: { kind: 'offer', sdp: 'v=0', from: 'someone-else', type: 'join' }
        })
      )
    ).toEqual({ type: 'signal', to: 'p_abc', data: { kind: 'offer', sdp: 'v=0' } });
    expect(
      parseClientMessage(json({ type: 'join', room: 'main', media: { ...media, screen: true } }))
    ).toEqual({
      type: 'join',
      room: 'main',
      media
    });
    expect(
      parseSignalData({ kind: 'candidate', candidate: { candidate: '', usernameFragment: 'x' } })
    ).toEqual({
      kind: 'candidate',
      candidate: { candidate: '' }
    });
    expect(
      parseSignalData({ kind: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } })
    ).toEqual({ kind: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } });
  });

  it('R117: refuses text that is not a JSON object', () => {
    for (const text of ['', 'hello', '{', 'null', '42', '"join"', '[]', json([{ type: 'leave' }])]) {
      expect(parseClientMessage(text), text).toBeNull();
    }
  });

  it('R117: refuses unknown types and missing or mistyped fields', () => {
    const bad: unknown[] = [
      {},
      { type: 'hello' },
      { type: 'LEAVE' },
      { type: 'welcome', peerId: 'p_x', iceServers: [] },
      { type: 'join', room: 'main' },
      { type: 'join', media },
      { type: 'join', room: 7, media },
      { type: 'join', room: '', media },
      { type: 'join', room: '../main', media },
      { type: 'join', room: 'x'.repeat(65), media },
      { type: 'join', room: 'main', media: { audio: 'yes', video: false } },
      { type: 'join', room: 'main', media: { audio: true } },
      { type: 'join', room: 'main', media: [true, false] },
      { type: 'media' },
      { type: 'media', media: null },
      { type: 'signal', to: 'p_abc' },
      { type: 'signal', data: { kind: 'offer', sdp: 'v=0' } },
      { type: 'signal', to: 5, data: { kind: 'offer', sdp: 'v=0' } },
      { type: 'signal', to: 'p abc', data: { kind: 'offer', sdp: 'v=0' } },
      { type: 'signal', to: 'p_abc', data: { kind: 'offer' } },
      { type: 'signal', to: 'p_abc', data: { kind: 'offer', sdp: 1 } },
      { type: 'signal', to: 'p_abc', data: { kind: 'pranswer', sdp: 'v=0' } },
      { type: 'signal', to: 'p_abc', data: { kind: 'candidate' } },
      { type: 'signal', to: 'p_abc', data: { kind: 'candidate', candidate: 'candidate:1' } },
      { type: 'signal', to: 'p_abc', data: { kind: 'candidate', candidate: { candidate: 1 } } },
      { type: 'signal', to: 'p_abc', data: { kind: 'candidate', candidate: { candidate: '', sdpMid: 0 } } },
      {
        type: 'signal',
        to: 'p_abc',
        data: { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: -1 } }
      },
      {
        type: 'signal',
        to: 'p_abc',
        data: { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: 0.5 } }
      },
      { type: 'signal', to: 'p_abc', data: 'v=0' }
    ];
    for (const message of bad) expect(parseClientMessage(json(message)), json(message)).toBeNull();
  });

  it('R117: refuses a frame over MAX_SIGNAL_BYTES, and takes one just under it', () => {
    const frame = (sdpLength: number) =>
      json({ type: 'signal', to: 'p_abc', data: { kind: 'offer', sdp: 'x'.repeat(sdpLength) } });
    const overhead = frame(0).length;
    expect(parseClientMessage(frame(MAX_SIGNAL_BYTES - overhead))).not.toBeNull();
    expect(parseClientMessage(frame(MAX_SIGNAL_BYTES - overhead + 1))).toBeNull();
  });
});

describe('mayJoinCall', () => {
  it('R114: moderators in any existing room’s call; participants only where the session puts them', () => {
    expect(mayJoinCall({ role: 'moderator', room: 'r1', location: null, roomExists: true })).toBe(true);
    expect(mayJoinCall({ role: 'owner', room: MAIN_CALL, location: null, roomExists: false })).toBe(true);
    expect(mayJoinCall({ role: 'moderator', room: 'gone', location: null, roomExists: false })).toBe(false);
    expect(mayJoinCall({ role: 'participant', room: MAIN_CALL, location: null, roomExists: false })).toBe(
      true
    );
    expect(
      mayJoinCall({ role: 'participant', room: MAIN_CALL, location: asRoomId('r1'), roomExists: false })
    ).toBe(false);
    expect(mayJoinCall({ role: 'guest', room: 'r1', location: asRoomId('r1'), roomExists: true })).toBe(true);
    expect(mayJoinCall({ role: 'participant', room: 'r2', location: asRoomId('r1'), roomExists: true })).toBe(
      false
    );
    expect(mayJoinCall({ role: null, room: MAIN_CALL, location: null, roomExists: true })).toBe(false);
  });
});
