import type { Locator, Page } from '@playwright/test';
import { joinAsGuest } from '../helpers/api';
import {
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getUsername,
  openConversation,
  RUN_ID,
  signUpByApi,
  test
} from './fixtures';
import { getManagementHeading, getPerson, getRoom, setUpRooms } from './panel';

/**
 * A long breakout board (SPEC R99): 160 guests in 40 rooms, automatically assigned, so every room holds
 * exactly 4 people (R46). After a reload the board shows every room's name and count at once and draws the
 * cards' bodies and people's rows on the frames after the first paint, with placeholders (`.pending-body`,
 * `.pending-rows`) until then; a press or focus inside the board draws everything at once.
 *
 * The guests join through the REST API (tests/helpers/api.ts), not through 160 browser contexts. To look at
 * the board before its later frames come, an init script holds the page's animation frames (as a
 * background tab gets none) until the test releases them; the app has no test hooks for this.
 */

const GUESTS = 160;
const ROOMS = 40;
const PER_ROOM = GUESTS / ROOMS;

const GUEST_NAMES = Array.from({ length: GUESTS }, (_, i) => `Guest ${String(i + 1).padStart(3, '0')}`);
const ROOM_NAMES = Array.from({ length: ROOMS }, (_, i) => `Room ${i + 1}`);
const LAST_ROOM = ROOM_NAMES[ROOMS - 1];

function getBoard(page: Page): Locator {
  return page.locator('#breakout-rooms .board');
}

/** "1 person", "4 people": a room's count as its header shows it. */
function getCountText(count: number): string {
  return `${count} ${count === 1 ? 'person' : 'people'}`;
}

/**
 * alice (moderator) creates a conversation, 160 guests join through its invite, and alice sets up 40 rooms
 * in "Automatically assign" through the setup dialog. Leaves alice on the conversation page.
 */
async function setUpLongBoard(alice: Page, baseURL: string | undefined, label: string): Promise<void> {
  if (!baseURL) throw new Error('the Playwright config sets no baseURL');
  const title = `Long board ${label} ${RUN_ID}`;
  await signUpByApi(alice, { username: getUsername(`lb-${label}-alice`), displayName: 'Alice' });
  const conversationId = await createConversationByApi(alice, title);
  const invite = await alice.request.post(`/api/conversations/${conversationId}/invites`);
  expect(invite.status(), await invite.text()).toBe(201);
  const { token } = (await invite.json()) as { token: string };
  for (let i = 0; i < GUESTS; i += 20) {
    await Promise.all(GUEST_NAMES.slice(i, i + 20).map((name) => joinAsGuest(baseURL, token, name)));
  }
  await openConversation(alice, conversationId, title);
  // The setup's automatic preview spreads the members this page knows: wait until it knows all of them.
  await expect(alice.getByRole('button', { name: `Show all ${GUESTS + 1} members` })).toBeVisible();
  await setUpRooms(alice, { count: ROOMS, mode: 'Automatically assign' });
}

/** Every room's header, in board order, with its count (drawn at once, whatever else is pending). */
async function expectRoomHeaders(page: Page): Promise<void> {
  const board = getBoard(page);
  await expect(board.locator('section.room h3')).toHaveText(ROOM_NAMES);
  await expect(board.locator('section.room .count')).toHaveText(ROOM_NAMES.map(() => getCountText(PER_ROOM)));
}

/** Everything drawn: every guest's row exactly once, each room with its 4 rows, no placeholder left. */
async function expectBoardFullyDrawn(page: Page): Promise<void> {
  const board = getBoard(page);
  await expect(board.locator('li.person')).toHaveCount(GUESTS);
  await expect(board.locator('.pending-body')).toHaveCount(0);
  await expect(board.locator('.pending-rows')).toHaveCount(0);
  await expect(board.getByRole('textbox', { name: 'Room name', exact: true })).toHaveCount(ROOMS);
  const rows = await board
    .locator('section.room')
    .evaluateAll((rooms) => rooms.map((room) => room.querySelectorAll('li.person').length));
  expect(rows).toEqual(ROOM_NAMES.map(() => PER_ROOM));
  const names = await board
    .locator('li.person')
    .evaluateAll((people) => people.map((person) => person.getAttribute('aria-label') ?? ''));
  expect(names.sort()).toEqual(GUEST_NAMES);
}

interface FrameHold {
  __heldFrames: () => number;
  __releaseFrames: () => void;
}

/**
 * From the next navigation on, the page's `requestAnimationFrame` callbacks wait (as in a background tab)
 * until `releaseFrames`. Playwright's own checks run in another world and keep their frames.
 */
async function holdAnimationFrames(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const request = window.requestAnimationFrame.bind(window);
    const cancel = window.cancelAnimationFrame.bind(window);
    const held = new Map<number, FrameRequestCallback>();
    const running = new Map<number, number>();
    let holding = true;
    let next = 1;
    const run = (id: number, callback: FrameRequestCallback) => {
      running.set(
        id,
        request((time) => {
          running.delete(id);
          callback(time);
        })
      );
    };
    window.requestAnimationFrame = (callback) => {
      const id = next++;
      if (holding) held.set(id, callback);
      else run(id, callback);
      return id;
    };
    window.cancelAnimationFrame = (id) => {
      held.delete(id);
      const real = running.get(id);
      if (real !== undefined) cancel(real);
      running.delete(id);
    };
    const hold = window as unknown as FrameHold;
    hold.__heldFrames = () => held.size;
    hold.__releaseFrames = () => {
      holding = false;
      for (const [id, callback] of held) run(id, callback);
      held.clear();
    };
  });
}

function countHeldFrames(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as FrameHold).__heldFrames());
}

async function releaseFrames(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as FrameHold).__releaseFrames());
}

/**
 * Reloads with frames held: every header is there with its count, and the board is not drawn in full (40
 * cards of 4 rows are far more than one and a half screens), so it waits for a frame to draw the rest.
 * With the frames held nothing changes after the board's first render, so one look is enough.
 */
async function reloadBeforeLaterFrames(page: Page): Promise<void> {
  await page.reload();
  await expect(getManagementHeading(page)).toBeVisible();
  await expectRoomHeaders(page);
  const board = getBoard(page);
  expect(await board.locator('.pending-body').count(), 'cards not drawn yet').toBeGreaterThan(0);
  expect(await board.locator('li.person').count(), 'rows drawn so far').toBeLessThan(GUESTS);
  expect(await countHeldFrames(page), 'the board waits for a frame to draw the rest').toBeGreaterThan(0);
}

test('R99: after a reload the long board shows every room name and count at once, then draws every row with no placeholder left; no serious axe violations', async ({
  alice,
  baseURL
}) => {
  await test.step('160 guests join; alice sets up 40 rooms, automatically assigned', async () => {
    await setUpLongBoard(alice, baseURL, 'drawn');
    await expectRoomHeaders(alice);
  });

  await test.step('alice reloads: every header with its count, then every row drawn', async () => {
    await alice.reload();
    await expect(getManagementHeading(alice)).toBeVisible();
    await expectRoomHeaders(alice);
    await expectBoardFullyDrawn(alice);
    await expect(
      alice.getByText(`${ROOMS} rooms · ${GUESTS} of ${GUESTS} participants assigned.`)
    ).toBeVisible();
  });

  await test.step('the page with the long board has no serious or critical axe violations', async () => {
    await expectNoSeriousA11yViolations(alice);
  });
});

test('R99: right after a reload, Tab into the board or a press on it draws everything at once; "Move … to…" into the last room shows there', async ({
  alice,
  baseURL
}) => {
  await test.step('160 guests join; alice sets up 40 rooms, automatically assigned', async () => {
    await setUpLongBoard(alice, baseURL, 'reveal');
    await holdAnimationFrames(alice);
  });

  await test.step('reload: the headers are drawn, the bodies wait (no serious axe violations meanwhile)', async () => {
    await reloadBeforeLaterFrames(alice);
    await expectNoSeriousA11yViolations(alice);
  });

  await test.step('Tab from "Add room" into the board draws everything, with no frame run', async () => {
    await alice.getByRole('button', { name: 'Add room' }).focus();
    await alice.keyboard.press('Tab');
    await expect(getBoard(alice).locator(':focus')).toHaveCount(1);
    await expectBoardFullyDrawn(alice);
  });

  await test.step(`reload again: a press on the heading of "${LAST_ROOM}" draws everything`, async () => {
    await reloadBeforeLaterFrames(alice);
    await getRoom(alice, LAST_ROOM).getByRole('heading', { name: LAST_ROOM, exact: true }).click();
    await expectBoardFullyDrawn(alice);
  });

  await test.step(`"Move … to…" → "${LAST_ROOM}": the person shows there and both counts follow`, async () => {
    await releaseFrames(alice);
    const first = getRoom(alice, 'Room 1').locator('li.person').first();
    const name = (await first.getAttribute('aria-label')) ?? '';
    expect(GUEST_NAMES).toContain(name);
    await getPerson(alice, name)
      .getByRole('button', { name: `Move ${name} to…` })
      .click();
    await alice.getByRole('menu').getByRole('menuitem', { name: LAST_ROOM, exact: true }).click();
    await expect(getPerson(alice, name, getRoom(alice, LAST_ROOM))).toHaveCount(1);
    await expect(getPerson(alice, name)).toHaveCount(1);
    await expect(getRoom(alice, LAST_ROOM).locator('.count')).toHaveText(getCountText(PER_ROOM + 1));
    await expect(getRoom(alice, LAST_ROOM).locator('li.person')).toHaveCount(PER_ROOM + 1);
    await expect(getRoom(alice, 'Room 1').locator('.count')).toHaveText(getCountText(PER_ROOM - 1));
    await expect(getRoom(alice, 'Room 1').locator('li.person')).toHaveCount(PER_ROOM - 1);
    await expect(getBoard(alice).locator('li.person')).toHaveCount(GUESTS);
    await expect(getBoard(alice).locator('.pending-body, .pending-rows')).toHaveCount(0);
  });
});
