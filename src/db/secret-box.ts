// Encryption of secret values at rest: AES-256-GCM with a key derived from APP_SECRET.
// Format: "v1:" + base64url(12-byte IV | 16-byte tag | ciphertext).
import crypto from 'node:crypto';
import { deriveKey } from '../lib/crypto.js';

export type SecretBox = {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  encryptJson(value: unknown): string;
  decryptJson<T>(sealed: string): T;
};

export class SecretBoxError extends Error {}

export function createSecretBox(appSecret: string): SecretBox {
  const key = deriveKey(appSecret, 'secret-columns');
  const box: SecretBox = {
    encrypt(plain) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
    },
    decrypt(sealed) {
      if (!sealed.startsWith('v1:')) throw new SecretBoxError('not an encrypted value');
      const raw = Buffer.from(sealed.slice(3), 'base64url');
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        // A different APP_SECRET than the one that encrypted it, or a damaged value.
        throw new SecretBoxError('cannot decrypt a stored secret: was APP_SECRET changed?');
      }
    },
    encryptJson: (value) => box.encrypt(JSON.stringify(value)),
    decryptJson: <T>(sealed: string) => JSON.parse(box.decrypt(sealed)) as T,
  };
  return box;
}

/** How a secret is shown: never the value, only that it is set and how it ends. */
export function maskSecret(value: string | undefined | null): string {
  if (!value) return '';
  return value.length > 8 ? `••••${value.slice(-4)}` : '••••';
}
