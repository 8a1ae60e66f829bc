import type { LightMyRequestResponse } from 'fastify';
import type { StaffRole } from '../../src/db/schema.js';
import { createStaff } from '../../src/staff/service.js';
import { FORM, formBody, testConfig, type TestApp } from './app.js';

export const STAFF_PASSWORD = 'a long staff passphrase';

export interface StaffAgent {
  userId: string;
  cookie: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, fields?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export async function addStaff(t: TestApp, username: string, role: StaffRole) {
  return createStaff(t.database.db, testConfig().staff.password, { username, role }, STAFF_PASSWORD, null);
}

/** The login form's CSRF cookie and token, as a browser would get them. */
export async function loginForm(t: TestApp) {
  const page = await t.app.inject('/staff/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookie = String(page.headers['set-cookie']).split(';')[0]!;
  return { csrf, cookie };
}

/** Creates an account with the role and signs in through the real login form. */
export async function signIn(t: TestApp, role: StaffRole, username = `${role}1`): Promise<StaffAgent> {
  const user = await addStaff(t, username, role);
  const form = await loginForm(t);
  const res = await t.app.inject({
    method: 'POST',
    url: '/staff/login',
    headers: { ...FORM, cookie: form.cookie },
    payload: formBody({ _csrf: form.csrf, username, password: STAFF_PASSWORD }),
  });
  if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode}`);
  const sid = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('sid='))!;
  const cookie = sid.split(';')[0]!;
  let home = await t.app.inject({ url: '/staff', headers: { cookie } });
  if (home.statusCode === 303) home = await t.app.inject({ url: String(home.headers.location), headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)![1]!;
  return {
    userId: user.id,
    cookie,
    csrf,
    get: (url) => t.app.inject({ url, headers: { cookie } }),
    post: (url, fields = {}) =>
      t.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: formBody({ _csrf: csrf, ...fields }) }),
  };
}
