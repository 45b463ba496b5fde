import { randomBytes, scryptSync } from 'node:crypto';
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
    const [prefix, N, r, p, salt, key] = a.passwordHash.split('$');
    expect([prefix, N, r, p]).toEqual(['scrypt', String(2 ** 15), '8', '1']);
    expect(salt).toBe(a.salt);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });

  it('R8: a hash names its own scrypt parameters, so hashes made with other parameters still verify', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('cheaper parameters', salt, 32, { N: 2 ** 10, r: 8, p: 2 });
    const passwordHash = ['scrypt', 2 ** 10, 8, 2, salt.toString('base64'), key.toString('base64')].join('$');
    const stored = { passwordHash, salt: salt.toString('base64') };
    expect(await verifyPassword({ password: 'cheaper parameters', ...stored })).toBe(true);
    expect(await verifyPassword({ password: 'cheaper parameterz', ...stored })).toBe(false);
  });

  it('R8: hashes stored before the scrypt$ format (bare key, salt in its own column) still verify', async () => {
    const salt = randomBytes(16);
    const legacy = scryptSync('old password 1', salt, 32, {
      N: 2 ** 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024
    });
    const stored = { passwordHash: legacy.toString('base64'), salt: salt.toString('base64') };
    expect(await verifyPassword({ password: 'old password 1', ...stored })).toBe(true);
    expect(await verifyPassword({ password: 'old password 2', ...stored })).toBe(false);
    // Another user's salt does not verify.
    const other = await hashPassword('old password 1');
    expect(await verifyPassword({ password: 'old password 1', ...stored, salt: other.salt })).toBe(false);
  });

  it('R8: a truncated or garbled stored hash never verifies (no length-mismatch exception either)', async () => {
    const stored = await hashPassword('something long');
    const parts = stored.passwordHash.split('$');
    parts[5] = Buffer.from(parts[5], 'base64').subarray(0, 16).toString('base64');
    expect(
      await verifyPassword({ password: 'something long', passwordHash: parts.join('$'), salt: stored.salt })
    ).toBe(false);
    expect(
      await verifyPassword({ password: 'something long', passwordHash: 'scrypt$x$8$1$$', salt: stored.salt })
    ).toBe(false);
    expect(
      await verifyPassword({ password: 'something long', passwordHash: 'scrypt$1024$8', salt: stored.salt })
    ).toBe(false);
  });
});
