import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_CHARS,
  checkConversationTitle,
  checkDisplayName,
  checkMessageText,
  checkPassword,
  checkUsername,
  countChars
} from './validation';

describe('checkMessageText', () => {
  it('R21: trims and accepts ordinary text', () => {
    expect(checkMessageText('  hello  ')).toEqual({ ok: true, value: 'hello' });
  });

  it('R21: refuses empty and whitespace-only messages', () => {
    for (const text of ['', '   ', '\n\t ']) {
      const result = checkMessageText(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/empty/i);
    }
    expect(checkMessageText(undefined).ok).toBe(false);
    expect(checkMessageText(42).ok).toBe(false);
  });

  it('R21: accepts exactly 32,000 characters and refuses 32,001 with the length and the limit', () => {
    expect(checkMessageText('a'.repeat(MAX_MESSAGE_CHARS)).ok).toBe(true);
    const result = checkMessageText('a'.repeat(MAX_MESSAGE_CHARS + 1));
    expect(result).toEqual({
      ok: false,
      error: expect.stringContaining('32,001 characters long; the limit is 32,000')
    });
  });

  it('R21: counts code points, so an emoji is one character, not two UTF-16 units', () => {
    expect(countChars('👋🏽')).toBe(2); // a base emoji and its skin-tone modifier are two code points
    expect(countChars('😀')).toBe(1);
    expect(checkMessageText('😀'.repeat(MAX_MESSAGE_CHARS)).ok).toBe(true);
  });
});

describe('account fields', () => {
  it('R8: usernames are lower-cased and limited to 3–32 safe characters', () => {
    expect(checkUsername(' Alice ')).toEqual({ ok: true, value: 'alice' });
    expect(checkUsername('al').ok).toBe(false);
    expect(checkUsername('a'.repeat(33)).ok).toBe(false);
    expect(checkUsername('al ice').ok).toBe(false);
    expect(checkUsername('_alice').ok).toBe(false);
    expect(checkUsername(null).ok).toBe(false);
  });

  it('R8: passwords have 8–200 characters', () => {
    expect(checkPassword('1234567').ok).toBe(false);
    expect(checkPassword('12345678').ok).toBe(true);
    expect(checkPassword('x'.repeat(201)).ok).toBe(false);
    expect(checkPassword(undefined).ok).toBe(false);
  });

  it('display names and titles are trimmed, non-empty and bounded', () => {
    expect(checkDisplayName('  Carol   Smith ')).toEqual({ ok: true, value: 'Carol Smith' });
    expect(checkDisplayName('   ').ok).toBe(false);
    expect(checkDisplayName('x'.repeat(65)).ok).toBe(false);
    expect(checkConversationTitle(' Workshop ')).toEqual({ ok: true, value: 'Workshop' });
    expect(checkConversationTitle('').ok).toBe(false);
    expect(checkConversationTitle('x'.repeat(101)).ok).toBe(false);
  });
});
