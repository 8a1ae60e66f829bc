import type { Kysely } from 'kysely';
import type { CampaignStore } from '../../campaign/store.js';
import type { Campaign } from '../../campaign/schema.js';
import type { CalendarStore } from '../../calendar/store.js';
import type { StaffSettings } from '../../config.js';
import type { Database, StaffRole } from '../../db/schema.js';
import type { IdKeys } from '../../households/id-number.js';
import type { LeadRules } from '../../leads/service.js';
import type { ReportInputSchema } from '../../reports/schema.js';
import type { ReportKeys } from '../../reports/service.js';
import type { SessionStage, StaffSession } from '../../staff/service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (the login page only); set from src/staff/access.ts. */
    public?: boolean;
    /** Roles allowed; set from src/staff/access.ts. */
    roles?: readonly StaffRole[];
    /** Session stages allowed (src/staff/service.ts SessionStage); without the list, 'full' only. */
    stages?: readonly SessionStage[];
  }
  interface FastifyRequest {
    staff: StaffSession | null;
  }
}

export interface StaffContext {
  db: Kysely<Database>;
  /** Seal and hash the register's ID numbers (src/households/id-number.ts). */
  householdKeys: IdKeys;
  /** The portal's own address (PUBLIC_URL): a change whose Origin is another is refused. */
  publicUrl: string;
  rules: LeadRules;
  /** The working-day calendar in force, which admins extend. */
  calendar: CalendarStore;
  /** Opens a real-name reporter's sealed identity (the reveal action only). */
  identityKey: Buffer;
  /** For leads clerks record: the public form's schema, keys and campaign. */
  reportSchema: ReportInputSchema;
  reportKeys: ReportKeys;
  campaign: Campaign;
  /** The campaign settings admins edit (campaign is its live object). */
  campaignStore: CampaignStore;
  /** Seals staff members' TOTP secrets. */
  totpKey: Buffer;
  /** Opens reporters' attachments (the download route only). */
  attachmentKey: Buffer;
  settings: StaffSettings;
  secureCookies: boolean;
}
