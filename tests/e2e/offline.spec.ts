import type { Page, Route, WebSocketRoute } from '@playwright/test';
import {
  createConversationByApi,
  expect,
  getConnectionStatus,
  getMessage,
  getStoredMessages,
  getUsername,
  joinByApi,
  openConversation,
  RUN_ID,
  sendMessage,
  signUpByApi,
  test
} from './fixtures';
import { getRoom, getShownTexts, setUpRooms } from './panel';

/** Two rooms, manually assigned, set up from the conversation page. */
async function setUpManualRooms(page: Page): Promise<void> {
  await setUpRooms(page, { count: 2, mode: 'Manually assign' });
  await expect(getRoom(page, 'Room 1')).toBeVisible();
  await expect(getRoom(page, 'Room 2')).toBeVisible();
}

const ONLINE = 'Online';
const OFFLINE = 'Offline — changes will sync';
/** What a message of one's own shows until the server's copy arrives in the chat document. */
const PENDING = /Waiting for connection|Sending…/;

/**
 * alice owns a conversation and bob has joined it (both through the API: the forms are another suite's
 * subject); both have the page open and are online.
 */
async function meetInConversation(
  { alice, bob }: { alice: Page; bob: Page },
  { tag, title }: { tag: string; title: string }
): Promise<{ conversationId: string; path: string }> {
  await signUpByApi(alice, { username: getUsername(`${tag}-a`), displayName: 'Alice' });
  await signUpByApi(bob, { username: getUsername(`${tag}-b`), displayName: 'Bob' });
  const conversationId = await createConversationByApi(alice, title);
  await joinByApi(alice, bob, conversationId);
  const path = `/c/${conversationId}`;
  for (const page of [alice, bob]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(getConnectionStatus(page)).toHaveText(ONLINE);
  }
  return { conversationId, path };
}

/** A delivered message: shown once, with its author, and no pending marker any more. */
async function expectDeliveredOnce(
  page: Page,
  { text, author }: { text: string; author: string | RegExp }
): Promise<void> {
  const message = getMessage(page, text);
  await expect(message).toHaveCount(1);
  await expect(message).toContainText(author);
  await expect(message).not.toContainText(PENDING);
}

/** Waits until the service worker has cached the app and controls the page, so an offline load works. */
async function expectServiceWorker(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
}

function isPostMessage(route: Route, conversationId: string): boolean {
  const request = route.request();
  return (
    request.method() === 'POST' &&
    new URL(request.url()).pathname === `/api/conversations/${conversationId}/messages`
  );
}

test.describe('offline and flaky connections', () => {
  test('R90: after one visit the app opens offline with the conversations as last seen and the conversation from IndexedDB', async ({
    alice
  }) => {
    test.setTimeout(120_000);
    const title = `Seen before ${RUN_ID}`;
    await signUpByApi(alice, { username: getUsername('r90-a'), displayName: 'Alice' });
    const conversationId = await createConversationByApi(alice, title);
    const listed = alice.getByRole('link', { name: title });

    await test.step('one visit online: the list, then the conversation', async () => {
      await alice.goto('/');
      await expect(listed).toBeVisible();
      await expect(alice.getByText(/showing your conversations as last seen/)).toHaveCount(0);
      await expectServiceWorker(alice);
      await openConversation(alice, conversationId, title);
    });

    await alice.context().setOffline(true);

    await test.step('offline, a reload of the conversation comes from the service worker and IndexedDB', async () => {
      const shell = await alice.reload();
      expect(shell?.fromServiceWorker()).toBe(true);
      await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(alice)).toHaveText(OFFLINE);
    });

    await test.step('offline, the home page shows the list as last seen and says so', async () => {
      const shell = await alice.goto('/');
      expect(shell?.fromServiceWorker()).toBe(true);
      await expect(alice.getByRole('heading', { name: 'My conversations' })).toBeVisible();
      await expect(
        alice.getByRole('status').filter({ hasText: 'Offline — showing your conversations as last seen' })
      ).toBeVisible();
      await expect(listed).toBeVisible();
    });

    await test.step('from the list, the conversation opens offline too', async () => {
      await listed.click();
      await expect(alice).toHaveURL(new RegExp(`/c/${conversationId}$`));
      await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(alice)).toHaveText(OFFLINE);
    });

    await test.step('back online: the list is the server’s again', async () => {
      await alice.context().setOffline(false);
      await alice.goto('/');
      await expect(listed).toBeVisible();
      await expect(alice.getByText(/showing your conversations as last seen/)).toHaveCount(0);
    });
  });

  test('R93: two tabs of one user stay in step offline: a rename in one shows in the other', async ({
    alice
  }) => {
    test.setTimeout(120_000);
    const title = `Two tabs ${RUN_ID}`;
    await signUpByApi(alice, { username: getUsername('r93-a'), displayName: 'Alice' });
    const conversationId = await createConversationByApi(alice, title);
    await openConversation(alice, conversationId, title);
    await setUpManualRooms(alice);
    const second = await alice.context().newPage();
    await openConversation(second, conversationId, title);
    await expect(getRoom(second, 'Room 1')).toBeVisible();

    await test.step('both tabs go offline', async () => {
      await alice.context().setOffline(true);
      for (const page of [alice, second]) await expect(getConnectionStatus(page)).toHaveText(OFFLINE);
    });

    await test.step('a rename in the first tab shows in the second, with no server', async () => {
      const box = getRoom(alice, 'Room 1').getByRole('textbox', { name: 'Room name', exact: true });
      await box.fill('Garden');
      await box.press('Enter');
      await expect(getRoom(second, 'Garden')).toBeVisible();
      await expect(getRoom(second, 'Room 1')).toHaveCount(0);
      await expect(getConnectionStatus(second)).toHaveText(OFFLINE);
    });

    await test.step('and the other way round', async () => {
      const box = getRoom(second, 'Room 2').getByRole('textbox', { name: 'Room name', exact: true });
      await box.fill('Kitchen');
      await box.press('Enter');
      await expect(getRoom(alice, 'Kitchen')).toBeVisible();
    });

    await test.step('back online, both names stay, also after a reload', async () => {
      await alice.context().setOffline(false);
      for (const page of [alice, second]) await expect(getConnectionStatus(page)).toHaveText(ONLINE);
      await second.close();
      await alice.reload();
      await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
      await expect(getRoom(alice, 'Garden')).toBeVisible();
      await expect(getRoom(alice, 'Kitchen')).toBeVisible();
    });
  });

  test('R23: a message written offline waits in the outbox, survives a reload, and is sent once on reconnect, in order', async ({
    alice,
    bob
  }) => {
    test.setTimeout(120_000);
    const title = `Offline outbox ${RUN_ID}`;
    const { conversationId } = await meetInConversation({ alice, bob }, { tag: 'ob', title });
    const first = `Written on the train ${RUN_ID}`;
    const second = `And a second one ${RUN_ID}`;

    await test.step('bob goes offline: the page says so', async () => {
      // The service worker has cached the app shell and controls the page, so an offline reload can work.
      await expect.poll(() => bob.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      await bob.context().setOffline(true);
      await expect(getConnectionStatus(bob)).toHaveText(OFFLINE);
    });

    await test.step('bob writes two messages: both show as pending for him and reach nobody', async () => {
      await sendMessage(bob, first);
      await expect(bob.getByRole('textbox', { name: 'Message' })).toHaveValue('');
      await sendMessage(bob, second);
      for (const text of [first, second]) {
        const pending = getMessage(bob, text);
        await expect(pending).toHaveCount(1);
        await expect(pending).toContainText(PENDING);
      }
      await expect(getConnectionStatus(bob)).toHaveText(OFFLINE);
      expect(await getStoredMessages(alice, conversationId, first)).toHaveLength(0);
      await expect(getMessage(alice, first)).toHaveCount(0);
      await expect(getMessage(alice, second)).toHaveCount(0);
    });

    await test.step('bob reloads while offline: the outbox kept both messages, still pending (R18, R23)', async () => {
      const shell = await bob.reload();
      expect(shell?.fromServiceWorker()).toBe(true);
      await expect(bob.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(bob)).toHaveText(OFFLINE);
      for (const text of [first, second]) {
        const pending = getMessage(bob, text);
        await expect(pending).toHaveCount(1);
        await expect(pending).toContainText(PENDING);
      }
      expect(await getStoredMessages(alice, conversationId, first)).toHaveLength(0);
    });

    await test.step('bob is back online: both messages arrive once for everyone, in the order written', async () => {
      await bob.context().setOffline(false);
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
      for (const page of [alice, bob]) {
        await expectDeliveredOnce(page, { text: first, author: 'Bob' });
        await expectDeliveredOnce(page, { text: second, author: 'Bob' });
        await expect.poll(() => getShownTexts(page, RUN_ID)).toEqual([first, second]);
      }
      await expect(getConnectionStatus(alice)).toHaveText(ONLINE);
      expect(await getStoredMessages(alice, conversationId, first)).toHaveLength(1);
      expect(await getStoredMessages(alice, conversationId, second)).toHaveLength(1);
    });

    await test.step('a reload online still shows each message once (the outbox is empty)', async () => {
      await bob.reload();
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
      await expectDeliveredOnce(bob, { text: first, author: 'Bob' });
      await expectDeliveredOnce(bob, { text: second, author: 'Bob' });
    });
  });

  test('R18: with the server unreachable, a reload shows the conversation from IndexedDB and says it is offline', async ({
    alice,
    bob
  }) => {
    test.setTimeout(120_000);
    const title = `Kept locally ${RUN_ID}`;
    const { conversationId } = await meetInConversation({ alice, bob }, { tag: 'r18', title });
    const earlier = [`Agenda first ${RUN_ID}`, `Then questions ${RUN_ID}`];

    await test.step('alice and bob chat; bob’s page has the history', async () => {
      await sendMessage(alice, earlier[0]);
      await sendMessage(bob, earlier[1]);
      for (const text of earlier) await expectDeliveredOnce(bob, { text, author: /Alice|Bob/ });
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
    });

    // The browser stays "online" (navigator.onLine): only our server cannot be reached, as when it is down.
    let serverDown = false;
    const abortApi = (route: Route) => (serverDown ? route.abort('connectionrefused') : route.fallback());
    const refuseSocket = async (ws: WebSocketRoute) => {
      if (serverDown) await ws.close();
      else ws.connectToServer();
    };
    const context = bob.context();
    await context.route('**/api/**', abortApi);
    await context.routeWebSocket(/\/ws\//, refuseSocket);

    await test.step('the server becomes unreachable and bob reloads: title and history are still there', async () => {
      serverDown = true;
      await bob.reload();
      await expect(bob.getByRole('heading', { level: 1, name: title })).toBeVisible();
      await expect(getConnectionStatus(bob)).toHaveText(OFFLINE);
      await expect(getMessage(bob, earlier[0])).toContainText('Alice');
      await expect(getMessage(bob, earlier[1])).toContainText('Bob');
      await expect.poll(() => getShownTexts(bob, RUN_ID)).toEqual(earlier);
      // Nothing came from the server: its API answers no request of this page.
      expect(
        await bob.evaluate(() =>
          fetch('/api/me').then(
            () => 'reached',
            () => 'unreachable'
          )
        )
      ).toBe('unreachable');
    });

    const meanwhile = `Written while the server was down ${RUN_ID}`;
    await test.step('bob writes while the server is down: the message waits (R23)', async () => {
      await sendMessage(bob, meanwhile);
      await expect(getMessage(bob, meanwhile)).toContainText(PENDING);
      await expect(getConnectionStatus(bob)).toHaveText(OFFLINE);
      expect(await getStoredMessages(alice, conversationId, meanwhile)).toHaveLength(0);
    });

    await test.step('the server is reachable again: bob’s page goes online and sends what waited', async () => {
      serverDown = false;
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE, { timeout: 45_000 });
      for (const page of [alice, bob]) await expectDeliveredOnce(page, { text: meanwhile, author: 'Bob' });
      expect(await getStoredMessages(alice, conversationId, meanwhile)).toHaveLength(1);
    });
  });

  test('R22: a message whose first POST fails is sent again with the same id and appears once for everyone', async ({
    alice,
    bob
  }) => {
    test.setTimeout(120_000);
    const { conversationId } = await meetInConversation(
      { alice, bob },
      { tag: 'r22', title: `Flaky network ${RUN_ID}` }
    );

    await test.step('the first POST never reaches the server; the retry does', async () => {
      const text = `Lost on the way there ${RUN_ID}`;
      const ids: string[] = [];
      await bob.context().route('**/api/conversations/*/messages', async (route) => {
        if (!isPostMessage(route, conversationId)) return route.fallback();
        ids.push((route.request().postDataJSON() as { id: string }).id);
        if (ids.length === 1) return route.abort('connectionreset');
        return route.fallback();
      });
      const retried = bob.waitForResponse(
        (r) =>
          r.request().method() === 'POST' && r.url().endsWith(`/api/conversations/${conversationId}/messages`)
      );
      await sendMessage(bob, text);
      const response = await retried;
      expect(response.status()).toBe(201);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBe(ids[0]);
      for (const page of [alice, bob]) await expectDeliveredOnce(page, { text, author: 'Bob' });
      expect(await getStoredMessages(alice, conversationId, text)).toHaveLength(1);
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
      await bob.context().unrouteAll({ behavior: 'wait' });
    });

    await test.step('the first POST is stored but its answer is lost; the retry gets the stored message', async () => {
      const text = `Answer lost on the way back ${RUN_ID}`;
      const ids: string[] = [];
      const statuses: number[] = [];
      await bob.context().route('**/api/conversations/*/messages', async (route) => {
        if (!isPostMessage(route, conversationId)) return route.fallback();
        ids.push((route.request().postDataJSON() as { id: string }).id);
        if (ids.length === 1) {
          // The server stores the message; the page never hears back.
          const reached = await route.fetch();
          statuses.push(reached.status());
          return route.abort('connectionreset');
        }
        return route.fallback();
      });
      const retried = bob.waitForResponse(
        (r) =>
          r.request().method() === 'POST' && r.url().endsWith(`/api/conversations/${conversationId}/messages`)
      );
      await sendMessage(bob, text);
      const response = await retried;
      expect(statuses).toEqual([201]);
      // R22: the same id again returns the stored message and adds nothing.
      expect(response.status()).toBe(200);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBe(ids[0]);
      for (const page of [alice, bob]) await expectDeliveredOnce(page, { text, author: 'Bob' });
      expect(await getStoredMessages(alice, conversationId, text)).toHaveLength(1);
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);

      await bob.reload();
      await expect(getConnectionStatus(bob)).toHaveText(ONLINE);
      await expectDeliveredOnce(bob, { text, author: 'Bob' });
      await bob.context().unrouteAll({ behavior: 'wait' });
    });
  });
});
