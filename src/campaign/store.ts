import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.js';
import { campaignSchema, type Campaign } from './schema.js';
import { deleteSettings, listSettings, upsertSetting } from './repository.js';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database>;

/** The top-level fields of the campaign file that admins edit in the staff UI. */
export const EDITABLE_FIELDS = ['hotlines', 'contact', 'office', 'villages', 'phases', 'deadlines', 'lookback'] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

export const isEditableField = (value: string): value is EditableField => (EDITABLE_FIELDS as readonly string[]).includes(value);

export interface FieldChange {
  username: string | null;
  updatedAt: Date;
}

/**
 * The campaign in force: the shipped file (config/campaign.json) with the fields admins changed
 * (table campaign_settings) laid over it.
 *
 * `live` is one object for the whole life of the app and is updated in place: the route contexts,
 * the views and `app.campaign` all hold it, so a change applies to the next request without
 * re-wiring anything. Whoever needs a campaign value reads it from `live` when it needs it and never
 * keeps a piece of it (`live.deadlines`, say) across requests. Re-read after each change made here
 * and every minute (src/plugins/jobs.ts) for changes made on another instance.
 */
export class CampaignStore {
  readonly live: Campaign;
  private changes = new Map<EditableField, FieldChange>();

  constructor(
    private readonly db: Db,
    readonly shipped: Campaign,
  ) {
    this.live = structuredClone(shipped);
  }

  /** Who last changed each field that differs from the shipped file. */
  get changed(): ReadonlyMap<EditableField, FieldChange> {
    return this.changes;
  }

  async refresh(): Promise<void> {
    const rows = await listSettings(this.db);
    let next: Campaign = structuredClone(this.shipped);
    const changes = new Map<EditableField, FieldChange>();
    for (const row of rows) {
      if (!isEditableField(row.field)) continue;
      // A stored value that the schema of a later release refuses falls back to the shipped value
      // for that field alone, rather than keeping the portal from starting.
      const parsed = campaignSchema.safeParse({ ...next, [row.field]: row.value });
      if (!parsed.success) continue;
      next = parsed.data;
      changes.set(row.field, { username: row.username, updatedAt: row.updated_at });
    }
    Object.assign(this.live, next);
    this.changes = changes;
  }

  /** Stores a field (already validated) and applies it; audited with the old and the new value. */
  async set<F extends EditableField>(actorId: string, field: F, value: Campaign[F]): Promise<void> {
    const checked = campaignSchema.parse({ ...this.live, [field]: value })[field];
    const old = this.live[field];
    if (JSON.stringify(old) === JSON.stringify(checked)) return;
    await this.db.transaction().execute(async (trx) => {
      await upsertSetting(trx, field, JSON.stringify(checked), actorId);
      await recordAudit(trx, { actorId, action: 'campaign.set', detail: { field, old, new: checked } });
    });
    await this.refresh();
  }

  /** Back to the shipped values, for the fields given; audited per field that had been changed. */
  async reset(actorId: string, fields: readonly EditableField[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const removed = await deleteSettings(trx, fields);
      for (const row of removed) {
        const field = row.field as EditableField;
        await recordAudit(trx, { actorId, action: 'campaign.reset', detail: { field, old: row.value, new: this.shipped[field] } });
      }
    });
    await this.refresh();
  }
}
