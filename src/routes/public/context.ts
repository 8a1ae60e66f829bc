import type { Kysely } from 'kysely';
import type { Campaign } from '../../campaign/schema.js';
import type { UploadLimits } from '../../config.js';
import type { Database } from '../../db/schema.js';
import type { LeadRules } from '../../leads/deadlines.js';
import type { ReportInputSchema } from '../../reports/schema.js';
import type { ReportKeys } from '../../reports/service.js';

/** What the public routes are given (explicitly, rather than through decorators). */
export interface PublicContext {
  db: Kysely<Database>;
  keys: ReportKeys;
  reportSchema: ReportInputSchema;
  campaign: Campaign;
  publicUrl: string;
  rules: LeadRules;
  /** Files per submission and their sizes (src/routes/public/upload.ts). */
  uploads: UploadLimits;
  /** Seals stored attachments. */
  attachmentKey: Buffer;
}
