import {
  expect,
  expectNoSeriousA11yViolations,
  getConnectionStatus,
  getUsername,
  RUN_ID,
  signUpByApi,
  test
} from './fixtures';

test.describe('accessibility: no serious or critical axe violations', () => {
  test('home, sign in and sign up pages, signed out', async ({ carol }) => {
    await carol.goto('/');
    await expect(carol.getByRole('link', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousA11yViolations(carol);

    await carol.goto('/signin');
    await expect(carol.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousA11yViolations(carol);

    await carol.goto('/signup');
    await expect(carol.getByRole('button', { name: 'Sign up' })).toBeVisible();
    await expectNoSeriousA11yViolations(carol);
  });

  test('home signed in, conversation and invite pages', async ({ alice, carol }) => {
    const title = `Accessible ${RUN_ID}`;
    await signUpByApi(alice, { username: getUsername('a11y-alice'), displayName: 'Alice' });

    await alice.goto('/');
    await expect(alice.getByRole('heading', { name: 'My conversations' })).toBeVisible();
    await expectNoSeriousA11yViolations(alice);

    await alice.getByRole('textbox', { name: 'New conversation title' }).fill(title);
    await alice.getByRole('button', { name: 'Create conversation' }).click();
    await expect(alice.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(getConnectionStatus(alice)).toHaveText('Online');
    await alice.getByRole('button', { name: 'Invite people' }).click();
    const link = alice.getByRole('textbox', { name: 'Invite link' });
    await expect(link).toHaveValue(/\/invite\//);
    await expectNoSeriousA11yViolations(alice);

    await carol.goto(await link.inputValue());
    await expect(carol.getByRole('heading', { name: `Join ${title}` })).toBeVisible();
    await expectNoSeriousA11yViolations(carol);
  });
});
