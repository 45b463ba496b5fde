import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** OWASP's scrypt floor (N=2^17, r=8, p=1) costs ~128 MiB; N=2^15 keeps sign-up fast on small hosts. */
const PARAMS: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, PARAMS, (error, key) =>
      error ? reject(error) : resolve(key)
    );
  });
}

/** A new per-user random salt and the scrypt hash of the password, both base64 (SPEC R8). */
export async function hashPassword(password: string): Promise<{ passwordHash: string; salt: string }> {
  const salt = randomBytes(16);
  const key = await derive(password, salt);
  return { passwordHash: key.toString('base64'), salt: salt.toString('base64') };
}

export async function verifyPassword(options: {
  password: string;
  passwordHash: string;
  salt: string;
}): Promise<boolean> {
  const expected = Buffer.from(options.passwordHash, 'base64');
  const key = await derive(options.password, Buffer.from(options.salt, 'base64'));
  return expected.length === key.length && timingSafeEqual(expected, key);
}

/**
 * A hash of a fixed password, computed once, so that signing in as an unknown user costs the same scrypt
 * work as a wrong password: the two answers must not be told apart by timing either (SPEC R8).
 */
let dummy: Promise<{ passwordHash: string; salt: string }> | undefined;
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword('parley-dummy-password');
  await verifyPassword({ password, ...(await dummy) });
  return false;
}
