import type { StaffRole } from '../db/schema.js';

// Who may do what on the staff side: the one table the server enforces. src/routes/staff/index.ts
// gives every staff route its roles from ROUTE_ACCESS when the route is registered, and refuses to
// start with a route missing here, so a new route is denied until someone decides. The tests walk
// every route × every role against this table (test/routes/staff/access.test.ts).

const ADMIN = ['admin'] as const;
const HANDLERS = ['admin', 'investigator'] as const;
const READERS = ['admin', 'investigator', 'viewer'] as const;
const RECORDERS = ['admin', 'investigator', 'clerk'] as const;
const EVERYONE = ['admin', 'investigator', 'clerk', 'viewer'] as const;

/** Reachable without a session: the login form only. */
export const PUBLIC = 'public';

export type RouteAccess = readonly StaffRole[] | typeof PUBLIC;

/** `METHOD /path` (HEAD as GET) → the roles that get past the door. */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  'GET /staff/login': PUBLIC,
  'POST /staff/login': PUBLIC,
  // The one-time link that creates the first admin (loopback only, src/staff/setup.ts).
  'GET /staff/setup/:token': PUBLIC,
  'POST /staff/setup/:token': PUBLIC,
  'POST /staff/logout': EVERYONE,
  'GET /staff/login/code': EVERYONE,
  'POST /staff/login/code': EVERYONE,
  'GET /staff/2fa': EVERYONE,
  'POST /staff/2fa': EVERYONE,
  'GET /staff': EVERYONE,

  // The queue and the leads. Investigators open every lead, assigned to them or not: the committee
  // triages one queue together. What a lead holds about its reporter follows LEAD_ACCESS below.
  'GET /staff/leads': READERS,
  'GET /staff/leads/:id': READERS,
  'POST /staff/leads/:id/status': HANDLERS,
  'POST /staff/leads/:id/assign': HANDLERS,
  'POST /staff/leads/:id/priority': HANDLERS,
  'POST /staff/leads/:id/note': HANDLERS,
  'POST /staff/leads/:id/merge': HANDLERS,
  'POST /staff/leads/:id/verify': HANDLERS,
  'POST /staff/leads/:id/feedback': HANDLERS,
  'POST /staff/leads/:id/question': HANDLERS,
  'POST /staff/leads/:id/handled': HANDLERS,
  'POST /staff/leads/:id/problem': HANDLERS,
  'GET /staff/leads/:id/households': HANDLERS,
  'POST /staff/leads/:id/households': HANDLERS,
  'POST /staff/leads/:id/households/:householdId/unlink': HANDLERS,
  // Past the door, LEAD_ACCESS decides (and a refusal is audited).
  'POST /staff/leads/:id/reveal': READERS,
  'GET /staff/leads/:id/attachments/:attachmentId': EVERYONE,
  'GET /staff/intake': RECORDERS,
  'POST /staff/intake': RECORDERS,
  'GET /staff/statistics': READERS,
  'GET /staff/dashboard': READERS,

  // The campaign office: problem lists, filings, the look-back, typical cases.
  'GET /staff/problems': EVERYONE,
  'GET /staff/problems/new': RECORDERS,
  'POST /staff/problems': RECORDERS,
  'GET /staff/problems/:id': EVERYONE,
  'POST /staff/problems/:id/progress': RECORDERS,
  'GET /staff/problems/filings': EVERYONE,
  'GET /staff/problems/filings/new': RECORDERS,
  'POST /staff/problems/filings': RECORDERS,
  'GET /staff/problems/print': EVERYONE,
  'GET /staff/problems/export.xlsx': EVERYONE,
  'GET /staff/problems/export.csv': EVERYONE,
  'GET /staff/lookback': HANDLERS,
  'POST /staff/lookback': HANDLERS,
  'GET /staff/lookback/:id': HANDLERS,
  'POST /staff/lookback/:id/assign': HANDLERS,
  'POST /staff/lookback/items/:id/finding': HANDLERS,
  'GET /staff/cases': HANDLERS,
  'POST /staff/cases': HANDLERS,
  'GET /staff/cases/:id': HANDLERS,
  'POST /staff/cases/:id': HANDLERS,
  'POST /staff/cases/:id/approve': HANDLERS,
  'POST /staff/cases/:id/unpublish': HANDLERS,

  // The household register. Everyone reads it (ID numbers masked); the full ID number and clearing
  // a flag are for admins and investigators, with a note, on the record.
  'GET /staff/households': EVERYONE,
  'GET /staff/households/import': RECORDERS,
  'GET /staff/households/import/sample.:ext': RECORDERS,
  'POST /staff/households/import': RECORDERS,
  'POST /staff/households/import/:id/commit': RECORDERS,
  'POST /staff/households/import/:id/discard': RECORDERS,
  'GET /staff/households/:id': EVERYONE,
  'GET /staff/households/overview': EVERYONE,
  'GET /staff/households/report': EVERYONE,
  'GET /staff/households/export.csv': EVERYONE,
  'GET /staff/households/export.xlsx': EVERYONE,
  // The one export with full ID numbers (issue 12): admins only, with a reason on the record.
  'POST /staff/households/export/unmasked': ADMIN,
  'GET /staff/households/new': RECORDERS,
  'GET /staff/households/standards': ADMIN,
  'POST /staff/households/standards': ADMIN,
  'POST /staff/households/standards/:id/remove': ADMIN,
  'POST /staff/households': RECORDERS,
  'GET /staff/households/:id/edit': RECORDERS,
  'POST /staff/households/:id': RECORDERS,
  'POST /staff/households/:id/reveal': HANDLERS,
  'POST /staff/households/:id/flags/:flagId/clear': HANDLERS,
  // Re-checks (复核复查) and the yearly spot check: admins draw; those who enter the register's
  // data record a re-check's result (which may add a problem-list row, as they may anyway);
  // everyone reads, prints the sheet and takes the XLSX, where ID numbers are masked.
  'GET /staff/rechecks': EVERYONE,
  'GET /staff/rechecks/new': ADMIN,
  'POST /staff/rechecks': ADMIN,
  'GET /staff/rechecks/:id': EVERYONE,
  'GET /staff/rechecks/:id/sheet': EVERYONE,
  'GET /staff/rechecks/:id/export.xlsx': EVERYONE,
  'POST /staff/rechecks/items/:id': RECORDERS,

  // Settings and accounts.
  'GET /staff/users': ADMIN,
  'POST /staff/users': ADMIN,
  'POST /staff/users/:id/disable': ADMIN,
  'POST /staff/users/:id/enable': ADMIN,
  'POST /staff/users/:id/unlock': ADMIN,
  'POST /staff/users/:id/password': ADMIN,
  'POST /staff/users/:id/2fa/reset': ADMIN,
  'POST /staff/settings/2fa': ADMIN,
  'GET /staff/audit': ADMIN,
  'GET /staff/calendar': ADMIN,
  'POST /staff/calendar': ADMIN,
  'POST /staff/calendar/remove': ADMIN,
  'GET /staff/campaign': ADMIN,
  'POST /staff/campaign/:field': ADMIN,
  'POST /staff/campaign/:field/reset': ADMIN,
  'POST /staff/campaign/reset': ADMIN,
};

/** The access of a route as registered; undefined when the table does not list it. */
export function routeAccess(method: string, url: string): RouteAccess | undefined {
  // Fastify registers the prefix's own route as /staff and /staff/.
  return ROUTE_ACCESS[`${method === 'HEAD' ? 'GET' : method} ${url.length > 1 ? url.replace(/\/$/, '') : url}`];
}

/**
 * What a lead holds that may name its reporter (a real-name identity, the files they sent) is
 * need-to-know: admins always, an investigator only on a lead assigned to them, other roles never.
 */
export const LEAD_ACCESS = {
  identity: { always: ADMIN, whenAssigned: ['investigator'] },
  attachments: { always: ADMIN, whenAssigned: ['investigator'] },
} as const satisfies Record<string, { always: readonly StaffRole[]; whenAssigned: readonly StaffRole[] }>;

/** The staff member acting, as the service functions that apply LEAD_ACCESS take them (a StaffSession will do). */
export interface Actor {
  userId: string;
  role: StaffRole;
}

export function mayOnLead(what: keyof typeof LEAD_ACCESS, staff: Actor, assigneeId: string | null): boolean {
  const rule = LEAD_ACCESS[what];
  return (rule.always as readonly StaffRole[]).includes(staff.role) || ((rule.whenAssigned as readonly StaffRole[]).includes(staff.role) && assigneeId === staff.userId);
}
