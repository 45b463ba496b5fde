/**
 * Input rules shared by the forms and the server (SPEC R21–R23, R30–R33). Each returns the cleaned value or
 * a sentence a user can act on.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_MESSAGE_CHARS = 32_000;

/** Counts user-perceived code points, so an emoji is one character, not two UTF-16 units. */
export function countChars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function checkMessageText(text: unknown): Checked<string> {
  if (typeof text !== 'string') return { ok: false, error: 'A message needs text.' };
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, error: 'Empty messages are not sent. Type something first.' };
  const n = countChars(trimmed);
  if (n > MAX_MESSAGE_CHARS) {
    return {
      ok: false,
      error: `This message is ${n.toLocaleString('en-US')} characters long; the limit is ${MAX_MESSAGE_CHARS.toLocaleString('en-US')}. Shorten it or split it into several messages.`
    };
  }
  return { ok: true, value: trimmed };
}

const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;

export function checkUsername(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, error: 'Choose a username.' };
  const v = value.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(v)) {
    return {
      ok: false,
      error:
        'Usernames are 3–32 characters: letters, digits, “.”, “_” or “-”, starting with a letter or digit.'
    };
  }
  return { ok: true, value: v };
}

export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 200;

export function checkPassword(value: unknown): Checked<string> {
  if (typeof value !== 'string' || value.length < MIN_PASSWORD) {
    return { ok: false, error: `Passwords need at least ${MIN_PASSWORD} characters.` };
  }
  if (value.length > MAX_PASSWORD) {
    return { ok: false, error: `Passwords can have at most ${MAX_PASSWORD} characters.` };
  }
  return { ok: true, value };
}

export function checkDisplayName(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, error: 'Enter a display name.' };
  const v = value.trim().replace(/\s+/g, ' ');
  if (v.length === 0) return { ok: false, error: 'Enter a display name.' };
  if (countChars(v) > 64) return { ok: false, error: 'Display names can have at most 64 characters.' };
  return { ok: true, value: v };
}

export function checkConversationTitle(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, error: 'Give the conversation a title.' };
  const v = value.trim().replace(/\s+/g, ' ');
  if (v.length === 0) return { ok: false, error: 'Give the conversation a title.' };
  if (countChars(v) > 100) return { ok: false, error: 'Titles can have at most 100 characters.' };
  return { ok: true, value: v };
}
