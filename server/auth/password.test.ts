import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('R8: a password verifies against its own hash and salt, and a wrong one does not', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword({ password: 'correct horse battery', ...stored })).toBe(true);
    expect(await verifyPassword({ password: 'correct horse batterY', ...stored })).toBe(false);
    expect(await verifyPassword({ password: '', ...stored })).toBe(false);
  });

  it('R8: each hash gets its own random salt, so equal passwords give different hashes', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(a.salt).not.toBe(b.salt);
    expect(a.passwordHash).not.toBe(b.passwordHash);
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(a.passwordHash, 'base64')).toHaveLength(32);
  });

  it('R8: a hash checked with another user’s salt does not verify', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(
      await verifyPassword({ password: 'same password', passwordHash: a.passwordHash, salt: b.salt })
    ).toBe(false);
  });

  it('R8: a truncated stored hash never verifies (no length-mismatch exception either)', async () => {
    const stored = await hashPassword('something long');
    const truncated = Buffer.from(stored.passwordHash, 'base64').subarray(0, 16).toString('base64');
    expect(
      await verifyPassword({ password: 'something long', passwordHash: truncated, salt: stored.salt })
    ).toBe(false);
  });
});
