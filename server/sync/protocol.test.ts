import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { Awareness } from 'y-protocols/awareness';
import {
  decodeClientMessage,
  encodeAwarenessMessage,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdateMessage,
  MalformedMessageError
} from './protocol';

const frame = (...parts: Array<(e: encoding.Encoder) => void>) => {
  const e = encoding.createEncoder();
  for (const part of parts) part(e);
  return encoding.toUint8Array(e);
};

describe('decodeClientMessage', () => {
  const doc = new Y.Doc();
  doc.getMap('m').set('k', 1);

  it('R16: reads each message the stock client sends', () => {
    expect(decodeClientMessage(encodeSyncStep1(doc)).type).toBe('syncStep1');
    expect(decodeClientMessage(encodeSyncStep2(doc, Y.encodeStateVector(new Y.Doc()))).type).toBe(
      'syncStep2'
    );
    expect(decodeClientMessage(encodeUpdateMessage(Y.encodeStateAsUpdate(doc))).type).toBe('update');
    const awareness = new Awareness(doc);
    expect(decodeClientMessage(encodeAwarenessMessage(awareness, [doc.clientID])).type).toBe('awareness');
    awareness.destroy();
    expect(decodeClientMessage(Uint8Array.of(3))).toEqual({ type: 'queryAwareness' });
  });

  it('R16: refuses auth messages, unknown types, unknown sync subtypes, truncation and trailing bytes', () => {
    const update = encodeUpdateMessage(Y.encodeStateAsUpdate(doc));
    const bad = [
      new Uint8Array(0),
      frame(
        (e) => encoding.writeVarUint(e, 2),
        (e) => encoding.writeVarUint(e, 0),
        (e) => encoding.writeVarString(e, 'x')
      ),
      Uint8Array.of(7),
      frame(
        (e) => encoding.writeVarUint(e, 0),
        (e) => encoding.writeVarUint(e, 9),
        (e) => encoding.writeVarUint8Array(e, Uint8Array.of(0))
      ),
      update.subarray(0, update.length - 1),
      Uint8Array.of(...update, 0),
      Uint8Array.of(0xff, 0xff, 0xff),
      // a step 1 whose state vector claims more entries than it has
      frame(
        (e) => encoding.writeVarUint(e, 0),
        (e) => encoding.writeVarUint(e, 0),
        (e) => encoding.writeVarUint8Array(e, Uint8Array.of(5, 1))
      )
    ];
    for (const [i, f] of bad.entries()) {
      expect(() => decodeClientMessage(f), `frame ${i}`).toThrow(MalformedMessageError);
    }
  });
});
