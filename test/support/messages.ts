import type { LightMyRequestResponse } from 'fastify';
import { FORM, formBody, testApp, VALID_REPORT, type TestApp } from './app.js';
import type { StaffAgent } from './staff.js';
import type { Test } from 'tap';

// Shared by the conversation-by-code tests: a reporter with a code, the status page's message
// form, and a lead moved along the workflow by staff.

/** Generous limits: these tests are about the conversation, test/plugins/limits.test.ts about limits. */
export const MESSAGE_ENV = {
  RATE_LIMIT_SUBMISSIONS_PER_HOUR: '1000',
  RATE_LIMIT_LOOKUPS_PER_15_MIN: '1000',
  RATE_LIMIT_FAILED_LOOKUPS_PER_HOUR: '1000',
};

export const messageApp = (t: Test, env: Record<string, string> = {}) => testApp(t, { env: { ...MESSAGE_ENV, ...env } });

/** A report through the API: its tracking code (digits only) and lead id. */
export async function report(ta: TestApp, fields: Record<string, unknown> = {}) {
  const res = await ta.app.inject({ method: 'POST', url: '/api/v1/reports', payload: { ...VALID_REPORT, ...fields } });
  if (res.statusCode !== 201) throw new Error(`report not stored: ${res.statusCode}`);
  const row = await ta.database.db.selectFrom('reports').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  return { code: String(res.json().code).replace(/ /g, ''), id: row.id };
}

export const lead = (ta: TestApp, id: string) => ta.database.db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

export const messagesOf = (ta: TestApp, reportId: string) =>
  ta.database.db.selectFrom('report_messages').selectAll().where('report_id', '=', reportId).orderBy('id').execute();

/** The status page for a code, as the lookup form posts it. */
export const statusPage = (ta: TestApp, code: string) =>
  ta.app.inject({ method: 'POST', url: '/status', headers: FORM, payload: formBody({ code }) });

/** The status page's message form, posted as a browser would (view: the page's token), or with a code. */
export function sendMessage(
  ta: TestApp,
  fields: ({ code: string } | { view: string }) & { text: string; kind?: string },
): Promise<LightMyRequestResponse> {
  return ta.app.inject({ method: 'POST', url: '/status/messages', headers: FORM, payload: formBody(fields) });
}

/** The view token in a status page's message form (it stands for the code, which the page never holds). */
export function hiddenView(html: string): string | undefined {
  return /<input type="hidden" name="view" value="([^"]*)">/.exec(html)?.[1];
}

/** The kinds of message the status page offers: radio choices, or the one hidden kind. */
export function offeredKinds(html: string): string[] {
  const radios = [...html.matchAll(/<input type="radio" name="kind" value="(\w+)"/g)].map((m) => m[1]!);
  return radios.length ? radios : [...html.matchAll(/<input type="hidden" name="kind" value="(\w+)">/g)].map((m) => m[1]!);
}

/** The lead ids of a queue page, top first. */
export async function queueIds(agent: StaffAgent, query = ''): Promise<string[]> {
  const res = await agent.get(`/staff/leads${query}`);
  return [...res.body.matchAll(/<td><a href="\/staff\/leads\/(\d+)">/g)].map((m) => m[1]!);
}

/** One workflow step through the lead page's form, with the version it shows. */
export async function step(agent: StaffAgent, ta: TestApp, id: string, fields: Record<string, string>) {
  const res = await agent.post(`/staff/leads/${id}/status`, { version: String((await lead(ta, id)).version), ...fields });
  if (res.statusCode !== 303) throw new Error(`step ${JSON.stringify(fields)}: ${res.statusCode}`);
}

export async function conclude(agent: StaffAgent, ta: TestApp, id: string) {
  await step(agent, ta, id, { to: 'verifying' });
  await step(agent, ta, id, { to: 'investigating' });
  await step(agent, ta, id, { to: 'concluded', outcome: 'substantiated', publicUpdate: '经查属实，已责令退还所收费用。' });
}
