import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, getConnectionStatus, getUsername, RUN_ID, signUpByApi, test } from './fixtures';

/** Violations that make a page unusable for someone; minor and moderate ones are left to review. */
async function expectNoSeriousViolations(page: Page): Promise<void> {
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

test.describe('accessibility: no serious or critical axe violations', () => {
  test('home, sign in and sign up pages, signed out', async ({ carol }) => {
    await carol.goto('/');
    await expect(carol.getByRole('link', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousViolations(carol);

    await carol.goto('/signin');
    await expect(carol.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousViolations(carol);

    await carol.goto('/signup');
    await expect(carol.getByRole('button', { name: 'Sign up' })).toBeVisible();
    await expectNoSeriousViolations(carol);
  });

  test('home signed in, conversation and invite pages', async ({ alice, carol }) => {
    const title = `Accessible ${RUN_ID}`;
    await signUpByApi(alice, { username: getUsername('a11y-alice'), displayName: 'Alice' });

    await alice.goto('/');
    await expect(alice.getByRole('heading', { name: 'My conversations' })).toBeVisible();
    await expectNoSeriousViolations(alice);

    await alice.getByRole('textbox', { name: 'New conversation title' }).fill(title);
    await alice.getByRole('button', { name: 'Create conversation' }).click();
    await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(getConnectionStatus(alice)).toHaveText('Online');
    await alice.getByRole('button', { name: 'Invite people' }).click();
    const link = alice.getByRole('textbox', { name: 'Invite link' });
    await expect(link).toHaveValue(/\/invite\//);
    await expectNoSeriousViolations(alice);

    await carol.goto(await link.inputValue());
    await expect(carol.getByRole('heading', { name: `Join ${title}` })).toBeVisible();
    await expectNoSeriousViolations(carol);
  });
});
