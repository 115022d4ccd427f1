// Signed email-verification links. A link carries the user id and its expiry, with an HMAC (key derived
// from APP_SECRET) over those and the address it was sent to: nothing is stored, it cannot be forged,
// and it stops working once the user changes their address. It may be used more than once (verifying
// twice is harmless); it is valid for 30 days.
import crypto from 'node:crypto';
import { deriveKey } from '../lib/crypto.js';

export const VERIFICATION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export type VerificationClaim = { userId: number; expiresAt: number };

export function verificationSigner(appSecret: string) {
  const key = deriveKey(appSecret, 'email-verification');
  const mac = (userId: number, email: string, expiresAt: number) =>
    crypto.createHmac('sha256', key).update(`verify-email|${userId}|${email}|${expiresAt}`).digest('base64url');

  return {
    sign(userId: number, email: string, now: number): string {
      const expiresAt = now + VERIFICATION_TTL_MS;
      return `${userId}.${expiresAt}.${mac(userId, email, expiresAt)}`;
    },

    /** The claim a token makes, unchecked: enough to look up the user it names. */
    parse(token: string): VerificationClaim | undefined {
      const m = /^(\d{1,10})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
      return m ? { userId: Number(m[1]), expiresAt: Number(m[2]) } : undefined;
    },

    /** Whether the token was made by us for this user and address, and has not expired. */
    check(token: string, email: string, now: number): boolean {
      const claim = this.parse(token);
      if (!claim || claim.expiresAt <= now) return false;
      const given = Buffer.from(token.split('.')[2]!);
      const expected = Buffer.from(mac(claim.userId, email, claim.expiresAt));
      return given.length === expected.length && crypto.timingSafeEqual(given, expected);
    },
  };
}

export type VerificationSigner = ReturnType<typeof verificationSigner>;
