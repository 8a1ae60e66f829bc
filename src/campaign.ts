import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The deployment's own facts: hotline, office, villages, phases, deadlines. Shipped with the seed
// document's values (Gulu Town, 2023) as the example; validated once at start-up.

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const localizedSchema = z.object({ 'zh-CN': z.string().min(1), en: z.string().min(1) });
export type Localized = z.infer<typeof localizedSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

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
});

export type Campaign = z.infer<typeof campaignSchema>;

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
