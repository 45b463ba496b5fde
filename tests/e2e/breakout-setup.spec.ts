import type { Locator, Page } from '@playwright/test';
import {
  createConversation,
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getConnectionStatus,
  getInviteLink,
  getMember,
  getMemberList,
  getMessageLog,
  getUsername,
  joinByApi,
  RUN_ID,
  sendMessage,
  signUpByApi,
  test
} from './fixtures';
import {
  expectRoomNames,
  getAssignmentChoice,
  getManagementHeading,
  getMoreActions,
  getPerson,
  getRoom,
  getRoomNameBoxes,
  getShownTexts,
  getUnassignedList,
  openSetupDialog
} from './panel';

/**
 * Breakout setup (SPEC R40–R50) across four browser contexts: alice owns the conversation, bob is a
 * co-moderator, carol (account) and dave (guest) are participants. The labels are the ones issue 3 fixes.
 */

const ONLINE = 'Online';
const MODERATOR = /\bModerator\b/;

/** The drop target of a room: the list of its people. */
function getRoomList(page: Page, name: string): Locator {
  return getRoom(page, name).getByRole('list');
}

/** "1 person", "2 people" (the singular is not fixed by the issue, so either word passes). */
function getCountText(count: number): RegExp {
  return new RegExp(`\\b${count} (person|people)\\b`);
}

/** `name` is in room `room` (and nowhere else), and the room's count says `count` (R42). */
async function expectPersonInRoom(
  page: Page,
  { name, room, count }: { name: string; room: string; count: number }
): Promise<void> {
  await expect(getPerson(page, name, getRoom(page, room))).toHaveCount(1);
  await expect(getPerson(page, name)).toHaveCount(1);
  await expect(getPerson(page, name, getUnassignedList(page))).toHaveCount(0);
  await expect(getRoom(page, room)).toContainText(getCountText(count));
}

interface StoredConversation {
  members: { userId: string; displayName: string; role: string }[];
  messages: { id: string; authorId: string; authorName: string; text: string; createdAt: number }[];
}

/** The conversation's members and main-chat history as the server lists them (R50 compares them). */
async function getStored(page: Page, conversationId: string): Promise<StoredConversation> {
  const details = await page.request.get(`/api/conversations/${conversationId}`);
  expect(details.status(), await details.text()).toBe(200);
  const { members } = (await details.json()) as StoredConversation;
  const history = await page.request.get(`/api/conversations/${conversationId}/messages?limit=100`);
  expect(history.status(), await history.text()).toBe(200);
  const { messages } = (await history.json()) as StoredConversation;
  return {
    members: members
      .map(({ userId, displayName, role }) => ({ userId, displayName, role }))
      .sort((a, b) => a.userId.localeCompare(b.userId)),
    messages: messages.map(({ id, authorId, authorName, text, createdAt }) => ({
      id,
      authorId,
      authorName,
      text,
      createdAt
    }))
  };
}

/**
 * Drags `name` with the mouse onto `target` (a room's list) through svelte-dnd-action's pointer handling:
 * press on the person's name, move a few pixels to start the drag, move over the target, wait until the
 * target shows the drop placeholder (the library checks the position every 200 ms), release.
 */
async function dragPerson(page: Page, { name, target }: { name: string; target: Locator }): Promise<void> {
  const person = getPerson(page, name);
  const grip = person.getByText(name, { exact: true }).first();
  await target.scrollIntoViewIfNeeded();
  await grip.scrollIntoViewIfNeeded();
  const [grab, item, drop] = await Promise.all([
    grip.boundingBox(),
    person.boundingBox(),
    target.boundingBox()
  ]);
  if (!grab || !item || !drop) throw new Error(`no layout box for ${name} or the target list`);
  const from = { x: grab.x + grab.width / 2, y: grab.y + grab.height / 2 };
  // The dragged copy's centre, not the pointer, decides the zone it is over: aim that centre at the target.
  const offset = { x: item.x + item.width / 2 - from.x, y: item.y + item.height / 2 - from.y };
  const to = { x: drop.x + drop.width / 2 - offset.x, y: drop.y + drop.height / 2 - offset.y };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 8, from.y + 8, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 20 });
  await expect(
    target.locator('[data-is-dnd-shadow-item-internal]'),
    `the drop placeholder for ${name} shows in the target list`
  ).toHaveCount(1);
  await page.mouse.up();
}

/**
 * Moves `name` onto `target` with the keyboard only (svelte-dnd-action): focus the person, Space picks them
 * up, Tab until the target list has focus (the person moves along), Tab to the person in the (empty before)
 * target list, Space drops.
 */
async function movePersonByKeyboard(
  page: Page,
  { name, target }: { name: string; target: Locator }
): Promise<void> {
  const person = getPerson(page, name);
  await person.focus();
  await expect(person).toBeFocused();
  await page.keyboard.press('Space');
  for (let presses = 0; presses < 60; presses++) {
    if (await target.evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  const focused = await page.evaluate(
    () => `${document.activeElement?.tagName} ${document.activeElement?.getAttribute('aria-label') ?? ''}`
  );
  await expect(
    target,
    `Tab reaches the target list while moving ${name} (focus is on: ${focused})`
  ).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(getPerson(page, name, target)).toBeFocused();
  await page.keyboard.press('Space');
}

test('alice sets up three named rooms and assigns by drag and drop, keyboard and "Move to…"; bob co-moderates live; carol sees no setup controls; deleting keeps the main chat (R40–R43, R45, R50)', async ({
  alice,
  bob,
  carol,
  dave
}) => {
  test.setTimeout(240_000);
  const title = `Breakout workshop ${RUN_ID}`;
  const marker = `bk-${RUN_ID}`;
  let conversationId = '';
  let path = '';
  let inviteLink = '';
  const everyone = [alice, bob, carol, dave];

  await test.step('alice creates a conversation; bob and carol (accounts) and dave (guest) join by invite', async () => {
    await signUpByApi(alice, { username: getUsername('bk-alice'), displayName: 'Alice' });
    await signUpByApi(bob, { username: getUsername('bk-bob'), displayName: 'Bob' });
    await signUpByApi(carol, { username: getUsername('bk-carol'), displayName: 'Carol' });
    conversationId = await createConversation(alice, title);
    path = `/c/${conversationId}`;
    inviteLink = await getInviteLink(alice);
    await joinByApi(alice, bob, conversationId);
    await joinByApi(alice, carol, conversationId);
    await dave.goto(inviteLink);
    await expect(dave.getByRole('heading', { name: `Join ${title}` })).toBeVisible();
    await dave.getByRole('textbox', { name: 'Display name' }).fill('Dave');
    await dave.getByRole('button', { name: 'Join as guest' }).click();
    await expect(dave).toHaveURL(new RegExp(`${path}$`));
    for (const page of [bob, carol]) await page.goto(path);
    for (const page of everyone) {
      await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(page)).toHaveText(ONLINE);
      await expect(getMemberList(page).getByRole('listitem')).toHaveCount(4);
    }
  });

  await test.step('alice promotes bob to moderator (R4)', async () => {
    await getMember(alice, 'Bob').getByRole('button', { name: 'Make moderator' }).click();
    for (const page of [alice, bob]) await expect(getMember(page, 'Bob')).toContainText(MODERATOR);
  });

  const said = [
    { page: alice, text: `Welcome everyone ${marker}` },
    { page: carol, text: `Carol here ${marker}` },
    { page: bob, text: `Bob here, co-moderating ${marker}` },
    { page: dave, text: `Dave, guest ${marker}` }
  ];

  await test.step('a few messages in the main chat before any breakout rooms exist', async () => {
    for (const { page, text } of said) {
      await sendMessage(page, text);
      for (const other of everyone) await expect(getMessageLog(other)).toContainText(text);
    }
    const texts = said.map((s) => s.text);
    for (const page of everyone) await expect.poll(() => getShownTexts(page, marker)).toEqual(texts);
  });

  await test.step('alice: "More actions" → "Set up breakout rooms": 3 rooms, manually assigned (R41)', async () => {
    const dialog = await openSetupDialog(alice);
    const count = dialog.getByRole('spinbutton', { name: 'Number of rooms' });
    await expect(count).toHaveValue('2');
    await count.fill('3');
    await getAssignmentChoice(dialog, 'Manually assign').check();
    await dialog.getByRole('button', { name: 'Create rooms' }).click();
    await expect(dialog).toBeHidden();
    await expect(getManagementHeading(alice)).toBeVisible();
    await expectRoomNames(alice, ['Room 1', 'Room 2', 'Room 3']);
    await expect(
      alice.getByRole('combobox', { name: 'Assignment mode' }).locator('option:checked')
    ).toHaveText('Manually assign');
  });

  await test.step('carol and dave start unassigned, the moderators are not listed (R43, R46)', async () => {
    await expect(getUnassignedList(alice).getByRole('listitem')).toHaveCount(2);
    for (const name of ['Carol', 'Dave']) {
      await expect(getPerson(alice, name, getUnassignedList(alice))).toHaveCount(1);
    }
    for (const name of ['Alice', 'Bob']) await expect(getPerson(alice, name)).toHaveCount(0);
    for (const room of ['Room 1', 'Room 2', 'Room 3']) {
      await expect(getRoom(alice, room)).toContainText(getCountText(0));
    }
  });

  await test.step('bob, co-moderator in his own context, sees the three rooms live (R40)', async () => {
    await expect(getManagementHeading(bob)).toBeVisible();
    await expectRoomNames(bob, ['Room 1', 'Room 2', 'Room 3']);
    await expect(getUnassignedList(bob).getByRole('listitem')).toHaveCount(2);
  });

  await test.step('alice renames the rooms "Ideas", "Risks", "Plan"; bob sees each name live (R41, R45)', async () => {
    const names = ['Ideas', 'Risks', 'Plan'];
    for (const [i, name] of names.entries()) {
      const box = getRoom(alice, `Room ${i + 1}`).getByRole('textbox', { name: 'Room name' });
      await box.fill(name);
      await box.press('Enter');
      await expect(getRoom(alice, name).getByRole('heading', { name, exact: true })).toBeVisible();
      await expect(getRoom(bob, name).getByRole('heading', { name, exact: true })).toBeVisible();
      await expect(getRoom(bob, name).getByRole('textbox', { name: 'Room name' })).toHaveValue(name);
    }
    await expectRoomNames(alice, names);
    await expectRoomNames(bob, names);
  });

  await test.step('alice drags carol onto "Ideas" with the mouse; bob sees her there live (R42)', async () => {
    await dragPerson(alice, { name: 'Carol', target: getRoomList(alice, 'Ideas') });
    await expectPersonInRoom(alice, { name: 'Carol', room: 'Ideas', count: 1 });
    await expectPersonInRoom(bob, { name: 'Carol', room: 'Ideas', count: 1 });
    await expect(getUnassignedList(bob).getByRole('listitem')).toHaveCount(1);
  });

  await test.step('alice moves dave into "Risks" with the keyboard only; bob sees it live (R42)', async () => {
    await movePersonByKeyboard(alice, { name: 'Dave', target: getRoomList(alice, 'Risks') });
    await expectPersonInRoom(alice, { name: 'Dave', room: 'Risks', count: 1 });
    await expectPersonInRoom(bob, { name: 'Dave', room: 'Risks', count: 1 });
    await expectPersonInRoom(bob, { name: 'Carol', room: 'Ideas', count: 1 });
    await expect(getUnassignedList(bob).getByRole('listitem')).toHaveCount(0);
  });

  await test.step('alice moves dave to "Plan" through "Move Dave to…"; he leaves "Risks" everywhere (R42)', async () => {
    await getPerson(alice, 'Dave').getByRole('button', { name: 'Move Dave to…' }).click();
    const menu = alice.getByRole('menu');
    for (const item of ['Main room', 'Ideas', 'Risks', 'Plan']) {
      await expect(menu.getByRole('menuitem', { name: item, exact: true })).toBeVisible();
    }
    await menu.getByRole('menuitem', { name: 'Plan', exact: true }).click();
    for (const page of [alice, bob]) {
      await expectPersonInRoom(page, { name: 'Dave', room: 'Plan', count: 1 });
      await expect(getRoom(page, 'Risks')).toContainText(getCountText(0));
      await expect(getPerson(page, 'Dave', getRoom(page, 'Risks'))).toHaveCount(0);
    }
  });

  const renamedByBob = 'Plan and next steps';
  await test.step('bob renames "Plan"; alice sees the new name live, with dave still in it (R41)', async () => {
    const box = getRoom(bob, 'Plan').getByRole('textbox', { name: 'Room name' });
    await box.fill(renamedByBob);
    // Leaving the field commits the name as well as Enter does.
    await box.press('Tab');
    for (const page of [bob, alice]) {
      await expectRoomNames(page, ['Ideas', 'Risks', renamedByBob]);
      await expectPersonInRoom(page, { name: 'Dave', room: renamedByBob, count: 1 });
      await expect(getRoom(page, 'Plan')).toHaveCount(0);
    }
  });

  await test.step('carol, a participant, sees no setup controls (R40)', async () => {
    await expect(getMemberList(carol).getByRole('listitem')).toHaveCount(4);
    await expect(getMessageLog(carol)).toContainText(said[0].text);
    const more = getMoreActions(carol);
    if ((await more.count()) > 0) {
      await more.click();
      await expect(carol.getByRole('menu')).toBeVisible();
      await expect(carol.getByRole('menuitem', { name: 'Set up breakout rooms' })).toHaveCount(0);
      await carol.keyboard.press('Escape');
    }
    await expect(carol.getByRole('button', { name: /set up breakout rooms/i })).toHaveCount(0);
    await expect(carol.getByRole('dialog', { name: 'Set up breakout rooms' })).toHaveCount(0);
    await expect(carol.getByRole('combobox', { name: 'Assignment mode' })).toHaveCount(0);
    await expect(carol.getByRole('button', { name: 'Add room' })).toHaveCount(0);
    await expect(carol.getByRole('button', { name: 'Remove room' })).toHaveCount(0);
    await expect(getRoomNameBoxes(carol)).toHaveCount(0);
    await expect(carol.getByRole('list', { name: 'Unassigned' })).toHaveCount(0);
    await expect(carol.getByRole('checkbox', { name: /^Select / })).toHaveCount(0);
    await expect(carol.getByRole('button', { name: /^Move .* to…$/ })).toHaveCount(0);
  });

  await test.step('nor on the settings page: no "Delete breakout rooms" or set-up button for carol (R40)', async () => {
    await carol.goto(`${path}/settings`);
    // Whatever the page shows a participant (a notice, or the settings without breakout management)…
    await expect(carol.getByRole('heading', { level: 1 }).or(carol.getByRole('alert')).first()).toBeVisible();
    // …it offers no breakout management.
    await expect(carol.getByRole('button', { name: 'Delete breakout rooms' })).toHaveCount(0);
    await expect(
      carol.getByRole('button', { name: 'Set up breakout rooms for this conversation' })
    ).toHaveCount(0);
    await carol.goto(path);
    await expect(getConnectionStatus(carol)).toHaveText(ONLINE);
  });

  let before: StoredConversation = { members: [], messages: [] };
  const beforeShown = new Map<Page, string[]>();
  let beforeMembers: string[] = [];
  await test.step('the main chat and the members, as they are before deletion', async () => {
    before = await getStored(alice, conversationId);
    expect(before.messages.filter((m) => m.text.includes(marker)).map((m) => m.text)).toEqual(
      said.map((s) => s.text)
    );
    expect(before.members).toHaveLength(4);
    for (const page of everyone) beforeShown.set(page, await getShownTexts(page, marker));
    for (const shown of beforeShown.values()) expect(shown).toEqual(said.map((s) => s.text));
    beforeMembers = await getMemberList(alice).getByRole('listitem').allInnerTexts();
  });

  await test.step('alice, by keyboard: "More actions" → "Conversation settings" → "Breakout rooms"; Cancel keeps the rooms', async () => {
    // The menu is built on first use (R99): Enter on its plain button opens it with the first item focused.
    await getMoreActions(alice).focus();
    await alice.keyboard.press('Enter');
    await expect(alice.getByRole('menuitem', { name: 'Set up breakout rooms' })).toBeFocused();
    await alice.keyboard.press('ArrowDown');
    await alice.keyboard.press('ArrowDown');
    await expect(alice.getByRole('menuitem', { name: 'Conversation settings' })).toBeFocused();
    await alice.keyboard.press('Enter');
    await expect(alice).toHaveURL(new RegExp(`${path}/settings$`));
    await expect(alice.getByRole('heading', { level: 1, name: 'Conversation settings' })).toBeVisible();
    await expect(alice.getByRole('heading', { name: 'Breakout rooms', exact: true })).toBeVisible();
    await alice.getByRole('button', { name: 'Delete breakout rooms' }).click();
    const confirm = alice.getByRole('alertdialog', { name: 'Delete breakout rooms?' });
    await expect(confirm).toBeVisible();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(confirm).toBeHidden();
    await expect(alice.getByRole('button', { name: 'Delete breakout rooms' })).toBeVisible();
    await expectRoomNames(bob, ['Ideas', 'Risks', renamedByBob]);
  });

  await test.step('alice deletes the breakout rooms after confirming; they disappear for alice and bob (R50)', async () => {
    await alice.getByRole('button', { name: 'Delete breakout rooms' }).click();
    const confirm = alice.getByRole('alertdialog', { name: 'Delete breakout rooms?' });
    await expect(confirm).toBeVisible();
    await confirm.getByRole('button', { name: 'Delete breakout rooms' }).click();
    await expect(confirm).toBeHidden();
    await expect(alice.getByRole('button', { name: 'Delete breakout rooms' })).toHaveCount(0);
    await expect(
      alice.getByRole('button', { name: 'Set up breakout rooms for this conversation' })
    ).toBeVisible();

    for (const room of ['Ideas', 'Risks', renamedByBob]) await expect(getRoom(bob, room)).toHaveCount(0);
    await expect(getRoomNameBoxes(bob)).toHaveCount(0);
    await expect(getPerson(bob, 'Carol')).toHaveCount(0);
    await expect(getPerson(bob, 'Dave')).toHaveCount(0);

    await alice.getByRole('link', { name: 'Back to conversation' }).click();
    await expect(alice).toHaveURL(new RegExp(`${path}$`));
    await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
    for (const room of ['Ideas', 'Risks', renamedByBob]) await expect(getRoom(alice, room)).toHaveCount(0);
    await expect(getRoomNameBoxes(alice)).toHaveCount(0);
  });

  await test.step('the main conversation, its members and its whole history are unchanged (R50)', async () => {
    const after = await getStored(alice, conversationId);
    expect(after).toEqual(before);
    for (const page of everyone) {
      await expect(getConnectionStatus(page)).toHaveText(ONLINE);
      await expect.poll(() => getShownTexts(page, marker)).toEqual(beforeShown.get(page));
    }
    await expect
      .poll(() => getMemberList(alice).getByRole('listitem').allInnerTexts())
      .toEqual(beforeMembers);
    // The main chat still works for everyone after the deletion.
    const afterwards = `Back in the main room ${marker}`;
    await sendMessage(carol, afterwards);
    for (const page of everyone) {
      await expect.poll(() => getShownTexts(page, marker)).toEqual([...said.map((s) => s.text), afterwards]);
    }
  });
});

test('R42, R43: a multi-selection moves together by drag and drop and by "Move selected to…"; "Main room" unassigns', async ({
  alice,
  carol,
  dave
}) => {
  test.setTimeout(120_000);
  const title = `Breakout selection ${RUN_ID}`;
  await signUpByApi(alice, { username: getUsername('bk-sel-alice'), displayName: 'Alice' });
  await signUpByApi(carol, { username: getUsername('bk-sel-carol'), displayName: 'Carol' });
  const conversationId = await createConversationByApi(alice, title);
  await joinByApi(alice, carol, conversationId);
  // dave joins as a guest through the API: only his membership matters here.
  const invite = await alice.request.post(`/api/conversations/${conversationId}/invites`);
  expect(invite.status(), await invite.text()).toBe(201);
  const { token } = (await invite.json()) as { token: string };
  const joined = await dave.request.post(`/api/invites/${token}/guest`, { data: { displayName: 'Dave' } });
  expect(joined.status(), await joined.text()).toBe(200);

  await alice.goto(`/c/${conversationId}`);
  await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
  await expect(getMemberList(alice).getByRole('listitem')).toHaveCount(3);

  await test.step('two rooms, manually assigned; carol and dave unassigned', async () => {
    const dialog = await openSetupDialog(alice);
    await getAssignmentChoice(dialog, 'Manually assign').check();
    await dialog.getByRole('button', { name: 'Create rooms' }).click();
    await expect(dialog).toBeHidden();
    await expectRoomNames(alice, ['Room 1', 'Room 2']);
    await expect(getUnassignedList(alice).getByRole('listitem')).toHaveCount(2);
  });

  await test.step('carol and dave selected; dragging carol takes both into "Room 1"', async () => {
    await alice.getByRole('checkbox', { name: 'Select Carol' }).check();
    await alice.getByRole('checkbox', { name: 'Select Dave' }).check();
    await dragPerson(alice, { name: 'Carol', target: getRoomList(alice, 'Room 1') });
    await expectPersonInRoom(alice, { name: 'Carol', room: 'Room 1', count: 2 });
    await expectPersonInRoom(alice, { name: 'Dave', room: 'Room 1', count: 2 });
    await expect(getUnassignedList(alice).getByRole('listitem')).toHaveCount(0);
  });

  await test.step('"Move selected to…" → "Room 2" moves both again', async () => {
    await alice.getByRole('checkbox', { name: 'Select Carol' }).check();
    await alice.getByRole('checkbox', { name: 'Select Dave' }).check();
    await alice.getByRole('button', { name: 'Move selected to…' }).click();
    await alice.getByRole('menu').getByRole('menuitem', { name: 'Room 2', exact: true }).click();
    await expectPersonInRoom(alice, { name: 'Carol', room: 'Room 2', count: 2 });
    await expectPersonInRoom(alice, { name: 'Dave', room: 'Room 2', count: 2 });
    await expect(getRoom(alice, 'Room 1')).toContainText(getCountText(0));
  });

  await test.step('"Move Dave to…" → "Main room" puts him back in "Unassigned" (R43)', async () => {
    await getPerson(alice, 'Dave').getByRole('button', { name: 'Move Dave to…' }).click();
    await alice.getByRole('menu').getByRole('menuitem', { name: 'Main room', exact: true }).click();
    await expect(getPerson(alice, 'Dave', getUnassignedList(alice))).toHaveCount(1);
    await expectPersonInRoom(alice, { name: 'Carol', room: 'Room 2', count: 1 });
  });
});

test('accessibility: setup dialog, management panel and settings page have no serious or critical axe violations (R40, R46)', async ({
  alice,
  carol
}) => {
  test.setTimeout(120_000);
  const title = `Accessible breakout ${RUN_ID}`;
  await signUpByApi(alice, { username: getUsername('bk-a11y-alice'), displayName: 'Alice' });
  await signUpByApi(carol, { username: getUsername('bk-a11y-carol'), displayName: 'Carol' });
  const conversationId = await createConversationByApi(alice, title);
  await joinByApi(alice, carol, conversationId);
  const path = `/c/${conversationId}`;
  await alice.goto(path);
  await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
  await expect(getMemberList(alice).getByRole('listitem')).toHaveCount(2);

  await test.step('settings page without rooms', async () => {
    await alice.goto(`${path}/settings`);
    await expect(alice.getByRole('heading', { level: 1, name: 'Conversation settings' })).toBeVisible();
    await expect(
      alice.getByRole('button', { name: 'Set up breakout rooms for this conversation' })
    ).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
    await alice.getByRole('link', { name: 'Back to conversation' }).click();
    await expect(alice).toHaveURL(new RegExp(`${path}$`));
    await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
  });

  await test.step('setup dialog with the automatic preview and "Reshuffle" (R46)', async () => {
    const dialog = await openSetupDialog(alice);
    await getAssignmentChoice(dialog, 'Automatically assign').check();
    await expect(dialog.getByRole('button', { name: 'Reshuffle' })).toBeVisible();
    await expect(dialog).toContainText('Carol');
    await expectNoSeriousA11yViolations(alice);
    await dialog.getByRole('button', { name: 'Create rooms' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('conversation page with the management panel open', async () => {
    await expect(getManagementHeading(alice)).toBeVisible();
    await expectRoomNames(alice, ['Room 1', 'Room 2']);
    await expect(getPerson(alice, 'Carol')).toHaveCount(1);
    await expect(getUnassignedList(alice).getByRole('listitem')).toHaveCount(0);
    await expect(alice.getByRole('button', { name: 'Reshuffle' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
  });

  await test.step('settings page with rooms, and its confirmation dialog', async () => {
    await getMoreActions(alice).click();
    await alice.getByRole('menuitem', { name: 'Conversation settings' }).click();
    await expect(alice.getByRole('heading', { level: 1, name: 'Conversation settings' })).toBeVisible();
    await expect(alice.getByRole('button', { name: 'Delete breakout rooms' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
    await alice.getByRole('button', { name: 'Delete breakout rooms' }).click();
    await expect(alice.getByRole('alertdialog', { name: 'Delete breakout rooms?' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
  });
});
