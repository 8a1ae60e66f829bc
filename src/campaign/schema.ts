import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The deployment's own facts: hotline, office, villages, phases, deadlines. Shipped with the seed
// document's values (Gulu Town, 2023) as the example; validated once at start-up.

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const localizedSchema = z.object({ 'zh-CN': z.string().min(1), en: z.string().min(1) });
export type Localized = z.infer<typeof localizedSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

const registerList = z
  .array(z.object({ key: z.string().regex(/^[a-z0-9_]{1,40}$/), name: localizedSchema, aliases: z.array(z.string().min(1).max(40)).default([]) }))
  .min(1)
  .refine((items) => new Set(items.map((i) => i.key)).size === items.length, 'keys must be unique');
export type RegisterListItem = z.infer<typeof registerList>[number];

const item = (key: string, zh: string, en: string, aliases: string[] = []) => ({ key, name: { 'zh-CN': zh, en }, aliases });

/** The seed document's lists (整治措施 (一)(二)), used when a campaign file has no register section. */
export const DEFAULT_REGISTER = {
  householdTypes: [
    item('registered_poor', '建档立卡贫困户', 'Registered poor household', ['建档立卡户', '贫困户']),
    item('dibao', '低保户', 'Minimum-living-allowance household', ['低保']),
    item('tekun', '分散供养特困人员', 'Scattered-support extreme-poverty person', ['特困人员', '特困户', '五保户']),
    item('poor_disabled', '贫困残疾人家庭', 'Poor household with a disabled member', ['残疾人家庭', '贫困残疾户']),
    item('at_risk', '边缘易致贫户', 'Household at risk of poverty', ['边缘户', '易致贫户']),
    item('other', '其他', 'Other', ['其它']),
  ],
  methods: [
    item('rebuild', '拆除重建', 'Demolished and rebuilt', ['重建', '拆旧建新']),
    item('repair', '修缮加固', 'Repaired and reinforced', ['加固', '维修加固', '修缮']),
    item('replace', '置换', 'Replacement housing', ['置换安置']),
    item('other', '其他', 'Other', ['其它']),
  ],
  archiveItems: [
    item('application', '申请', 'Application', ['申请书', '农户申请']),
    item('appraisal', '鉴定', 'Danger appraisal', ['危房鉴定', '鉴定报告']),
    item('approval', '审批', 'Approval', ['审批表', '审核审批']),
    item('acceptance', '验收', 'Acceptance', ['竣工验收', '验收表']),
    item('payment_voucher', '拨付凭证', 'Payment voucher', ['拨付', '资金拨付凭证', '发放凭证']),
  ],
  postingMinDays: 7,
  recheck: { ratePercent: 1, minimumPerVillage: 1 },
};

export const campaignSchema = z.object({
  name: localizedSchema,
  authority: localizedSchema,
  hotlines: z
    .array(z.object({ label: localizedSchema, number: z.string().regex(/^[\d\s-]{5,20}$/, 'digits, spaces and dashes') }))
    .min(1),
  contact: localizedSchema,
  office: z.object({ address: localizedSchema, hours: localizedSchema }),
  villages: z
    .array(z.object({ id: z.string().regex(/^[a-z0-9-]{1,40}$/), name: localizedSchema }))
    .min(1)
    .refine((vs) => new Set(vs.map((v) => v.id)).size === vs.length, 'village ids must be unique')
    .refine((vs) => vs.every((v) => v.id !== 'other'), '"other" is reserved'),
  phases: z.array(z.object({ name: localizedSchema, start: isoDate, end: isoDate, description: localizedSchema })).min(1),
  // Chinese practice: decide on acceptance within 15 working days; the EU directive's yardstick of
  // three months for feedback serves as the deadline for concluding an accepted lead.
  deadlines: z.object({
    acceptWorkingDays: z.number().int().min(1).max(90),
    concludeCalendarDays: z.number().int().min(1).max(365).default(90),
    /** A lead naming the town's own leadership goes to the next level up within this. */
    transferWorkingDays: z.number().int().min(1).max(30).default(5),
    /** A verified real-name reporter is told the outcome within this after conclusion. */
    feedbackWorkingDays: z.number().int().min(1).max(90).default(15),
  }),
  // The town's own leadership: a lead naming one of them cannot be handled by the town itself.
  leadership: z.array(z.object({ name: z.string().min(2).max(20), role: localizedSchema })).default([]),
  // The township, for the problem list's title (古路镇…问题清单).
  town: localizedSchema.optional(),
  // Look-back re-checks (回头看): the seed asks for at least 1% of cases and at least one.
  lookback: z
    .object({ ratePercent: z.number().gt(0).max(100).default(1), minimum: z.number().int().min(0).max(1000).default(1) })
    .default({ ratePercent: 1, minimum: 1 }),
  // The household register (对象户台账): the lists its records choose from, the public-posting
  // minimum, and the re-check draw (复核复查, at least 1%). Keys are stored; names are shown, and
  // names and aliases are what an import's cells may say.
  register: z
    .object({
      householdTypes: registerList,
      methods: registerList,
      archiveItems: registerList,
      postingMinDays: z.number().int().min(1).max(60),
      recheck: z.object({ ratePercent: z.number().gt(0).max(100), minimumPerVillage: z.number().int().min(0).max(1000) }),
    })
    .default(() => DEFAULT_REGISTER),
});

export type Campaign = z.infer<typeof campaignSchema>;
export type RegisterSettings = Campaign['register'];

export function loadCampaign(file: string): Campaign {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Campaign file ${file}: ${(err as Error).message}`);
  }
  const parsed = campaignSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`Campaign file ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The primary hotline, shown on every error page. */
export function primaryHotline(campaign: Campaign): string {
  return campaign.hotlines[0]!.number;
}
