/**
 * Branded identifiers: a `UserId` can never be passed where a `ConversationId` is expected,
 * even though both are strings on the wire.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, 'UserId'>;
export type ConversationId = Brand<string, 'ConversationId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type RoomId = Brand<string, 'RoomId'>;

/** Ids are url-safe random strings; the server mints all but message ids (client-generated for idempotent retries). */
const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

export const asUserId = (s: string) => s as UserId;
export const asConversationId = (s: string) => s as ConversationId;
export const asMessageId = (s: string) => s as MessageId;
export const asRoomId = (s: string) => s as RoomId;
