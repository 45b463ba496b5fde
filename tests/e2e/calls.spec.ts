import type { Locator, Page } from '@playwright/test';
import {
  createConversationByApi,
  expect,
  expectNoSeriousA11yViolations,
  getMemberList,
  getUsername,
  joinByApi,
  openConversation,
  RUN_ID,
  signUpByApi,
  test
} from './fixtures';
import { getPerson, getRoom, setUpRooms } from './panel';

/**
 * Calls (SPEC R110–R119) in Chromium with fake media devices (a test pattern and a beep; see the launch
 * flags in playwright.config.ts). Media flowing is read from the page's own RTCPeerConnections: an init
 * script wraps the constructor and keeps every connection the page makes, and the test reads the
 * inbound RTP bytes from their stats until they grow. The app has no test hooks for this.
 */

/** Keeps every RTCPeerConnection the page creates in `window.__peerConnections`. */
async function recordPeerConnections(page: Page): Promise<void> {
  await page.context().grantPermissions(['camera', 'microphone']);
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const created: RTCPeerConnection[] = [];
    (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections = created;
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        created.push(this);
      }
    };
  });
}

interface Link {
  index: number;
  state: RTCPeerConnectionState;
  bytes: number;
}

/** Each recorded connection: its state and the bytes received over all its inbound RTP streams. */
function readLinks(page: Page): Promise<Link[]> {
  return page.evaluate(async () => {
    const created =
      (window as unknown as { __peerConnections?: RTCPeerConnection[] }).__peerConnections ?? [];
    return Promise.all(
      created.map(async (pc, index) => {
        let bytes = 0;
        if (pc.connectionState !== 'closed') {
          (await pc.getStats()).forEach((report: { type: string; bytesReceived?: number }) => {
            if (report.type === 'inbound-rtp') bytes += report.bytesReceived ?? 0;
          });
        }
        return { index, state: pc.connectionState, bytes };
      })
    );
  });
}

/**
 * The page has exactly `peers` connections that are not closed, all connected, and the bytes received on
 * every one of them grow.
 */
async function expectMediaFlowing(page: Page, peers: number, who: string): Promise<void> {
  await expect
    .poll(
      async () =>
        (await readLinks(page))
          .filter((l) => l.state !== 'closed')
          .map((l) => l.state)
          .join(','),
      { message: `${who} has ${peers} connected peer connection(s)`, timeout: 20_000 }
    )
    .toBe(Array<string>(peers).fill('connected').join(','));
  const before = await readLinks(page);
  await expect
    .poll(
      async () => {
        const open = (await readLinks(page)).filter((l) => l.state !== 'closed');
        return (
          open.length === peers && open.every((l) => l.bytes > 0 && l.bytes > (before[l.index]?.bytes ?? 0))
        );
      },
      { message: `inbound RTP bytes grow on each of ${who}'s ${peers} connection(s)`, timeout: 20_000 }
    )
    .toBe(true);
}

function getTiles(page: Page): Locator {
  return page.getByRole('list', { name: 'People in the call' }).getByRole('listitem');
}

function getCallPanel(page: Page): Locator {
  return page.getByRole('region', { name: /^Call/ });
}

/** The tiles show exactly these people (this page's own as "<name> (you)"). */
async function expectTiles(page: Page, names: string[]): Promise<void> {
  await expect(getTiles(page)).toHaveCount(names.length);
  for (const name of names) {
    await expect(getTiles(page).filter({ hasText: name })).toHaveCount(1);
  }
}

async function signUpAll(pages: Record<string, Page>, prefix: string): Promise<void> {
  for (const [key, page] of Object.entries(pages)) {
    const displayName = key[0].toUpperCase() + key.slice(1);
    await signUpByApi(page, { username: getUsername(`${prefix}-${key}`), displayName });
  }
}

test('R110–R112, R115, R118: alice, bob and carol in one call; breakout sessions move bob and carol into Room 1’s call; the end brings everyone back', async ({
  alice,
  bob,
  carol
}) => {
  test.setTimeout(240_000);
  const title = `Call ${RUN_ID}`;
  const everyone = { alice, bob, carol };
  await signUpAll(everyone, 'call');
  const conversationId = await createConversationByApi(alice, title);
  for (const page of [bob, carol]) await joinByApi(alice, page, conversationId);
  for (const page of [alice, bob, carol]) {
    await recordPeerConnections(page);
    await openConversation(page, conversationId, title);
    await expect(getMemberList(page).getByRole('listitem')).toHaveCount(3);
  }

  await test.step('alice starts the call; bob and carol see "Join call" and join (R110, R118)', async () => {
    await expect(alice.getByRole('button', { name: 'Start call' })).toBeVisible();
    await alice.getByRole('button', { name: 'Start call' }).click();
    await expectTiles(alice, ['Alice (you)']);
    for (const page of [bob, carol]) {
      await expect(page.getByRole('button', { name: 'Join call' })).toBeVisible();
      await page.getByRole('button', { name: 'Join call' }).click();
    }
    await expectTiles(alice, ['Alice (you)', 'Bob', 'Carol']);
    await expectTiles(bob, ['Bob (you)', 'Alice', 'Carol']);
    await expectTiles(carol, ['Carol (you)', 'Alice', 'Bob']);
    for (const page of [alice, bob, carol]) {
      await expect(page.getByRole('button', { name: 'Leave call' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Mute' })).toBeVisible();
      await expect(page.getByRole('button', { name: 'Turn camera off' })).toBeVisible();
    }
  });

  await test.step('media flows between all three: inbound RTP bytes grow on both connections of each page (R111)', async () => {
    await expectMediaFlowing(alice, 2, 'alice');
    await expectMediaFlowing(bob, 2, 'bob');
    await expectMediaFlowing(carol, 2, 'carol');
  });

  await test.step('bob mutes: everyone sees "Muted" on his tile; the call panel passes axe (R110)', async () => {
    await bob.getByRole('button', { name: 'Mute' }).click();
    await expect(bob.getByRole('button', { name: 'Unmute' })).toBeVisible();
    for (const page of [alice, bob, carol]) {
      await expect(getTiles(page).filter({ hasText: 'Bob' })).toContainText('Muted');
      await expect(getTiles(page).filter({ hasText: 'Alice' })).not.toContainText('Muted');
    }
    await expect(getCallPanel(alice)).toBeVisible();
    await expectNoSeriousA11yViolations(alice);
    await expectNoSeriousA11yViolations(bob);
  });

  await test.step('alice sets up two rooms by hand with bob and carol both in "Room 1"', async () => {
    await setUpRooms(alice, { count: 2, mode: 'Manually assign' });
    for (const name of ['Bob', 'Carol']) {
      await getPerson(alice, name)
        .getByRole('button', { name: `Move ${name} to…` })
        .click();
      await alice.getByRole('menu').getByRole('menuitem', { name: 'Room 1', exact: true }).click();
      await expect(getPerson(alice, name, getRoom(alice, 'Room 1'))).toHaveCount(1);
    }
  });

  await test.step('alice starts breakout sessions: bob’s and carol’s calls move to Room 1, mute kept (R115)', async () => {
    await expect(alice.getByRole('checkbox', { name: 'Move participants automatically' })).toBeChecked();
    await alice.getByRole('button', { name: 'Start breakout sessions' }).click();
    await expect(alice.getByRole('button', { name: 'End breakout sessions' })).toBeVisible();
    for (const [page, self, other] of [
      [bob, 'Bob (you)', 'Carol'],
      [carol, 'Carol (you)', 'Bob']
    ] as const) {
      await expect(page.getByRole('heading', { level: 2, name: 'Room 1', exact: true })).toBeVisible();
      await expect(getCallPanel(page)).toContainText('Room 1');
      await expectTiles(page, [self, other]);
      await expect(getTiles(page).filter({ hasText: 'Alice' })).toHaveCount(0);
    }
    // Still muted after the move.
    await expect(bob.getByRole('button', { name: 'Unmute' })).toBeVisible();
    await expect(getTiles(carol).filter({ hasText: 'Bob' })).toContainText('Muted');
    await expectTiles(alice, ['Alice (you)']);
  });

  await test.step('bob and carol exchange media in Room 1; alice has no connection to them any more', async () => {
    await expectMediaFlowing(bob, 1, 'bob');
    await expectMediaFlowing(carol, 1, 'carol');
    // Her connections to them (one each, from the main call) are closed, and there is no other.
    await expect
      .poll(async () => {
        const links = await readLinks(alice);
        return { recorded: links.length, open: links.filter((l) => l.state !== 'closed').length };
      })
      .toEqual({ recorded: 2, open: 0 });
  });

  await test.step('alice’s room list shows the call icon with 2 on Room 1, none on Room 2 (R118)', async () => {
    await expect(getRoom(alice, 'Room 1').getByText('In call: 2')).toBeVisible();
    await expect(getRoom(alice, 'Room 2').getByText(/In call:/)).toHaveCount(0);
  });

  await test.step('alice ends with no countdown: all three are back in one call, media flowing (R115)', async () => {
    await alice.getByRole('combobox', { name: 'Closing countdown' }).selectOption('0');
    await alice.getByRole('button', { name: 'End breakout sessions' }).click();
    await expect(alice.getByRole('button', { name: 'Start breakout sessions' })).toBeVisible();
    await expectTiles(alice, ['Alice (you)', 'Bob', 'Carol']);
    await expectTiles(bob, ['Bob (you)', 'Alice', 'Carol']);
    await expectTiles(carol, ['Carol (you)', 'Alice', 'Bob']);
    await expectMediaFlowing(alice, 2, 'alice');
    await expectMediaFlowing(bob, 2, 'bob');
    await expectMediaFlowing(carol, 2, 'carol');
    await expect(getTiles(alice).filter({ hasText: 'Bob' })).toContainText('Muted');
  });

  await test.step('"Leave call" leaves: the others’ tiles and connections to that page go', async () => {
    await carol.getByRole('button', { name: 'Leave call' }).click();
    await expect(carol.getByRole('button', { name: 'Join call' })).toBeVisible();
    await expect(getTiles(carol)).toHaveCount(0);
    await expectTiles(alice, ['Alice (you)', 'Bob']);
    await expectTiles(bob, ['Bob (you)', 'Alice']);
    await expect
      .poll(async () => (await readLinks(carol)).filter((l) => l.state !== 'closed').length)
      .toBe(0);
  });
});

test('R119: a browser that refuses the devices gets a sentence saying what to allow, and is not in the call', async ({
  alice
}) => {
  const title = `Refused ${RUN_ID}`;
  await signUpByApi(alice, { username: getUsername('callno-alice'), displayName: 'Alice' });
  const conversationId = await createConversationByApi(alice, title);
  await alice.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await openConversation(alice, conversationId, title);
  await alice.getByRole('button', { name: 'Start call' }).click();
  const alert = getCallPanel(alice).getByRole('alert');
  await expect(alert).toContainText('Your browser blocked the microphone and camera.');
  await expect(alert).toContainText('Allow them for this site');
  await expect(alice.getByRole('button', { name: 'Start call' })).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Leave call' })).toHaveCount(0);
  await expect(getTiles(alice)).toHaveCount(0);
  await expectNoSeriousA11yViolations(alice);
});

test('R119: with no camera the call is audio only: initials instead of video, sound still flows', async ({
  alice,
  bob
}) => {
  test.setTimeout(120_000);
  const title = `Audio only ${RUN_ID}`;
  await signUpAll({ alice, bob }, 'callaudio');
  const conversationId = await createConversationByApi(alice, title);
  await joinByApi(alice, bob, conversationId);
  await bob.addInitScript(() => {
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (constraints) =>
      constraints?.video
        ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))
        : original(constraints);
  });
  for (const page of [alice, bob]) {
    await recordPeerConnections(page);
    await openConversation(page, conversationId, title);
  }
  await alice.getByRole('button', { name: 'Start call' }).click();
  await expectTiles(alice, ['Alice (you)']);
  await bob.getByRole('button', { name: 'Join call' }).click();
  await expect(getCallPanel(bob).getByRole('status')).toContainText('audio only');
  await expect(bob.getByText('No camera', { exact: true })).toBeVisible();
  await expect(bob.getByRole('button', { name: 'Turn camera off' })).toHaveCount(0);
  await expectTiles(bob, ['Bob (you)', 'Alice']);
  await expectTiles(alice, ['Alice (you)', 'Bob']);
  await expectMediaFlowing(alice, 1, 'alice');
  await expectMediaFlowing(bob, 1, 'bob');
  // Bob sends no video: alice shows his initials; he sees her video.
  await expect(getTiles(alice).filter({ hasText: 'Bob' }).locator('video')).toHaveCount(0);
  await expect(getTiles(bob).filter({ hasText: 'Alice' }).locator('video')).toHaveCount(1);
});
