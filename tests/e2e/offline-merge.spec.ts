import type { Locator, Page } from '@playwright/test';
import {
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getConnectionStatus,
  getMember,
  getMemberList,
  getUsername,
  joinByApi,
  RUN_ID,
  signUpByApi,
  test
} from './fixtures';
import {
  getAssignmentChoice,
  getManagementHeading,
  getMoreActions,
  getPerson,
  getRoom,
  getRoomNameBoxes,
  getUnassignedList,
  renameRoom
} from './panel';

/**
 * Two moderators edit the same breakout setup while one of them is cut off (SPEC R91, R97, R98, R18,
 * R96): alice owns the conversation, bob is her co-moderator, carol (account) and dave (guest) are
 * participants in two manually assigned rooms. alice's connection drops; both rename the same room,
 * move carol to different rooms and add a room; once alice is back both screens show one merged setup,
 * the "Setup history" names them both with alice's offline work marked as merged, a reload with the
 * server unreachable still shows the merged setup, and alice's Undo reverts only her own last change.
 */

const ONLINE = 'Online';
const OFFLINE = 'Offline — changes will sync';
const MODERATOR = /\bModerator\b/;
const MERGED = 'merged from offline work';

/** "Move <name> to…" → `room` ("Main room" unassigns). */
async function movePerson(page: Page, name: string, room: string): Promise<void> {
  await getPerson(page, name)
    .getByRole('button', { name: `Move ${name} to…` })
    .click();
  await page.getByRole('menu').getByRole('menuitem', { name: room, exact: true }).click();
  await expect(getPerson(page, name, getRoom(page, room))).toHaveCount(1);
}

/** "Add room", then names the new room (it comes as "Room 3"). */
async function addRoom(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Add room', exact: true }).click();
  await expect(getRoom(page, 'Room 3')).toBeVisible();
  await renameRoom(page, 'Room 3', name);
}

interface ShownSetup {
  rooms: Array<{ name: string; people: string[] }>;
  unassigned: string[];
}

/** What the management panel shows: the rooms in order with their people, and who is unassigned. */
async function readShownSetup(page: Page): Promise<ShownSetup> {
  const names = await getRoomNameBoxes(page).evaluateAll((boxes) =>
    boxes.map((box) => (box as HTMLInputElement).value)
  );
  const peopleIn = (list: Locator) =>
    list
      .locator('li.person')
      .evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
  const rooms: ShownSetup['rooms'] = [];
  for (const name of names) {
    rooms.push({ name, people: await peopleIn(getRoom(page, name).getByRole('list')) });
  }
  return { rooms, unassigned: await peopleIn(getUnassignedList(page)) };
}

/** Opens "More actions" → "Setup history"; returns the dialog. */
async function openHistory(page: Page): Promise<Locator> {
  await getMoreActions(page).click();
  await page.getByRole('menuitem', { name: 'Setup history' }).click();
  const dialog = page.getByRole('dialog', { name: 'Setup history' });
  await expect(dialog).toBeVisible();
  return dialog;
}

function getEntries(dialog: Locator): Locator {
  return dialog.getByRole('list', { name: 'Changes, newest first' }).getByRole('listitem');
}

function getEntry(dialog: Locator, text: string): Locator {
  return getEntries(dialog).filter({ hasText: text });
}

test('R91 R97 R98: two moderators edit the same setup while alice is offline; both screens merge to one setup, the history names both with alice’s work marked as merged, an offline reload keeps it, Undo reverts only alice’s change', async ({
  alice,
  bob,
  carol,
  dave
}) => {
  test.setTimeout(240_000);
  const title = `Offline merge ${RUN_ID}`;
  let conversationId = '';
  let path = '';

  await test.step('alice creates a conversation; bob and carol (accounts) and dave (guest) join', async () => {
    await signUpByApi(alice, { username: getUsername('om-alice'), displayName: 'Alice' });
    await signUpByApi(bob, { username: getUsername('om-bob'), displayName: 'Bob' });
    await signUpByApi(carol, { username: getUsername('om-carol'), displayName: 'Carol' });
    conversationId = await createConversationByApi(alice, title);
    path = `/c/${conversationId}`;
    await joinByApi(alice, bob, conversationId);
    await joinByApi(alice, carol, conversationId);
    const invite = await alice.request.post(`/api/conversations/${conversationId}/invites`);
    expect(invite.status(), await invite.text()).toBe(201);
    const { token } = (await invite.json()) as { token: string };
    const joined = await dave.request.post(`/api/invites/${token}/guest`, { data: { displayName: 'Dave' } });
    expect(joined.status(), await joined.text()).toBe(200);
    for (const page of [alice, bob]) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(page)).toHaveText(ONLINE);
      await expect(getMemberList(page).getByRole('listitem')).toHaveCount(4);
    }
  });

  await test.step('alice promotes bob to moderator (R4)', async () => {
    await getMember(alice, 'Bob').getByRole('button', { name: 'Make moderator' }).click();
    for (const page of [alice, bob]) await expect(getMember(page, 'Bob')).toContainText(MODERATOR);
  });

  await test.step('before any setup, "Setup history" says there is nothing yet (R97)', async () => {
    const dialog = await openHistory(alice);
    await expect(dialog.getByText('No changes yet.', { exact: true })).toBeVisible();
    await expect(dialog.getByRole('status')).toHaveCount(0);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('alice sets up two rooms, manually assigned: carol in "Room 1", dave in "Room 2"', async () => {
    await getMoreActions(alice).click();
    await alice.getByRole('menuitem', { name: 'Set up breakout rooms' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Set up breakout rooms' });
    await expect(dialog.getByRole('spinbutton', { name: 'Number of rooms' })).toHaveValue('2');
    await getAssignmentChoice(dialog, 'Manually assign').check();
    await dialog.getByRole('button', { name: 'Create rooms' }).click();
    await expect(dialog).toBeHidden();
    await movePerson(alice, 'Carol', 'Room 1');
    await movePerson(alice, 'Dave', 'Room 2');
    const expected: ShownSetup = {
      rooms: [
        { name: 'Room 1', people: ['Carol'] },
        { name: 'Room 2', people: ['Dave'] }
      ],
      unassigned: []
    };
    for (const page of [alice, bob]) {
      await expect(getManagementHeading(page)).toBeVisible();
      await expect.poll(() => readShownSetup(page)).toEqual(expected);
    }
  });

  await test.step('alice’s connection is cut: her page says it is offline', async () => {
    // The service worker controls the page, so a reload without the server works later on (R90).
    await expect.poll(() => alice.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await alice.context().setOffline(true);
    await expect(getConnectionStatus(alice)).toHaveText(OFFLINE);
    await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
  });

  await test.step('bob, online, renames "Room 1", adds "Studio" and moves carol there', async () => {
    await renameRoom(bob, 'Room 1', 'Patio');
    await addRoom(bob, 'Studio');
    await movePerson(bob, 'Carol', 'Studio');
  });

  await test.step('alice, offline, renames the same room, adds "Library" and moves carol to "Room 2"', async () => {
    await renameRoom(alice, 'Room 1', 'Garden');
    await addRoom(alice, 'Library');
    await movePerson(alice, 'Carol', 'Room 2');
    // Neither sees the other's work yet.
    await expect(getRoom(alice, 'Studio')).toHaveCount(0);
    await expect(getRoom(bob, 'Library')).toHaveCount(0);
    await expect(getConnectionStatus(alice)).toHaveText(OFFLINE);
  });

  let merged: ShownSetup = { rooms: [], unassigned: [] };
  await test.step('alice is back online: both screens show the same merged setup (R42, R45, R98)', async () => {
    await alice.context().setOffline(false);
    for (const page of [alice, bob]) await expect(getConnectionStatus(page)).toHaveText(ONLINE);
    await expect(getRoom(alice, 'Studio')).toBeVisible();
    await expect(getRoom(bob, 'Library')).toBeVisible();
    await expect
      .poll(
        async () => JSON.stringify(await readShownSetup(alice)) === JSON.stringify(await readShownSetup(bob))
      )
      .toBe(true);
    merged = await readShownSetup(alice);
    expect(await readShownSetup(bob)).toEqual(merged);

    // One name for the room both renamed (the last writer's, whole), both added rooms, carol in one room.
    const names = merged.rooms.map((r) => r.name);
    expect(names).toHaveLength(4);
    expect(['Garden', 'Patio']).toContain(names[0]);
    expect(names[1]).toBe('Room 2');
    expect([...names.slice(2)].sort()).toEqual(['Library', 'Studio']);
    const carolIn = merged.rooms.filter((r) => r.people.includes('Carol')).map((r) => r.name);
    expect(carolIn).toHaveLength(1);
    expect(['Room 2', 'Studio']).toContain(carolIn[0]);
    expect(merged.rooms.find((r) => r.name === 'Room 2')?.people).toContain('Dave');
    expect(merged.unassigned).toEqual([]);
  });

  await test.step('"Setup history" on both screens names alice and bob; alice’s offline work is marked as merged (R97)', async () => {
    const aliceHistory = await openHistory(alice);
    const bobHistory = await openHistory(bob);
    const renamedTo = merged.rooms[0].name;
    const carolIn = merged.rooms.find((r) => r.people.includes('Carol'))!.name;
    for (const dialog of [aliceHistory, bobHistory]) {
      await expect(getEntry(dialog, 'Bob renamed “Room 1” to “Patio”')).toHaveCount(1);
      await expect(getEntry(dialog, 'Bob added Room 3')).toHaveCount(1);
      await expect(getEntry(dialog, 'Bob renamed “Room 3” to “Studio”')).toHaveCount(1);
      await expect(getEntry(dialog, 'Bob moved Carol from Patio to Studio')).toHaveCount(1);
      await expect(getEntry(dialog, 'Alice assigned Carol to Room 1')).toHaveCount(1);
      // Made offline: a new room arrives whole, with the name it had when alice came back.
      await expect(getEntry(dialog, 'Alice added Library')).toContainText(MERGED);
      // A concurrent value that lost the merge changed nothing anyone saw, so it is not listed.
      if (renamedTo === 'Garden') {
        await expect(getEntry(dialog, 'Alice renamed “Patio” to “Garden”')).toContainText(MERGED);
      }
      if (carolIn === 'Room 2') {
        await expect(getEntry(dialog, 'Alice moved Carol from Studio to Room 2')).toContainText(MERGED);
      }
      // Live work is not marked; every offline entry of alice's is.
      for (const text of ['Bob renamed “Room 1” to “Patio”', 'Bob moved Carol from Patio to Studio']) {
        await expect(getEntry(dialog, text)).not.toContainText(MERGED);
      }
      await expect(getEntry(dialog, 'Alice assigned Carol to Room 1')).not.toContainText(MERGED);
      await expect(
        getEntries(dialog).filter({ hasText: MERGED }).filter({ hasNotText: 'Alice ' })
      ).toHaveCount(0);
    }
    // Both screens list the same entries, newest first.
    const texts = (dialog: Locator) => getEntries(dialog).allInnerTexts();
    await expect
      .poll(async () => JSON.stringify(await texts(bobHistory)))
      .toBe(JSON.stringify(await texts(aliceHistory)));

    await expectNoSeriousA11yViolations(alice);
    for (const [page, dialog] of [
      [alice, aliceHistory],
      [bob, bobHistory]
    ] as const) {
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toBeHidden();
      await expect(getMoreActions(page)).toBeFocused();
    }
  });

  await test.step('alice reloads with the server unreachable: the merged setup is still there (R18, R90)', async () => {
    await alice.context().setOffline(true);
    const shell = await alice.reload();
    expect(shell?.fromServiceWorker()).toBe(true);
    await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(getConnectionStatus(alice)).toHaveText(OFFLINE);
    await expect(getManagementHeading(alice)).toBeVisible();
    await expect.poll(() => readShownSetup(alice)).toEqual(merged);
    await alice.context().setOffline(false);
    await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
    await expect.poll(() => readShownSetup(alice)).toEqual(merged);
  });

  await test.step('alice moves dave, bob renames "Studio"; alice’s Undo reverts only her move, on both screens (R96)', async () => {
    await movePerson(alice, 'Dave', 'Library');
    await expect(getPerson(bob, 'Dave', getRoom(bob, 'Library'))).toHaveCount(1);
    await renameRoom(bob, 'Studio', 'Studio B');
    await expect(getRoom(alice, 'Studio B')).toBeVisible();

    await alice.getByRole('button', { name: 'Undo', exact: true }).click();
    const expected: ShownSetup = {
      rooms: merged.rooms.map((room) => ({ ...room, name: room.name === 'Studio' ? 'Studio B' : room.name })),
      unassigned: []
    };
    for (const page of [alice, bob]) {
      await expect(getPerson(page, 'Dave', getRoom(page, 'Room 2'))).toHaveCount(1);
      await expect(getRoom(page, 'Studio B')).toBeVisible();
      await expect.poll(() => readShownSetup(page)).toEqual(expected);
    }
  });
});
