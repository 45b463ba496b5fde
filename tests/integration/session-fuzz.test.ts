/**
 * Seeded fuzz of the choosing intents (SPEC R44, R77, R78): batches of concurrent choose / return /
 * rejoin / help requests from many participants, while a moderator changes seat caps. After every
 * batch the server's view must hold: no room over its cap, and a batch never admits more people into a
 * room than it had free seats. A failing seed stays in SEEDS as a named regression.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/lib/domain/breakout';
import { asUserId, type RoomId } from '../../src/lib/domain/ids';
import { createRooms, readSession, setSeatCap, startSession } from '../../src/lib/sync/control';
import { createInvite, joinAsAccount, signUp, type Actor } from '../helpers/api';
import { getBreakoutMembers, viewOf } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { readServerControl, sendIntent, waitForServerControl } from '../helpers/session';
import { castConversation, createClientPool } from './syncFixture';

const SEEDS = [1, 7, 2024];
const BATCHES = 12;

let server: TestServer;
const pool = createClientPool(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  pool.destroyAll();
  await server.cleanup();
});

describe('choosing rooms under concurrency (seeded)', () => {
  for (const seed of SEEDS) {
    it(`R44 R78: seed ${seed}: no room ever holds more than its cap, and no batch over-admits`, async () => {
      const random = createRandom(seed);
      const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
      const cast = await castConversation(server);
      const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
      const people: Actor[] = [cast.bob, cast.carol, cast.dave];
      for (let i = 0; i < 5; i++) {
        const user = await signUp(server.url, `fz${seed}x${i}x${Date.now() % 1e6}`);
        await joinAsAccount(server.url, user.cookie, invite.token);
        people.push(user);
      }
      const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
      const alice = pool.connect(cast.alice, cast.controlDoc);
      await alice.whenSynced();
      const created = createRooms(alice.doc, { count: 3, mode: 'choose' });
      if (!created.ok) throw new Error(created.error);
      const rooms: RoomId[] = created.value;
      for (const room of rooms) setSeatCap(alice.doc, { roomId: room, seatCap: 2 });
      const started = startSession(alice.doc, {
        timerMinutes: null,
        moveAutomatically: true,
        allowReturn: true,
        now: Date.now()
      });
      if (!started.ok) throw new Error(started.error);
      await waitForServerControl(server, cast.conversationId, (doc) => readSession(doc) !== null);
      const serverView = () => readServerControl(server, cast.conversationId, (doc) => viewOf(doc, members));

      const seen = { admitted: 0, full: 0 };
      for (let batch = 0; batch < BATCHES; batch++) {
        if (random() < 0.3) {
          const room = pick(rooms);
          const cap = 1 + Math.floor(random() * 3);
          setSeatCap(alice.doc, { roomId: room, seatCap: cap });
          await waitForServerControl(server, cast.conversationId, (doc) =>
            viewOf(doc, members).rooms.some((r) => r.id === room && r.seatCap === cap)
          );
        }
        const before = await serverView();
        const actions = people
          .filter(() => random() < 0.7)
          .map((person) => {
            const roll = random();
            const kind = roll < 0.6 ? 'choose' : roll < 0.75 ? 'return' : roll < 0.9 ? 'rejoin' : 'help';
            const roomId = pick(rooms);
            return { person, kind, roomId };
          });
        const answers = await Promise.all(
          actions.map(({ person, kind, roomId }) =>
            sendIntent(
              server,
              person.cookie,
              cast.conversationId,
              kind as 'choose',
              kind === 'choose' ? { roomId } : undefined
            )
          )
        );
        for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
        actions.forEach((a, i) => {
          if (a.kind !== 'choose') return;
          if (answers[i].status === 200) seen.admitted++;
          else if (/is full/.test(String(answers[i].body?.error))) seen.full++;
        });
        const after = await serverView();
        for (const room of after.rooms) {
          if (room.seatCap !== null) expect(room.members.length).toBeLessThanOrEqual(room.seatCap);
          const was = before.rooms.find((r) => r.id === room.id)!;
          const newcomers = actions.filter(
            (a, i) =>
              a.kind === 'choose' &&
              a.roomId === room.id &&
              answers[i].status === 200 &&
              !was.members.includes(asUserId(a.person.user.id))
          ).length;
          const free = room.seatCap === null ? Infinity : Math.max(0, room.seatCap - was.members.length);
          // Leavers in the same batch free seats for newcomers (R78), so count them in.
          const leavers = was.members.filter((m) => !room.members.includes(m)).length;
          expect(newcomers, `batch ${batch}, room ${room.name}`).toBeLessThanOrEqual(free + leavers);
        }
      }
      // The run exercised both outcomes; otherwise the invariants above prove nothing.
      expect(seen.admitted).toBeGreaterThan(0);
      expect(seen.full).toBeGreaterThan(0);
      alice.destroy();
    });
  }
});
