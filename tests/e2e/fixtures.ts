import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type Locator, type Page } from '@playwright/test';

/**
 * One browser context per user: cookies, IndexedDB and the guest identity are never shared between alice,
 * bob, carol and dave, as on four different machines. A context opens only for the users a test asks for.
 */
interface Users {
  alice: Page;
  bob: Page;
  carol: Page;
  dave: Page;
}

/** Usernames must be unique across runs that share a data folder, so every run gets its own suffix. */
export const RUN_ID = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

export const PASSWORD = 'correct horse battery staple';

export function getUsername(name: string): string {
  return `${name}-${RUN_ID}`;
}

async function withUserPage(
  { browser, baseURL }: { browser: Browser; baseURL: string | undefined },
  use: (page: Page) => Promise<void>
): Promise<void> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await use(page);
  await context.close();
}

export const test = base.extend<Users>({
  alice: async ({ browser, baseURL }, use) => withUserPage({ browser, baseURL }, use),
  bob: async ({ browser, baseURL }, use) => withUserPage({ browser, baseURL }, use),
  carol: async ({ browser, baseURL }, use) => withUserPage({ browser, baseURL }, use),
  dave: async ({ browser, baseURL }, use) => withUserPage({ browser, baseURL }, use)
});

export { expect };

/** Fills and submits /signup; the caller is already on the page (possibly with a `?next=`). */
export async function submitSignUp(
  page: Page,
  { username, displayName }: { username: string; displayName: string }
): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Display name' }).fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByText(`Signed in as ${displayName}`)).toBeVisible();
}

/** Sets up an account and signs in through the API: for tests where the sign-up form is not the subject. */
export async function signUpByApi(
  page: Page,
  { username, displayName }: { username: string; displayName: string }
): Promise<void> {
  const response = await page.request.post('/api/auth/signup', {
    data: { username, displayName, password: PASSWORD }
  });
  expect(response.status(), await response.text()).toBe(201);
}

/** Creates a conversation from the home page and returns its id (taken from the /c/<id> URL). */
export async function createConversation(page: Page, title: string): Promise<string> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'My conversations' })).toBeVisible();
  await page.getByRole('textbox', { name: 'New conversation title' }).fill(title);
  await page.getByRole('button', { name: 'Create conversation' }).click();
  await expect(page).toHaveURL(/\/c\/[A-Za-z0-9_-]+$/);
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  return new URL(page.url()).pathname.split('/').pop() ?? '';
}

/** Opens the invite panel on a conversation page and returns the invite URL it shows. */
export async function getInviteLink(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Invite people' }).click();
  const link = page.getByRole('textbox', { name: 'Invite link' });
  await expect(link).toHaveValue(/\/invite\/[^/]+$/);
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeVisible();
  return link.inputValue();
}

export function getConnectionStatus(page: Page): Locator {
  return page.getByRole('status', { name: 'Connection' });
}

export function getMessageLog(page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' });
}

/** The message in the chat log whose text is `text`. */
export function getMessage(page: Page, text: string): Locator {
  return getMessageLog(page).getByRole('listitem').filter({ hasText: text });
}

/** The list under the "Members" heading: named by it, or inside a region named by it. */
export function getMemberList(page: Page): Locator {
  return page
    .getByRole('list', { name: 'Members' })
    .or(page.getByRole('region', { name: 'Members' }).getByRole('list'))
    .first();
}

export function getMember(page: Page, displayName: string): Locator {
  return getMemberList(page).getByRole('listitem').filter({ hasText: displayName });
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** Creates a conversation through the API as the signed-in user of `page`; returns its id. */
export async function createConversationByApi(page: Page, title: string): Promise<string> {
  const response = await page.request.post('/api/conversations', { data: { title } });
  expect(response.status(), await response.text()).toBe(201);
  const { conversation } = (await response.json()) as { conversation: { id: string } };
  return conversation.id;
}

/** A moderator (`owner`) invites `member`, who is signed in, and `member` joins through the API. */
export async function joinByApi(owner: Page, member: Page, conversationId: string): Promise<void> {
  const invite = await owner.request.post(`/api/conversations/${conversationId}/invites`);
  expect(invite.status(), await invite.text()).toBe(201);
  const { token } = (await invite.json()) as { token: string };
  const joined = await member.request.post(`/api/invites/${token}/join`);
  expect(joined.status(), await joined.text()).toBe(200);
}

/** The stored messages of a conversation's main chat whose text is `text`, as the server lists them. */
export async function getStoredMessages(
  page: Page,
  conversationId: string,
  text: string
): Promise<{ id: string; text: string; authorName: string }[]> {
  const response = await page.request.get(`/api/conversations/${conversationId}/messages?limit=100`);
  expect(response.status(), await response.text()).toBe(200);
  const { messages } = (await response.json()) as {
    messages: { id: string; text: string; authorName: string }[];
  };
  return messages.filter((m) => m.text === text);
}

/**
 * Violations that make a page unusable for someone (axe-core "serious" and "critical"); minor and moderate
 * ones are left to review.
 */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' '))
    }));
  expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
}

/** Opens a conversation page and waits until its title shows and its documents are online. */
export async function openConversation(page: Page, conversationId: string, title: string): Promise<void> {
  await page.goto(`/c/${conversationId}`);
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(getConnectionStatus(page)).toHaveText('Online');
}

/** A notice of the page (role "status", not the connection's) that contains `text`. */
export function getNotice(page: Page, text: string | RegExp): Locator {
  return page.getByRole('status').filter({ hasText: text });
}
