import { chinaDate } from '../../calendar/work-calendar.js';
import { findingsOfLead } from '../../lookback/repository.js';
import { findLinkableRows, findRowsOfLead } from '../../problems/repository.js';
import { leadYieldsProblem } from '../../problems/service.js';
import { CATEGORIES } from '../../reports/schema.js';
import type { StaffSession } from '../../staff/service.js';
import type { StaffContext } from './context.js';

/** The lead page's problem-list part: rows made from it, look-back findings, and the one-action form. */
export async function leadProblemsView(
  ctx: StaffContext,
  staff: StaffSession,
  lead: { id: string; village: string | null; category: string; status: string; outcome: string | null },
  values: Record<string, unknown>,
) {
  const today = chinaDate(new Date());
  const canCreate = (staff.role === 'admin' || staff.role === 'investigator') && leadYieldsProblem(lead);
  const village = typeof values.village === 'string' ? values.village : lead.village;
  const category = typeof values.category === 'string' ? values.category : lead.category;
  const [rows, findings, linkable] = await Promise.all([
    findRowsOfLead(ctx.db, lead.id),
    findingsOfLead(ctx.db, lead.id),
    canCreate && lead.village ? findLinkableRows(ctx.db, lead.village, lead.id) : Promise.resolve([]),
  ]);
  return {
    rows: rows.map((r) => ({ ...r, overdue: r.progress !== 'done' && r.deadline < today })),
    relapsed: findings.some((f) => f.finding === 'relapsed'),
    findings,
    canCreate,
    linkable,
    villages: ctx.campaign.villages.map((v) => ({ id: v.id, selected: v.id === village })),
    categories: CATEGORIES.map((c) => ({ id: c, selected: c === category })),
  };
}
