// The secret values of an export, sealed with the user's passphrase: one blob per file, so a file
// never shows how many secrets it holds or how long they are. scrypt turns the passphrase into a key
// (a fresh salt per file), AES-256-GCM encrypts and authenticates the JSON of all the values.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

/** What a file stores per kind: export-local id → field name → value. */
export type SecretValues = {
  templates: Record<string, Record<string, string>>;
  tasks: Record<string, Record<string, string>>;
  registrations: Record<string, Record<string, string>>;
};

export const emptySecrets = (): SecretValues => ({ templates: {}, tasks: {}, registrations: {} });

// The same cost as a login's password hash: ~50-100 ms and 32 MiB, once per export or import.
const PARAMS = { N: 32768, r: 8, p: 1, keyLength: 32 } as const;
// A file names its own parameters; these bounds keep a crafted one from asking for gigabytes.
const MAX_MEMORY = 256 * 1024 * 1024;
// Binds the ciphertext to this format, so it cannot be replayed as some other kind of blob.
const AAD = Buffer.from('chime-export/1');

const b64 = (bytes: number) => z.string().regex(/^[A-Za-z0-9_-]+$/).refine((s) => Buffer.from(s, 'base64url').length === bytes, { error: 'errors.invalid_value' });

export const sealedSecretsSchema = z
  .object({
    kdf: z.literal('scrypt'),
    salt: b64(16),
    params: z
      .object({
        N: z.number().int().min(1024).max(1 << 20).refine((n) => (n & (n - 1)) === 0, { error: 'errors.invalid_value' }),
        r: z.number().int().min(1).max(32),
        p: z.number().int().min(1).max(4),
        keyLength: z.literal(32),
      })
      .strict()
      .refine((p) => 128 * p.N * p.r <= MAX_MEMORY, { error: 'errors.invalid_value' }),
    cipher: z.literal('aes-256-gcm'),
    iv: b64(12),
    tag: b64(16),
    data: z.string().regex(/^[A-Za-z0-9_-]*$/).max(40 * 1024 * 1024),
  })
  .strict();

export type SealedSecrets = z.output<typeof sealedSecretsSchema>;

const valuesSchema = z
  .object({
    templates: z.record(z.string(), z.record(z.string(), z.string())),
    tasks: z.record(z.string(), z.record(z.string(), z.string())),
    registrations: z.record(z.string(), z.record(z.string(), z.string())),
  })
  .strict();

const keyFor = (passphrase: string, salt: Buffer, params: SealedSecrets['params']) =>
  scrypt(passphrase.normalize('NFKC'), salt, params.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: MAX_MEMORY + 1024 * 1024 });

export async function sealSecrets(values: SecretValues, passphrase: string): Promise<SealedSecrets> {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const key = await keyFor(passphrase, salt, PARAMS);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const data = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return {
    kdf: 'scrypt',
    salt: salt.toString('base64url'),
    params: { ...PARAMS },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    data: data.toString('base64url'),
  };
}

/** The values, or undefined when the passphrase is wrong or the blob was changed (GCM cannot tell which). */
export async function openSecrets(sealed: SealedSecrets, passphrase: string): Promise<SecretValues | undefined> {
  const key = await keyFor(passphrase, Buffer.from(sealed.salt, 'base64url'), sealed.params);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString('utf8');
    const parsed = valuesSchema.safeParse(JSON.parse(plain));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
