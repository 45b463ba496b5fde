import type { Locator, Page } from '@playwright/test';
import {
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getMemberList,
  getMessage,
  getMessageLog,
  getNotice,
  getUsername,
  joinByApi,
  openConversation,
  RUN_ID,
  sendMessage,
  signUpByApi,
  test
} from './fixtures';
import { getPerson, getRoom, getShownTexts, setUpRooms } from './panel';

/**
 * Breakout sessions (SPEC R70–R81) across four browser contexts: alice owns the conversation and
 * moderates; bob, carol and dave are participants, each in a context of their own. The labels are the ones
 * issue 4 fixes.
 */

type Name = 'Bob' | 'Carol' | 'Dave';

// ---------------------------------------------------------------------------------------------------------
// Moderator side: setup dialog and management panel (labels of issue 3), session controls (issue 4).

/** The room alice's panel shows each of `names` in (R42, R46), once every one of them is in a room. */
async function readPlacement(page: Page, names: Name[], rooms: string[]): Promise<Record<Name, string>> {
  const placement = {} as Record<Name, string>;
  await expect
    .poll(
      async () => {
        for (const name of names) {
          for (const room of rooms) {
            if ((await getPerson(page, name, getRoom(page, room)).count()) === 1) placement[name] = room;
          }
        }
        return names.map((name) => placement[name] ?? null);
      },
      `alice's panel shows ${names.join(', ')} each in a room`
    )
    .not.toContain(null);
  return placement;
}

function getHelpRequests(page: Page): Locator {
  return page.getByRole('region', { name: /^Help requests/ });
}

async function startSession(
  page: Page,
  { timerMinutes, allowReturn }: { timerMinutes: number | null; allowReturn: boolean }
): Promise<void> {
  const timer = page.getByRole('spinbutton', { name: 'Timer (minutes)' });
  await timer.fill(timerMinutes === null ? '' : String(timerMinutes));
  // R74: automatic moving is the default.
  await expect(page.getByRole('checkbox', { name: 'Move participants automatically' })).toBeChecked();
  await page
    .getByRole('checkbox', { name: 'Allow participants to return to the main room' })
    .setChecked(allowReturn);
  await page.getByRole('button', { name: 'Start breakout sessions' }).click();
  await expect(page.getByRole('button', { name: 'End breakout sessions' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Start breakout sessions' })).toHaveCount(0);
}

/** Minutes of a "Time left m:ss" / "Rooms close in m:ss" timer, as a number (seconds as a fraction). */
async function readTimerMinutes(timer: Locator, prefix: string): Promise<number> {
  const text = (await timer.textContent()) ?? '';
  const match = new RegExp(`${prefix} (\\d+):(\\d\\d)`).exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) + Number(match[2]) / 60;
}

async function endSession(page: Page, closingSeconds: number): Promise<void> {
  await page.getByRole('combobox', { name: 'Closing countdown' }).selectOption(String(closingSeconds));
  await page.getByRole('button', { name: 'End breakout sessions' }).click();
}

// ---------------------------------------------------------------------------------------------------------
// Participant side.

/** The page shows breakout room `room` (R75): its name as the heading, "Breakout room", and its chat. */
async function expectInRoomView(page: Page, room: string): Promise<void> {
  await expect(page.getByRole('heading', { level: 2, name: room, exact: true })).toBeVisible();
  await expect(page.getByText('Breakout room', { exact: true })).toBeVisible();
  await expect(getMessageLog(page)).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
}

function getRoomPeople(page: Page): Locator {
  return page.getByRole('list', { name: 'In this room' });
}

/** The page shows the main room: the main chat, no breakout room view. */
async function expectInMainRoom(page: Page, mainText: string): Promise<void> {
  await expect(page.getByText('Breakout room', { exact: true })).toHaveCount(0);
  await expect(getRoomPeople(page)).toHaveCount(0);
  await expect(getMessage(page, mainText)).toBeVisible();
}

function getChooser(page: Page): Locator {
  return page.getByRole('list', { name: 'Choose a room' });
}

function getChoice(page: Page, room: string): Locator {
  return getChooser(page)
    .getByRole('listitem')
    .filter({ has: page.getByText(room, { exact: true }) });
}

// ---------------------------------------------------------------------------------------------------------

async function signUpEveryone(pages: Record<'alice' | Lowercase<Name>, Page>, prefix: string): Promise<void> {
  for (const [key, page] of Object.entries(pages)) {
    const displayName = key[0].toUpperCase() + key.slice(1);
    await signUpByApi(page, { username: getUsername(`${prefix}-${key}`), displayName });
  }
}

test('R70–R75, R79, R80, R72, R73: a workshop — automatic rooms, start, room chat, help, broadcast, move, end with a 10 s countdown', async ({
  alice,
  bob,
  carol,
  dave
}) => {
  test.setTimeout(240_000);
  const title = `Workshop ${RUN_ID}`;
  const marker = `ws-${RUN_ID}`;
  const participants: Record<Name, Page> = { Bob: bob, Carol: carol, Dave: dave };
  const names = Object.keys(participants) as Name[];
  const everyone = [alice, bob, carol, dave];
  const rooms = ['Room 1', 'Room 2'];
  const welcome = `Welcome to the workshop ${marker}`;
  let conversationId = '';
  let placement = {} as Record<Name, string>;
  /** What each room's chat holds, in order, as the test writes it. */
  const roomHistory: Record<string, string[]> = { 'Room 1': [], 'Room 2': [] };

  await test.step('alice creates a conversation; bob, carol and dave join; alice welcomes everyone in the main chat', async () => {
    await signUpEveryone({ alice, bob, carol, dave }, 'ses');
    conversationId = await createConversationByApi(alice, title);
    for (const page of [bob, carol, dave]) await joinByApi(alice, page, conversationId);
    for (const page of everyone) {
      await openConversation(page, conversationId, title);
      await expect(getMemberList(page).getByRole('listitem')).toHaveCount(4);
    }
    await sendMessage(alice, welcome);
    for (const page of everyone) await expect(getMessage(page, welcome)).toBeVisible();
  });

  await test.step('alice sets up two rooms, automatically assigned (R46): sizes 2 and 1', async () => {
    await setUpRooms(alice, { count: 2, mode: 'Automatically assign' });
    placement = await readPlacement(alice, names, rooms);
    const sizes = rooms.map((room) => names.filter((n) => placement[n] === room).length).sort();
    expect(sizes, JSON.stringify(placement)).toEqual([1, 2]);
  });

  const pair = names.filter((n) => names.some((m) => m !== n && placement[m] === placement[n]));
  const otherRoom = (room: string) => rooms.find((r) => r !== room) ?? '';

  await test.step('participants see no session controls before the start (R70)', async () => {
    for (const page of [bob, carol, dave]) {
      await expect(page.getByRole('button', { name: 'Start breakout sessions' })).toHaveCount(0);
      await expect(page.getByText('Breakout room', { exact: true })).toHaveCount(0);
    }
  });

  await test.step('alice starts with a 30-minute timer, moving people automatically and allowing return (R71, R74)', async () => {
    await startSession(alice, { timerMinutes: 30, allowReturn: true });
    const timer = alice.getByRole('timer').filter({ hasText: 'Time left' });
    await expect(timer).toHaveText(/Time left (30:00|29:[0-5]\d)/);
    await expect(alice.getByRole('button', { name: 'Broadcast message' })).toBeVisible();
    await expect(alice.getByRole('spinbutton', { name: 'Extend by (minutes)' })).toBeVisible();
    await expect(getHelpRequests(alice)).toBeVisible();
    for (const room of rooms) {
      await expect(getRoom(alice, room).getByRole('button', { name: 'Join room' })).toBeVisible();
    }
  });

  await test.step("each participant sees the notice and lands in the room alice's panel shows for them (R74, R75)", async () => {
    for (const name of names) {
      const page = participants[name];
      const room = placement[name];
      await expect(getNotice(page, 'Breakout sessions have started')).toBeVisible();
      await expectInRoomView(page, room);
      await expect(page.getByRole('timer')).toHaveText(/Time left \d+:\d\d/);
      for (const mate of names.filter((n) => placement[n] === room)) {
        await expect(getRoomPeople(page).getByRole('listitem').filter({ hasText: mate })).toHaveCount(1);
      }
      for (const stranger of names.filter((n) => placement[n] !== room)) {
        await expect(getRoomPeople(page).getByRole('listitem').filter({ hasText: stranger })).toHaveCount(0);
      }
      await expect(page.getByRole('button', { name: 'Request help' })).toBeVisible();
      // Allowed at the start (R75).
      await expect(page.getByRole('button', { name: 'Back to main room' })).toBeVisible();
      // The room's chat replaces the main chat.
      await expect(getMessage(page, welcome)).toHaveCount(0);
    }
  });

  await test.step("alice extends the timer by 5 minutes: every room's countdown moves later (R71)", async () => {
    await alice.getByRole('spinbutton', { name: 'Extend by (minutes)' }).fill('5');
    await alice.getByRole('button', { name: 'Extend' }).click();
    const timer = alice.getByRole('timer').filter({ hasText: 'Time left' });
    await expect.poll(() => readTimerMinutes(timer, 'Time left')).toBeGreaterThan(33);
    for (const page of [bob, carol, dave]) {
      await expect.poll(() => readTimerMinutes(page.getByRole('timer'), 'Time left')).toBeGreaterThan(33);
    }
  });

  await test.step(`the two participants who share a room chat; the other room does not see it (R77, R81)`, async () => {
    const [first, second] = pair;
    const room = placement[first];
    const solo = names.find((n) => !pair.includes(n)) ?? 'Dave';
    const lines = [
      { from: first, text: `${first} says hi in ${room} ${marker}` },
      { from: second, text: `${second} answers in ${room} ${marker}` }
    ];
    for (const { from, text } of lines) {
      await sendMessage(participants[from], text);
      roomHistory[room].push(text);
      for (const reader of pair) await expect(getMessage(participants[reader], text)).toBeVisible();
    }
    for (const reader of pair) {
      await expect.poll(() => getShownTexts(participants[reader], marker)).toEqual(roomHistory[room]);
    }
    await expect.poll(() => getShownTexts(participants[solo], marker)).toEqual([]);
    await expect.poll(() => getShownTexts(alice, marker)).toEqual([welcome]);
  });

  await test.step('dave requests help; alice sees it in "Help requests" and joins his room from the list; the request clears (R80)', async () => {
    const room = placement.Dave;
    await dave.getByRole('button', { name: 'Request help' }).click();
    await expect(dave.getByRole('button', { name: 'Withdraw help request' })).toBeVisible();
    const request = getHelpRequests(alice)
      .getByRole('listitem')
      .filter({ hasText: `Dave asked for help in ${room}` });
    await expect(request).toHaveCount(1);
    await request.getByRole('button', { name: 'Join room' }).click();
    await expectInRoomView(alice, room);
    await expect(getHelpRequests(alice).getByRole('listitem')).toHaveCount(0);
    await expect(getHelpRequests(alice)).toContainText('No one has asked for help.');
    await expect(dave.getByRole('button', { name: 'Request help' })).toBeVisible();
    await expect(dave.getByRole('button', { name: 'Withdraw help request' })).toHaveCount(0);
    // alice sees the room's history, and can speak there (R77: moderators may post in any room).
    await expect.poll(() => getShownTexts(alice, marker)).toEqual(roomHistory[room]);
    const reply = `Alice came to help in ${room} ${marker}`;
    await sendMessage(alice, reply);
    roomHistory[room].push(reply);
    for (const name of names.filter((n) => placement[n] === room)) {
      await expect(getMessage(participants[name], reply)).toBeVisible();
    }
    await alice.getByRole('button', { name: 'Back to main room' }).click();
    await expectInMainRoom(alice, welcome);
  });

  const broadcast = `Ten minutes left, wrap up ${marker}`;
  await test.step('alice broadcasts; it shows in both rooms, marked as a broadcast from alice (R79)', async () => {
    await alice.getByRole('button', { name: 'Broadcast message' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Broadcast message' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('textbox', { name: 'Message to all rooms' }).fill(broadcast);
    await dialog.getByRole('button', { name: 'Send to all rooms' }).click();
    await expect(dialog).toBeHidden();
    for (const room of rooms) roomHistory[room].push(broadcast);
    for (const name of names) {
      const message = getMessage(participants[name], broadcast);
      await expect(message).toHaveCount(1);
      await expect(message).toContainText('Broadcast from Alice');
      await expect
        .poll(() => getShownTexts(participants[name], marker))
        .toEqual(roomHistory[placement[name]]);
    }
  });

  await test.step('alice moves carol to the other room ("Move Carol to…"); carol sees the notice, the new room and its history (R75)', async () => {
    const from = placement.Carol;
    const to = otherRoom(from);
    await getPerson(alice, 'Carol').getByRole('button', { name: 'Move Carol to…' }).click();
    await alice.getByRole('menu').getByRole('menuitem', { name: to, exact: true }).click();
    await expect(getPerson(alice, 'Carol', getRoom(alice, to))).toHaveCount(1);
    await expect(getPerson(alice, 'Carol', getRoom(alice, from))).toHaveCount(0);
    placement.Carol = to;

    await expect(getNotice(carol, `A moderator moved you to ${to}.`)).toBeVisible();
    await expectInRoomView(carol, to);
    await expect(carol.getByRole('heading', { level: 2, name: from, exact: true })).toHaveCount(0);
    await expect.poll(() => getShownTexts(carol, marker)).toEqual(roomHistory[to]);
    await expect(getRoomPeople(carol).getByRole('listitem').filter({ hasText: 'Carol' })).toHaveCount(1);
    for (const name of names.filter((n) => n !== 'Carol')) {
      const page = participants[name];
      const shown = getRoomPeople(page).getByRole('listitem').filter({ hasText: 'Carol' });
      await expect(shown).toHaveCount(placement[name] === to ? 1 : 0);
    }
    const hello = `Carol arrives in ${to} ${marker}`;
    await sendMessage(carol, hello);
    roomHistory[to].push(hello);
    for (const name of names) {
      await expect
        .poll(() => getShownTexts(participants[name], marker))
        .toEqual(roomHistory[placement[name]]);
    }
  });

  await test.step('alice ends with a 10 s countdown: "Rooms close in" shows in every room, then everyone is back in the main room (R72)', async () => {
    await endSession(alice, 10);
    await expect(alice.getByRole('timer')).toHaveText(/Rooms close in 0:(10|0\d)/);
    for (const page of [bob, carol, dave]) {
      await expect(page.getByRole('timer')).toHaveText(/Rooms close in 0:(10|0\d)/);
    }
    for (const page of [bob, carol, dave]) {
      await expect(
        getNotice(page, 'Breakout sessions have ended. You are back in the main room.')
      ).toBeVisible({
        timeout: 20_000
      });
      await expectInMainRoom(page, welcome);
      await expect(page.getByRole('timer')).toHaveCount(0);
      await expect.poll(() => getShownTexts(page, marker)).toEqual([welcome]);
    }
    await expect(alice.getByRole('button', { name: 'Start breakout sessions' })).toBeVisible();
    await expect(alice.getByRole('timer')).toHaveCount(0);
    await expect(getHelpRequests(alice)).toHaveCount(0);
  });

  await test.step('rooms, assignments and room chats are kept after the end (R73)', async () => {
    for (const name of names) {
      await expect(getPerson(alice, name, getRoom(alice, placement[name]))).toHaveCount(1);
    }
    // The main chat works for everyone again.
    const after = `Back together ${marker}`;
    await sendMessage(bob, after);
    for (const page of everyone) {
      await expect.poll(() => getShownTexts(page, marker)).toEqual([welcome, after]);
    }
  });

  await test.step('alice starts again: everyone is back in the same room with its whole chat history (R73)', async () => {
    await startSession(alice, { timerMinutes: null, allowReturn: false });
    await expect(alice.getByText('No timer: the session runs until you end it.')).toBeVisible();
    for (const name of names) {
      const page = participants[name];
      await expectInRoomView(page, placement[name]);
      await expect(page.getByRole('timer')).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Back to main room' })).toHaveCount(0);
      await expect.poll(() => getShownTexts(page, marker)).toEqual(roomHistory[placement[name]]);
    }
    await endSession(alice, 0);
    for (const page of [bob, carol, dave]) await expectInMainRoom(page, welcome);
  });
});

test('R77, R78, R75: choose mode with a seat cap — "Choose a room", a full room refuses, switching frees the seat', async ({
  alice,
  bob,
  carol,
  dave
}) => {
  test.setTimeout(180_000);
  const title = `Choosing ${RUN_ID}`;
  const marker = `ch-${RUN_ID}`;
  const welcome = `Pick a room ${marker}`;
  const everyone = [alice, bob, carol, dave];
  let conversationId = '';

  await test.step('alice creates a conversation; bob, carol and dave join', async () => {
    await signUpEveryone({ alice, bob, carol, dave }, 'sch');
    conversationId = await createConversationByApi(alice, title);
    for (const page of [bob, carol, dave]) await joinByApi(alice, page, conversationId);
    for (const page of everyone) {
      await openConversation(page, conversationId, title);
      await expect(getMemberList(page).getByRole('listitem')).toHaveCount(4);
    }
    await sendMessage(alice, welcome);
    for (const page of everyone) await expect(getMessage(page, welcome)).toBeVisible();
  });

  await test.step('alice sets up two rooms in "Allow participants to choose" with a seat cap of 1 on "Room 1" (R44)', async () => {
    await setUpRooms(alice, { count: 2, mode: 'Allow participants to choose' });
    const cap = getRoom(alice, 'Room 1').getByRole('spinbutton', { name: 'Seat cap' });
    await cap.fill('1');
    await cap.press('Enter');
    await expect(getRoom(alice, 'Room 1')).toContainText('1 seat');
    await expect(getRoom(alice, 'Room 2').getByRole('spinbutton', { name: 'Seat cap' })).toHaveValue('');
  });

  await test.step('alice starts without a timer and without "return to the main room"', async () => {
    await startSession(alice, { timerMinutes: null, allowReturn: false });
  });

  await test.step('participants see "Choose a room" with counts and caps (R77)', async () => {
    for (const page of [bob, carol, dave]) {
      await expect(getNotice(page, 'Breakout sessions have started')).toBeVisible();
      await expect(getChooser(page)).toBeVisible();
      await expect(getChoice(page, 'Room 1')).toContainText('0 of 1 seat');
      await expect(getChoice(page, 'Room 2')).toContainText('0 people');
      for (const room of ['Room 1', 'Room 2']) {
        await expect(page.getByRole('button', { name: `Join ${room}` })).toBeVisible();
      }
      // Not in a room yet: the main chat stays.
      await expect(getMessage(page, welcome)).toBeVisible();
    }
  });

  await test.step('bob takes the capped room', async () => {
    await bob.getByRole('button', { name: 'Join Room 1' }).click();
    await expectInRoomView(bob, 'Room 1');
    await expect(getRoomPeople(bob).getByRole('listitem').filter({ hasText: 'Bob' })).toHaveCount(1);
    for (const page of [carol, dave]) await expect(getChoice(page, 'Room 1')).toContainText('1 of 1 seat');
    await expect(getPerson(alice, 'Bob', getRoom(alice, 'Room 1'))).toHaveCount(1);
  });

  await test.step('carol tries the full room: it refuses with a clear message and she stays in the main room (R78)', async () => {
    await carol.getByRole('button', { name: 'Join Room 1' }).click();
    await expect(carol.getByRole('alert').filter({ hasText: /full/i })).toBeVisible();
    await expect(carol.getByRole('alert').filter({ hasText: /full/i })).toContainText('Room 1');
    await expect(getChooser(carol)).toBeVisible();
    await expect(carol.getByText('Breakout room', { exact: true })).toHaveCount(0);
    await expect(getPerson(alice, 'Carol', getRoom(alice, 'Room 1'))).toHaveCount(0);
    await expect(getRoomPeople(bob).getByRole('listitem')).toHaveCount(1);
  });

  await test.step('carol and dave join "Room 2" and chat there; bob in "Room 1" does not see it (R77, R81)', async () => {
    await carol.getByRole('button', { name: 'Join Room 2' }).click();
    await expectInRoomView(carol, 'Room 2');
    await dave.getByRole('button', { name: 'Join Room 2' }).click();
    await expectInRoomView(dave, 'Room 2');
    for (const page of [carol, dave]) {
      await expect(getRoomPeople(page).getByRole('listitem')).toHaveCount(2);
      await expect(page.getByRole('button', { name: 'Switch room' })).toBeVisible();
      // Not allowed in this session (R75).
      await expect(page.getByRole('button', { name: 'Back to main room' })).toHaveCount(0);
    }
    const text = `Carol and Dave in Room 2 ${marker}`;
    await sendMessage(carol, text);
    await expect(getMessage(dave, text)).toBeVisible();
    await expect.poll(() => getShownTexts(bob, marker)).toEqual([]);
    for (const name of ['Carol', 'Dave']) {
      await expect(getPerson(alice, name, getRoom(alice, 'Room 2'))).toHaveCount(1);
    }
  });

  await test.step('bob switches to "Room 2", which frees his seat; carol switches into "Room 1" (R78)', async () => {
    await bob.getByRole('button', { name: 'Switch room' }).click();
    await bob.getByRole('button', { name: 'Join Room 2' }).click();
    await expectInRoomView(bob, 'Room 2');
    await expect(getRoomPeople(bob).getByRole('listitem')).toHaveCount(3);
    // No "moderator moved you" for one's own choice.
    await expect(getNotice(bob, 'A moderator moved you')).toHaveCount(0);

    await carol.getByRole('button', { name: 'Switch room' }).click();
    await expect(getChoice(carol, 'Room 1')).toContainText('0 of 1 seat');
    await carol.getByRole('button', { name: 'Join Room 1' }).click();
    await expectInRoomView(carol, 'Room 1');
    await expect(getRoomPeople(carol).getByRole('listitem')).toHaveCount(1);
    await expect(getPerson(alice, 'Carol', getRoom(alice, 'Room 1'))).toHaveCount(1);
    await expect(getPerson(alice, 'Bob', getRoom(alice, 'Room 2'))).toHaveCount(1);
  });

  await test.step('alice ends at once (no countdown): everyone is back in the main room (R72)', async () => {
    await endSession(alice, 0);
    for (const page of [bob, carol, dave]) {
      await expect(
        getNotice(page, 'Breakout sessions have ended. You are back in the main room.')
      ).toBeVisible();
      await expectInMainRoom(page, welcome);
      await expect(getChooser(page)).toHaveCount(0);
    }
    await expect(alice.getByRole('button', { name: 'Start breakout sessions' })).toBeVisible();
  });
});

test("accessibility: a participant's room view and the moderator's running-session panel have no serious or critical axe violations (R74, R80)", async ({
  alice,
  carol
}) => {
  test.setTimeout(120_000);
  const title = `Accessible session ${RUN_ID}`;
  await signUpByApi(alice, { username: getUsername('sa11y-alice'), displayName: 'Alice' });
  await signUpByApi(carol, { username: getUsername('sa11y-carol'), displayName: 'Carol' });
  const conversationId = await createConversationByApi(alice, title);
  await joinByApi(alice, carol, conversationId);
  for (const page of [alice, carol]) {
    await openConversation(page, conversationId, title);
    await expect(getMemberList(page).getByRole('listitem')).toHaveCount(2);
  }
  await setUpRooms(alice, { count: 2, mode: 'Automatically assign' });
  const [room] = Object.values(await readPlacement(alice, ['Carol' as Name], ['Room 1', 'Room 2']));

  await test.step("the moderator's panel before the start", async () => {
    await expect(alice.getByRole('button', { name: 'Start breakout sessions' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
  });

  await startSession(alice, { timerMinutes: 20, allowReturn: true });

  await test.step("the participant's room view with a message and a help request", async () => {
    await expectInRoomView(carol, room);
    await expect(getNotice(carol, 'Breakout sessions have started')).toBeVisible();
    await sendMessage(carol, `Hello room ${RUN_ID}`);
    await expect(getMessage(carol, `Hello room ${RUN_ID}`)).toBeVisible();
    await carol.getByRole('button', { name: 'Request help' }).click();
    await expect(carol.getByRole('button', { name: 'Withdraw help request' })).toBeVisible();
    await expectNoSeriousA11yViolations(carol);
  });

  await test.step("the moderator's running-session panel with a help request, and the broadcast dialog", async () => {
    await expect(getHelpRequests(alice).getByRole('listitem')).toHaveCount(1);
    await expect(alice.getByRole('timer')).toHaveText(/Time left \d+:\d\d/);
    await expectNoSeriousA11yViolations(alice);
    await alice.getByRole('button', { name: 'Broadcast message' }).click();
    await expect(alice.getByRole('dialog', { name: 'Broadcast message' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
    await alice.keyboard.press('Escape');
    await expect(alice.getByRole('dialog', { name: 'Broadcast message' })).toBeHidden();
  });

  await test.step('the closing countdown, for both', async () => {
    await endSession(alice, 60);
    await expect(carol.getByRole('timer')).toHaveText(/Rooms close in \d+:\d\d/);
    await expect(alice.getByRole('timer')).toHaveText(/Rooms close in \d+:\d\d/);
    await expectNoSeriousA11yViolations(carol);
    await expectNoSeriousA11yViolations(alice);
  });
});

test('R74, R75, R81: with automatic moving off, participants join from the notice; "Back to main room" when allowed; a reload lands in the same place', async ({
  alice,
  bob,
  carol
}) => {
  test.setTimeout(120_000);
  const title = `Join when ready ${RUN_ID}`;
  const marker = `jr-${RUN_ID}`;
  const welcome = `Join when you are ready ${marker}`;
  await signUpByApi(alice, { username: getUsername('sjr-alice'), displayName: 'Alice' });
  await signUpByApi(bob, { username: getUsername('sjr-bob'), displayName: 'Bob' });
  await signUpByApi(carol, { username: getUsername('sjr-carol'), displayName: 'Carol' });
  const conversationId = await createConversationByApi(alice, title);
  for (const page of [bob, carol]) await joinByApi(alice, page, conversationId);
  for (const page of [alice, bob, carol]) {
    await openConversation(page, conversationId, title);
    await expect(getMemberList(page).getByRole('listitem')).toHaveCount(3);
  }
  await sendMessage(alice, welcome);
  for (const page of [bob, carol]) await expect(getMessage(page, welcome)).toBeVisible();
  // One room: bob and carol share it.
  await setUpRooms(alice, { count: 1, mode: 'Automatically assign' });
  await readPlacement(alice, ['Bob', 'Carol'], ['Room 1']);

  await test.step('alice starts with "Move participants automatically" off and return allowed (R74)', async () => {
    await alice.getByRole('checkbox', { name: 'Move participants automatically' }).uncheck();
    await alice.getByRole('checkbox', { name: 'Allow participants to return to the main room' }).check();
    await alice.getByRole('button', { name: 'Start breakout sessions' }).click();
    await expect(alice.getByRole('button', { name: 'End breakout sessions' })).toBeVisible();
  });

  await test.step('bob and carol see the notice with "Join Room 1" and stay in the main room until they press it (R74)', async () => {
    for (const page of [bob, carol]) {
      await expect(getNotice(page, 'Breakout sessions have started')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Join Room 1' })).toBeVisible();
      await expectInMainRoom(page, welcome);
    }
    await bob.getByRole('button', { name: 'Join Room 1' }).click();
    await expectInRoomView(bob, 'Room 1');
    await expect(bob.getByRole('button', { name: 'Join Room 1' })).toHaveCount(0);
    await expectInMainRoom(carol, welcome);
    await carol.getByRole('button', { name: 'Join Room 1' }).click();
    await expectInRoomView(carol, 'Room 1');
  });

  const said = `In Room 1 ${marker}`;
  await test.step('carol reloads and is in Room 1 again, with its history (R81)', async () => {
    await sendMessage(bob, said);
    await expect(getMessage(carol, said)).toBeVisible();
    await carol.reload();
    await expectInRoomView(carol, 'Room 1');
    await expect.poll(() => getShownTexts(carol, marker)).toEqual([said]);
  });

  await test.step('carol goes "Back to main room" (allowed) and sees the main chat; bob stays in the room (R75)', async () => {
    await carol.getByRole('button', { name: 'Back to main room' }).click();
    await expectInMainRoom(carol, welcome);
    await expect(getRoomPeople(carol)).toHaveCount(0);
    await expectInRoomView(bob, 'Room 1');
  });

  const unsent = `Written as the rooms close ${marker}`;
  const refusal = 'This breakout session has ended, so the room no longer takes messages.';
  const messages = `**/api/conversations/${conversationId}/messages`;
  await test.step('bob writes in Room 1 while offline and alice ends at once: carol, already back, is not told she is "back" (R72, R75)', async () => {
    // The server's refusal of a late room message, whatever its grace rules: the page's side is the subject.
    await bob.route(messages, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 403,
            contentType: 'application/json',
            body: JSON.stringify({ error: refusal })
          })
        : route.continue()
    );
    await bob.context().setOffline(true);
    await sendMessage(bob, unsent);
    await expect(getMessage(bob, unsent)).toContainText('Waiting for connection');
    await endSession(alice, 0);
    await expectInMainRoom(carol, welcome);
    await expect(getNotice(carol, 'Breakout sessions have ended.')).toBeVisible();
    await expect(getNotice(carol, 'You are back in the main room')).toHaveCount(0);
  });

  await test.step('bob comes back online: he is back in the main room, and his refused room message shows there with its room, reason, "Copy text" and "Dismiss" (R72, R77)', async () => {
    await bob.context().setOffline(false);
    await expectInMainRoom(bob, welcome);
    await expect(
      getNotice(bob, 'Breakout sessions have ended. You are back in the main room.')
    ).toBeVisible();
    const block = bob.getByRole('region', { name: 'Messages not sent' });
    const item = block.getByRole('list', { name: 'Messages not sent' }).getByRole('listitem');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('Not sent to Room 1');
    await expect(item).toContainText(unsent);
    await expect(item.getByRole('alert')).toHaveText(refusal);
    await expectNoSeriousA11yViolations(bob);
    await item.getByRole('button', { name: 'Copy text' }).click();
    await expect(item.getByRole('status')).toHaveText(/^(Copied\.|Copying is not allowed here\..*)$/);
    await item.getByRole('button', { name: 'Dismiss' }).click();
    await expect(block).toHaveCount(0);
    await bob.unroute(messages);
  });
});

test('R71: GET /api/time answers the server clock, uncached, without signing in', async ({ request }) => {
  const before = Date.now();
  const response = await request.get('/api/time');
  const after = Date.now();
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toBe('no-store');
  const { now } = (await response.json()) as { now: number };
  // The server runs on this machine: its clock is this one.
  expect(now).toBeGreaterThanOrEqual(before - 1000);
  expect(now).toBeLessThanOrEqual(after + 1000);
});
