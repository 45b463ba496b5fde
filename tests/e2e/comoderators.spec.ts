import type { Locator, Page } from '@playwright/test';
import {
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getMember,
  getUsername,
  joinByApi,
  openConversation,
  RUN_ID,
  signUpByApi,
  test
} from './fixtures';
import { expectRoomNames, getManagementHeading, getNameBox, getPerson, getRoom, setUpRooms } from './panel';

/**
 * Two moderators on one breakout setup (SPEC R95, R96): alice owns the conversation, bob is promoted to
 * co-moderator, carol is a participant who only gets moved around (her page is never opened).
 */

const MODERATOR = /\bModerator\b/;

/** "Also here: …" of the panel (R95). */
function getAlsoHere(page: Page): Locator {
  return page.locator('#breakout-rooms').getByText(/^\s*Also here:/);
}

function getUndo(page: Page): Locator {
  return page.getByRole('button', { name: 'Undo', exact: true });
}

function getRedo(page: Page): Locator {
  return page.getByRole('button', { name: 'Redo', exact: true });
}

test('co-moderators see each other in the setup and what they work on; Undo and Redo revert only one’s own change (R95, R96)', async ({
  alice,
  bob,
  carol
}) => {
  test.setTimeout(180_000);
  const title = `Co-moderating ${RUN_ID}`;
  let conversationId = '';

  await test.step('alice creates a conversation; bob and carol join; alice promotes bob', async () => {
    await signUpByApi(alice, { username: getUsername('cm-alice'), displayName: 'Alice' });
    await signUpByApi(bob, { username: getUsername('cm-bob'), displayName: 'Bob' });
    await signUpByApi(carol, { username: getUsername('cm-carol'), displayName: 'Carol' });
    conversationId = await createConversationByApi(alice, title);
    await joinByApi(alice, bob, conversationId);
    await joinByApi(alice, carol, conversationId);
    await openConversation(alice, conversationId, title);
    await getMember(alice, 'Bob').getByRole('button', { name: 'Make moderator' }).click();
    await expect(getMember(alice, 'Bob')).toContainText(MODERATOR);
    await openConversation(bob, conversationId, title);
    await expect(getMember(bob, 'Bob')).toContainText(MODERATOR);
  });

  await test.step('alice sets up two rooms, manually assigned', async () => {
    await setUpRooms(alice, { count: 2, mode: 'Manually assign' });
    for (const page of [alice, bob]) {
      await expect(getManagementHeading(page)).toBeVisible();
      await expectRoomNames(page, ['Room 1', 'Room 2']);
    }
  });

  await test.step('each sees the other in "Also here", with nothing to undo or redo yet for bob (R95, R96)', async () => {
    await expect(getAlsoHere(bob)).toHaveText(/^\s*Also here:\s*Alice\s*$/);
    await expect(getAlsoHere(alice)).toHaveText(/^\s*Also here:\s*Bob\s*$/);
    await expect(getUndo(bob)).toBeDisabled();
    await expect(getRedo(bob)).toBeDisabled();
    await expect(getUndo(alice)).toBeEnabled();
  });

  let ringColor = '';
  await test.step('alice works on the name of "Room 1": bob sees a ring and "Alice is renaming" on it (R95)', async () => {
    await getNameBox(alice, 'Room 1').focus();
    const label = getRoom(bob, 'Room 1').getByText('Alice is renaming', { exact: true });
    await expect(label).toBeVisible();
    ringColor = await label.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(ringColor).toMatch(/^rgb\(/);
    await expect(getRoom(bob, 'Room 1')).toHaveCSS(
      'box-shadow',
      new RegExp(ringColor.replace(/[()]/g, '\\$&'))
    );
    // Only the room she works on is marked.
    await expect(getRoom(bob, 'Room 2').getByText(/is renaming/)).toHaveCount(0);
    await expect(getRoom(bob, 'Room 2')).toHaveCSS('box-shadow', 'none');
  });

  await test.step('axe: the panel with presence shown has no serious violations', async () => {
    await expectNoSeriousA11yViolations(bob);
  });

  await test.step('alice renames "Room 1" to "Ideas"; bob moves carol into "Room 2" (R41, R42)', async () => {
    const box = getNameBox(alice, 'Room 1');
    await box.fill('Ideas');
    await box.press('Enter');
    for (const page of [alice, bob]) await expectRoomNames(page, ['Ideas', 'Room 2']);
    // Still in the field: bob still sees her at work, now on "Ideas".
    await expect(getRoom(bob, 'Ideas').getByText('Alice is renaming', { exact: true })).toBeVisible();

    const moveCarol = getPerson(bob, 'Carol').getByRole('button', { name: 'Move Carol to…' });
    await moveCarol.click();
    await bob.getByRole('menu').getByRole('menuitem', { name: 'Ideas', exact: true }).click();
    await expect(getPerson(alice, 'Carol', getRoom(alice, 'Ideas'))).toHaveCount(1);
    // Her menu in "Ideas" open: alice sees bob at work on that room.
    await moveCarol.click();
    await expect(getRoom(alice, 'Ideas').getByText('Bob is moving people', { exact: true })).toBeVisible();
    await bob.getByRole('menu').getByRole('menuitem', { name: 'Room 2', exact: true }).click();
    for (const page of [alice, bob]) {
      await expect(getPerson(page, 'Carol', getRoom(page, 'Room 2'))).toHaveCount(1);
    }
    // The menu is closed: he no longer works on it.
    await expect(getRoom(alice, 'Ideas').getByText('Bob is moving people')).toHaveCount(0);
  });

  await test.step('alice presses "Undo": only her rename is reverted, on both screens (R96)', async () => {
    await getUndo(alice).click();
    for (const page of [alice, bob]) {
      await expectRoomNames(page, ['Room 1', 'Room 2']);
      await expect(getPerson(page, 'Carol', getRoom(page, 'Room 2'))).toHaveCount(1);
    }
    // Leaving the name field for the button ended her "renaming".
    await expect(getRoom(bob, 'Room 1').getByText(/is renaming/)).toHaveCount(0);
    await expect(getRedo(alice)).toBeEnabled();
  });

  await test.step('Ctrl+Shift+Z (outside a text field) redoes it, on both screens (R96)', async () => {
    await expect(getUndo(alice)).toBeFocused();
    await alice.keyboard.press('Control+Shift+Z');
    for (const page of [alice, bob]) {
      await expectRoomNames(page, ['Ideas', 'Room 2']);
      await expect(getPerson(page, 'Carol', getRoom(page, 'Room 2'))).toHaveCount(1);
    }
    await expect(getRedo(alice)).toBeDisabled();
  });

  await test.step('in a text field Ctrl+Z is the field’s own, not the setup’s (R96)', async () => {
    const box = getNameBox(alice, 'Ideas');
    await box.focus();
    await alice.keyboard.press('Control+Z');
    await expect(getRoom(alice, 'Ideas')).toBeVisible();
    await expect(getRoom(bob, 'Ideas')).toBeVisible();
    await expect(getRedo(alice)).toBeDisabled();
  });

  await test.step('bob drags carol over "Ideas": alice sees him at work there until he drops her (R95)', async () => {
    const person = getPerson(bob, 'Carol');
    const grip = person.getByText('Carol', { exact: true }).first();
    const target = getRoom(bob, 'Ideas').getByRole('list', { name: 'Ideas', exact: true });
    await target.scrollIntoViewIfNeeded();
    const [grab, item, drop] = await Promise.all([
      grip.boundingBox(),
      person.boundingBox(),
      target.boundingBox()
    ]);
    if (!grab || !item || !drop) throw new Error('no layout box for carol or the target list');
    const from = { x: grab.x + grab.width / 2, y: grab.y + grab.height / 2 };
    // The dragged copy's centre, not the pointer, decides the list it is over.
    const offset = { x: item.x + item.width / 2 - from.x, y: item.y + item.height / 2 - from.y };
    await bob.mouse.move(from.x, from.y);
    await bob.mouse.down();
    await bob.mouse.move(from.x + 8, from.y + 8, { steps: 4 });
    await bob.mouse.move(drop.x + drop.width / 2 - offset.x, drop.y + drop.height / 2 - offset.y, {
      steps: 20
    });
    await expect(target.locator('[data-is-dnd-shadow-item-internal]')).toHaveCount(1);
    await expect(
      getRoom(alice, 'Ideas').getByText('Bob is dragging someone here', { exact: true })
    ).toBeVisible();
    await bob.mouse.up();
    for (const page of [alice, bob]) {
      await expect(getPerson(page, 'Carol', getRoom(page, 'Ideas'))).toHaveCount(1);
    }
    await expect(getRoom(alice, 'Ideas').getByText(/Bob is/)).toHaveCount(0);
    await expect(getRoom(alice, 'Room 2').getByText(/Bob is/)).toHaveCount(0);
  });
});
