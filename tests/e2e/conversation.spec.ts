import {
  createConversation,
  expect,
  getConnectionStatus,
  getInviteLink,
  getMember,
  getMemberList,
  getMessage,
  getUsername,
  PASSWORD,
  RUN_ID,
  sendMessage,
  submitSignUp,
  test
} from './fixtures';
import type { Page } from '@playwright/test';

/** Role labels start with a capital; "Make moderator" and "Make participant" buttons do not match them. */
const MODERATOR = /\bModerator\b/;
const PARTICIPANT = /\bParticipant\b/;

const TITLE = `Workshop ${RUN_ID}`;

async function expectMessageEverywhere(pages: Page[], { author, text }: { author: string; text: string }) {
  for (const page of pages) {
    const message = getMessage(page, text);
    await expect(message).toHaveCount(1);
    await expect(message).toContainText(author);
    await expect(message.locator('time')).toBeVisible();
  }
}

test('alice, bob and carol meet in a conversation: invite, join, chat, reload, promote (R3, R4, R7, R8, R9, R20–R24)', async ({
  alice,
  bob,
  carol
}) => {
  test.setTimeout(180_000);
  let conversationPath = '';
  let inviteLink = '';

  await test.step('alice signs up and creates a conversation', async () => {
    await alice.goto('/');
    await alice.getByRole('link', { name: 'Sign up' }).click();
    await expect(alice).toHaveURL(/\/signup/);
    await submitSignUp(alice, { username: getUsername('alice'), displayName: 'Alice' });
    await expect(alice.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await createConversation(alice, TITLE);
    conversationPath = new URL(alice.url()).pathname;
    await expect(getConnectionStatus(alice)).toHaveText('Online');
    await expect(getMember(alice, 'Alice')).toContainText(/\bOwner\b/);
  });

  await test.step('alice creates an invite link', async () => {
    inviteLink = await getInviteLink(alice);
  });

  await test.step('bob signs up through the invite link and joins (R3: participant)', async () => {
    await bob.goto(inviteLink);
    await expect(bob.getByRole('heading', { name: `Join ${TITLE}` })).toBeVisible();
    await bob.getByRole('link', { name: 'Sign up' }).click();
    await expect(bob).toHaveURL(/\/signup\?next=/);
    await submitSignUp(bob, { username: getUsername('bob'), displayName: 'Bob' });
    await expect(bob.getByRole('heading', { name: `Join ${TITLE}` })).toBeVisible();
    await bob.getByRole('button', { name: 'Join conversation' }).click();
    await expect(bob).toHaveURL(new RegExp(`${conversationPath}$`));
    await expect(bob.getByRole('heading', { level: 1, name: TITLE })).toBeVisible();
    await expect(getMember(bob, 'Bob')).toContainText(PARTICIPANT);
  });

  await test.step('carol joins as a guest with a display name (R3: guest)', async () => {
    await carol.goto(inviteLink);
    await expect(carol.getByRole('heading', { name: `Join ${TITLE}` })).toBeVisible();
    await expect(carol.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', /next=/);
    await carol.getByRole('textbox', { name: 'Display name' }).fill('Carol');
    await carol.getByRole('button', { name: 'Join as guest' }).click();
    await expect(carol).toHaveURL(new RegExp(`${conversationPath}$`));
    await expect(carol.getByRole('heading', { level: 1, name: TITLE })).toBeVisible();
    await expect(getMember(carol, 'Carol')).toContainText(/\bGuest\b/);
  });

  await test.step('everyone is online and sees all three members live', async () => {
    for (const page of [alice, bob, carol]) {
      await expect(getConnectionStatus(page)).toHaveText('Online');
      await expect(getMemberList(page).getByRole('listitem')).toHaveCount(3);
    }
  });

  const fromAlice = `Hello from alice ${RUN_ID}`;
  const fromBob = `Hi alice, bob here ${RUN_ID}`;
  const fromCarol = `Carol says hi ${RUN_ID}`;

  await test.step('chat both ways: each message reaches the other two live (R20, R24)', async () => {
    await sendMessage(alice, fromAlice);
    await expectMessageEverywhere([alice, bob, carol], { author: 'Alice', text: fromAlice });
    await expect(alice.getByRole('textbox', { name: 'Message' })).toHaveValue('');

    await sendMessage(bob, fromBob);
    await expectMessageEverywhere([alice, bob, carol], { author: 'Bob', text: fromBob });

    await sendMessage(carol, fromCarol);
    await expectMessageEverywhere([alice, bob, carol], { author: 'Carol', text: fromCarol });
  });

  await test.step('reload keeps history, and carol stays the same guest (R7, R24)', async () => {
    for (const page of [alice, bob, carol]) {
      await page.reload();
      await expect(page.getByRole('heading', { level: 1, name: TITLE })).toBeVisible();
      await expect(getConnectionStatus(page)).toHaveText('Online');
    }
    await expectMessageEverywhere([alice, bob, carol], { author: 'Alice', text: fromAlice });
    await expectMessageEverywhere([alice, bob, carol], { author: 'Bob', text: fromBob });
    await expectMessageEverywhere([alice, bob, carol], { author: 'Carol', text: fromCarol });

    // A new guest identity would add a fourth member.
    await expect(carol).toHaveURL(new RegExp(`${conversationPath}$`));
    await expect(getMemberList(alice).getByRole('listitem')).toHaveCount(3);
    await expect(getMember(alice, 'Carol')).toHaveCount(1);
    const afterReload = `Carol again after reload ${RUN_ID}`;
    await sendMessage(carol, afterReload);
    await expectMessageEverywhere([alice, bob, carol], { author: 'Carol', text: afterReload });
    await expect(getMemberList(bob).getByRole('listitem')).toHaveCount(3);
  });

  await test.step('alice promotes bob; bob and carol see "Moderator" live (R4)', async () => {
    const bobForAlice = getMember(alice, 'Bob');
    await expect(bobForAlice).toContainText(PARTICIPANT);
    // Guests cannot become moderators (R5), so carol gets no button.
    await expect(getMember(alice, 'Carol').getByRole('button', { name: 'Make moderator' })).toHaveCount(0);
    await bobForAlice.getByRole('button', { name: 'Make moderator' }).click();

    for (const page of [alice, bob, carol]) {
      const bobItem = getMember(page, 'Bob');
      await expect(bobItem).toContainText(MODERATOR);
      await expect(bobItem).not.toContainText(PARTICIPANT);
    }
    await expect(bobForAlice.getByRole('button', { name: 'Make participant' })).toBeVisible();
  });

  await test.step('a message over 32,000 characters is refused with a clear error (R21)', async () => {
    const tooLong = 'x'.repeat(32_001);
    await alice.getByRole('textbox', { name: 'Message' }).fill(tooLong);
    await alice.getByRole('button', { name: 'Send' }).click();
    await expect(alice.getByRole('alert')).toContainText(/32[,.\u202f\u00a0 ]?000/);
    // Nothing was queued: the composer keeps the text for editing, and no pending entry appears.
    await expect(alice.getByRole('textbox', { name: 'Message' })).toHaveValue(tooLong);
    await expect(getMessage(alice, 'xxxxxxxxxxxxxxxx')).toHaveCount(0);
  });

  await test.step('bob signs out, then signs in again and lands back in the conversation (?next=)', async () => {
    await bob.getByRole('button', { name: 'Sign out' }).click();
    await expect(bob.getByRole('link', { name: 'Sign in' })).toBeVisible();
    await expect(bob.getByText('Signed in as Bob')).toHaveCount(0);

    await bob.goto(`/signin?next=${encodeURIComponent(conversationPath)}`);
    await bob.getByRole('textbox', { name: 'Username' }).fill(getUsername('bob'));
    await bob.getByLabel('Password').fill(`${PASSWORD} but wrong`);
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await expect(bob.getByRole('alert')).toBeVisible();
    await bob.getByLabel('Password').fill(PASSWORD);
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await expect(bob).toHaveURL(new RegExp(`${conversationPath}$`));
    await expect(bob.getByText('Signed in as Bob')).toBeVisible();
    await expect(getMessage(bob, fromCarol)).toBeVisible();
  });

  await test.step('the conversation is listed on alice’s home page', async () => {
    await alice.goto('/');
    await expect(alice.getByRole('heading', { name: 'My conversations' })).toBeVisible();
    await alice.getByRole('link', { name: TITLE }).click();
    await expect(alice).toHaveURL(new RegExp(`${conversationPath}$`));
    await expect(getConnectionStatus(alice)).toHaveText('Online');
  });
});
