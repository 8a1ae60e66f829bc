import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import jsQRModule from 'jsqr';
import { Secret, TOTP } from 'otpauth';
import { FORM, formBody, type TestApp } from './app.js';
import { loginForm, STAFF_PASSWORD, type StaffAgent } from './staff.js';

// Two-factor login in tests: real codes computed with otpauth, as an authenticator app would.

export const STEP_MS = 30_000;

export const currentStep = () => Math.floor(Date.now() / STEP_MS);

/** The code an app shows at time step `step`. */
export const codeAt = (secret: string, step: number) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * STEP_MS + 1 });

/**
 * Waits, when needed, until at least 5 s remain in the current time step, so that a code computed
 * here for "now ± k" is judged by the app in the same step.
 */
export async function awayFromStepEdge() {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 5_000) await sleep(left + 50);
}

/** A code valid for none of the steps around now. */
export function wrongCode(secret: string): string {
  const step = currentStep();
  const near = new Set([-2, -1, 0, 1, 2].map((d) => codeAt(secret, step + d)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}

export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
export const secretOf = (html: string) => /id="totp-secret">([A-Z2-7 ]+)</.exec(html)?.[1]?.replace(/ /g, '') ?? '';
export const sidOf = (res: LightMyRequestResponse) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sid=') && !c.startsWith('sid=;'))?.split(';')[0];

/** An agent over an existing session cookie (its CSRF token read from a page it can open). */
export async function agentFor(ta: TestApp, cookie: string, userId: string, page = '/staff/2fa'): Promise<StaffAgent> {
  const csrf = csrfOf((await ta.app.inject({ url: page, headers: { cookie } })).body);
  return {
    userId,
    cookie,
    csrf,
    get: (url) => ta.app.inject({ url, headers: { cookie } }),
    post: (url, fields = {}) =>
      ta.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: formBody({ _csrf: csrf, ...fields }) }),
  };
}

/** Enrols a signed-in agent through /staff/2fa with the current code; returns the secret. */
export async function enrol(agent: StaffAgent): Promise<string> {
  const secret = secretOf((await agent.get('/staff/2fa')).body);
  if (!secret) throw new Error('no secret on the enrolment page');
  await awayFromStepEdge();
  const res = await agent.post('/staff/2fa', { code: codeAt(secret, currentStep()) });
  if (res.statusCode !== 303) throw new Error(`enrolment failed: ${res.statusCode}`);
  return secret;
}

/** The password step: returns the pending session's cookie and the code form's CSRF token. */
export async function passwordStep(ta: TestApp, username: string, next?: string) {
  const form = await loginForm(ta);
  const res = await ta.app.inject({
    method: 'POST',
    url: '/staff/login',
    headers: { ...FORM, cookie: form.cookie },
    payload: formBody({ _csrf: form.csrf, username, password: STAFF_PASSWORD, ...(next ? { next } : {}) }),
  });
  const cookie = sidOf(res);
  if (res.statusCode !== 303 || !cookie) throw new Error(`password step failed: ${res.statusCode}`);
  const page = await ta.app.inject({ url: String(res.headers.location), headers: { cookie } });
  return { res, cookie, csrf: csrfOf(page.body), page };
}

export function codeStep(ta: TestApp, pending: { cookie: string; csrf: string }, code: string, next?: string) {
  return ta.app.inject({
    method: 'POST',
    url: '/staff/login/code',
    headers: { ...FORM, cookie: pending.cookie },
    payload: formBody({ _csrf: pending.csrf, code, ...(next ? { next } : {}) }),
  });
}

/**
 * Draws the QR code's SVG (as qrcode writes it: one stroked path of horizontal runs, M/m moves and
 * h lines, one unit per module) onto a bitmap and decodes it with jsQR, as a phone camera would.
 */
export function decodeQrSvg(svg: string): string | null {
  const size = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)![1]);
  const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)![1]!;
  const scale = 6;
  const px = size * scale;
  const data = new Uint8ClampedArray(px * px * 4).fill(255);
  let x = 0;
  let y = 0;
  for (const [, cmd, a, b] of d.matchAll(/([Mmh])([\d.]+)(?: ([\d.]+))?/g)) {
    if (cmd === 'M') [x, y] = [Number(a), Number(b)];
    else if (cmd === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      const row = Math.floor(y);
      for (let col = x; col < x + Number(a); col++) {
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const i = ((row * scale + dy) * px + col * scale + dx) * 4;
            data[i] = data[i + 1] = data[i + 2] = 0;
          }
        }
      }
      x += Number(a);
    }
  }
  // jsqr is CommonJS: its function is module.exports and, for TypeScript, module.exports.default.
  return jsQRModule.default(data, px, px)?.data ?? null;
}
