import type { Locator, Page } from '@playwright/test';
import { expect, getMessageLog } from './fixtures';

/**
 * The breakout setup as the e2e specs see it: the labels issue 3 fixes ("More actions", "Set up breakout
 * rooms", "Breakout rooms", a region per room named by the room, "Room name", "Unassigned", "Select
 * <name>") and the steps several specs share.
 */

export function getMoreActions(page: Page): Locator {
  return page.getByRole('button', { name: 'More actions' });
}

export function getManagementHeading(page: Page): Locator {
  return page.getByRole('heading', { name: 'Breakout rooms', exact: true });
}

/** A room of the management panel: a region named by the room's name. */
export function getRoom(page: Page, name: string): Locator {
  return page.getByRole('region', { name, exact: true });
}

/** The "Room name" box of one room. */
export function getNameBox(page: Page, room: string): Locator {
  return getRoom(page, room).getByRole('textbox', { name: 'Room name', exact: true });
}

export function getRoomNameBoxes(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Room name', exact: true });
}

export function getUnassignedList(page: Page): Locator {
  return page.getByRole('list', { name: 'Unassigned', exact: true });
}

/** A person of the management panel, anywhere in it (`within` narrows it to a room or "Unassigned"). */
export function getPerson(page: Page, name: string, within?: Locator): Locator {
  return (within ?? page)
    .getByRole('listitem')
    .filter({ has: page.getByRole('checkbox', { name: `Select ${name}`, exact: true }) });
}

/** The room names shown, in the order listed (R45: by position). */
export async function expectRoomNames(page: Page, names: string[]): Promise<void> {
  await expect
    .poll(() =>
      getRoomNameBoxes(page).evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value))
    )
    .toEqual(names);
  for (const name of names) {
    await expect(getRoom(page, name).getByRole('heading', { name, exact: true })).toBeVisible();
  }
}

/** Renames a room through its "Room name" box and waits until the panel shows the new name. */
export async function renameRoom(page: Page, from: string, to: string): Promise<void> {
  const box = getNameBox(page, from);
  await box.fill(to);
  await box.press('Enter');
  await expect(getRoom(page, to)).toBeVisible();
}

export async function openSetupDialog(page: Page): Promise<Locator> {
  await getMoreActions(page).click();
  await page.getByRole('menuitem', { name: 'Set up breakout rooms' }).click();
  const dialog = page.getByRole('dialog', { name: 'Set up breakout rooms' });
  await expect(dialog).toBeVisible();
  return dialog;
}

export function getAssignmentChoice(dialog: Locator, label: string): Locator {
  // A fieldset/legend (role "group") and a role="radiogroup" are both fine for the radio group.
  return dialog
    .getByRole('radiogroup', { name: 'Assignment' })
    .or(dialog.getByRole('group', { name: 'Assignment' }))
    .getByRole('radio', { name: label });
}

/** Creates `count` rooms in `mode` through "More actions" → "Set up breakout rooms". */
export async function setUpRooms(
  page: Page,
  { count, mode }: { count: number; mode: string }
): Promise<void> {
  const dialog = await openSetupDialog(page);
  await dialog.getByRole('spinbutton', { name: 'Number of rooms' }).fill(String(count));
  await getAssignmentChoice(dialog, mode).check();
  await dialog.getByRole('button', { name: 'Create rooms' }).click();
  await expect(dialog).toBeHidden();
  await expect(getManagementHeading(page)).toBeVisible();
}

/** The texts of the chat log's messages that contain `marker`, in the order shown. */
export async function getShownTexts(page: Page, marker: string): Promise<string[]> {
  const texts = await getMessageLog(page).getByRole('listitem').locator('.text').allTextContents();
  return texts.filter((t) => t.includes(marker)).map((t) => t.trim());
}
