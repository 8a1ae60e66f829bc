import type { HouseholdFlagKind } from '../../db/schema-households.js';

// The register's flags: what each kind means is computed by the database (refreshFlags in
// ./repository.ts); each is shown with its reason in plain words (catalog households.flags.<kind>).

export const FLAG_KINDS = [
  'duplicate_id',
  'off_standard',
  'off_approved',
  'peer_difference',
  'paid_before_acceptance',
  'paid_without_acceptance',
  'proxy_payee',
  'not_posted',
  'posting_short',
  'archive_missing',
  'named_in_lead',
] as const satisfies readonly HouseholdFlagKind[];

export interface FlagSettings {
  /** campaign.register.postingMinDays: a posting shorter than this many days (both ends counted). */
  postingMinDays: number;
  /** The archive items every household's file must hold (campaign.register.archiveItems keys). */
  archiveItems: readonly string[];
}

