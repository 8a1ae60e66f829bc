import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// The report form's token: a random part, which makes a double submit of one page find the first
// report (./service.ts), and a MAC under a key derived from APP_SECRET, which shows the post came
// from a form this portal handed out. A script that posts without loading the form, or with a token
// it made up, is asked to submit again instead of being stored (the security review).

const RANDOM_BYTES = 16;

const mac = (key: Buffer, random: string) => createHmac('sha256', key).update(`report-form:${random}`).digest().subarray(0, 16);

export function issueFormToken(key: Buffer): string {
  const random = randomBytes(RANDOM_BYTES).toString('base64url');
  return `${random}.${mac(key, random).toString('base64url')}`;
}

/** True when the token is one this portal issued. */
export function isIssuedFormToken(key: Buffer, token: string): boolean {
  const [random, tag, extra] = token.split('.');
  if (!random || !tag || extra !== undefined || !/^[\w-]{22}$/.test(random)) return false;
  const given = Buffer.from(tag, 'base64url');
  return given.length === 16 && timingSafeEqual(given, mac(key, random));
}
