import * as v from 'valibot';
import { isValidId, type MessageId } from '../../src/lib/domain/ids';
import type { AssignableRole } from '../../src/lib/domain/roles';
import {
  checkConversationTitle,
  checkDisplayName,
  checkMessageText,
  checkPassword,
  checkUsername,
  type Checked
} from '../../src/lib/domain/validation';

/**
 * Request bodies as valibot schemas whose every issue carries a sentence a user can act on (SPEC R30).
 * Field rules come from the domain checks the forms also use, so server and UI refuse the same input
 * with the same words.
 */
function checked<T>(check: (value: unknown) => Checked<T>) {
  return v.pipe(
    v.unknown(),
    v.rawTransform<unknown, T>(({ dataset, addIssue, NEVER }) => {
      const result = check(dataset.value);
      if (!result.ok) {
        addIssue({ message: result.error });
        return NEVER;
      }
      return result.value;
    })
  );
}

/**
 * A required field. A missing key defaults to `null` so that the field's own check runs and explains what
 * is needed ("Choose a username."), instead of valibot's generic missing-key message.
 */
function required<T>(check: (value: unknown) => Checked<T>) {
  return v.optional(checked(check), null);
}

function jsonObject<E extends v.ObjectEntries>(entries: E) {
  return v.object(entries, 'Send the fields as a JSON object.');
}

const nonEmptyString =
  (error: string) =>
  (value: unknown): Checked<string> =>
    typeof value === 'string' && value.length > 0 ? { ok: true, value } : { ok: false, error };

function checkMessageId(value: unknown): Checked<MessageId> {
  return isValidId(value)
    ? { ok: true, value: value as MessageId }
    : {
        ok: false,
        error: 'A message needs an id of 8–64 letters, digits, “-” or “_”, made by the app that sends it.'
      };
}

function checkAssignableRole(value: unknown): Checked<AssignableRole> {
  return value === 'moderator' || value === 'participant'
    ? { ok: true, value }
    : { ok: false, error: 'Choose the new role: “moderator” or “participant”.' };
}

export const signUpBody = jsonObject({
  username: required(checkUsername),
  password: required(checkPassword),
  displayName: v.optional(checked(checkDisplayName))
});

/** Sign-in only needs non-empty strings: any rule beyond that would tell which accounts exist (SPEC R8). */
export const signInBody = jsonObject({
  username: required(nonEmptyString('Enter your username.')),
  password: required(nonEmptyString('Enter your password.'))
});

export const createConversationBody = jsonObject({ title: required(checkConversationTitle) });

export const guestJoinBody = jsonObject({ displayName: required(checkDisplayName) });

export const roleChangeBody = jsonObject({ role: required(checkAssignableRole) });

function checkAuthorId(value: unknown): Checked<string> {
  return isValidId(value)
    ? { ok: true, value }
    : {
        ok: false,
        error: '“authorId”, when sent, must be the id of the signed-in user who wrote the message.'
      };
}

/** A chat room key: `main` or a breakout room's id (SPEC R10). */
export function checkRoomKey(value: unknown): Checked<string> {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)
    ? { ok: true, value }
    : { ok: false, error: '“room” must be “main” or the id of a breakout room.' };
}

function checkRoomId(value: unknown): Checked<string> {
  return isValidId(value)
    ? { ok: true, value }
    : { ok: false, error: 'Choose a room: send its id as “roomId”.' };
}

export const postMessageBody = jsonObject({
  id: required(checkMessageId),
  text: required(checkMessageText),
  /** Who the sending app believes is signed in (SPEC R25); optional for older clients. */
  authorId: v.optional(checked(checkAuthorId)),
  /** The chat room; the main room when missing (SPEC R20, R77). */
  room: v.optional(checked(checkRoomKey))
});

export const chooseRoomBody = jsonObject({ roomId: required(checkRoomId) });

export const broadcastBody = jsonObject({
  id: required(checkMessageId),
  text: required(checkMessageText)
});
