import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt parameters of new hashes. OWASP's floor (N=2^17, r=8, p=1) costs ~128 MiB; N=2^15 keeps
 * sign-up fast on small hosts. Each stored hash names its own parameters (`scrypt$N$r$p$salt$hash`),
 * so raising these later leaves existing hashes verifiable (SPEC R8).
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

type Params = typeof PARAMS;

function derive(password: string, salt: Buffer, params: Params, keyBytes: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; twice that leaves room for Node's own bookkeeping.
  const options: ScryptOptions = { ...params, maxmem: 2 * 128 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) =>
      error ? reject(error) : resolve(key)
    );
  });
}

/**
 * A new per-user random salt and the hash `scrypt$N$r$p$<salt>$<key>` (base64 parts, SPEC R8). The salt
 * is returned on its own too, for the database's salt column.
 */
export async function hashPassword(password: string): Promise<{ passwordHash: string; salt: string }> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS, KEY_BYTES);
  const { N, r, p } = PARAMS;
  return {
    passwordHash: [PREFIX, N, r, p, salt.toString('base64'), key.toString('base64')].join('$'),
    salt: salt.toString('base64')
  };
}

/** The parameters, salt and key of a stored hash; hashes from before the `scrypt$` format use `salt`. */
function readStoredHash(
  passwordHash: string,
  salt: string
): { params: Params; salt: Buffer; key: Buffer } | null {
  if (!passwordHash.startsWith(`${PREFIX}$`)) {
    return { params: PARAMS, salt: Buffer.from(salt, 'base64'), key: Buffer.from(passwordHash, 'base64') };
  }
  const parts = passwordHash.split('$');
  if (parts.length !== 6) return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return null;
  return { params: { N, r, p }, salt: Buffer.from(parts[4], 'base64'), key: Buffer.from(parts[5], 'base64') };
}

export async function verifyPassword(options: {
  password: string;
  passwordHash: string;
  salt: string;
}): Promise<boolean> {
  const stored = readStoredHash(options.passwordHash, options.salt);
  // A shorter key would be a prefix of the real one: a truncated hash must not verify.
  if (!stored || stored.key.length < KEY_BYTES) return false;
  const key = await derive(options.password, stored.salt, stored.params, stored.key.length);
  return stored.key.length === key.length && timingSafeEqual(stored.key, key);
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
