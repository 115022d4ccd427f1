// Password hashing (scrypt), API token generation and hashing, derived keys.
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

// N=2^15, r=8 takes ~50-100 ms and 32 MiB per hash: slow for guessing, fine for a login.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return crypto.timingSafeEqual(actual, expected);
}

// A hash that costs the same as a real check, for logins with an unknown email: the response time
// then does not tell whether the email is registered.
let decoyHash: Promise<string> | undefined;
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoyHash);
  return false;
}

export const API_TOKEN_PREFIX = 'chm_';

/** A new API token: 32 random bytes. Only its SHA-256 is stored; it has enough entropy not to need a slow hash. */
export function generateApiToken(): string {
  return API_TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}

/** A key for one purpose ("session", "secrets") derived from APP_SECRET, so purposes never share a key. */
export function deriveKey(appSecret: string, purpose: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', appSecret, 'chime', purpose, 32));
}
