import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/service.js';
import type { AttachmentMime, Database } from '../db/schema.js';
import { sealBytes, unsealBytes } from '../lib/seal.js';
import { mayOnLead, type Actor } from '../staff/access.js';
import type { CleanFile } from './clean.js';
import { KINDS } from './kinds.js';
import { contentDisposition, downloadName } from './names.js';
import { findAttachment, insertAttachments } from './repository.js';

/** Files to store, already cleaned (clean.ts), and the key that seals them. */
export interface FilesToStore {
  key: Buffer;
  files: readonly CleanFile[];
}

/**
 * Stores cleaned files with a report or one of its messages, each sealed under the attachment key.
 * Takes the transaction that stores the report or message, so that both are committed together or
 * not at all.
 */
export async function storeAttachments(
  trx: Transaction<Database>,
  reportId: string,
  messageId: string | null,
  { key, files }: FilesToStore,
): Promise<void> {
  await insertAttachments(
    trx,
    files.map((f) => ({
      report_id: reportId,
      message_id: messageId,
      display_name: f.name,
      mime: f.mime,
      size_bytes: f.bytes.length,
      sha256: f.sha256,
      sealed: sealBytes(key, f.bytes),
    })),
  );
}

/** What a download sends: the stored type, a safe file name header, and the opened bytes. */
export interface OpenedAttachment {
  mime: string;
  disposition: string;
  bytes: Buffer;
}

/** Opens a sealed attachment row (repository findAttachment). */
function unsealAttachment(key: Buffer, row: { id: string; display_name: string; mime: AttachmentMime; sha256: Buffer; sealed: Buffer }): OpenedAttachment {
  const bytes = unsealBytes(key, row.sealed);
  // GCM already proves the bytes are the ones sealed; the digest ties them to this row as well.
  if (!createHash('sha256').update(bytes).digest().equals(row.sha256)) throw new Error(`attachment ${row.id}: digest mismatch`);
  return { mime: row.mime, disposition: contentDisposition(downloadName(row.display_name, KINDS[row.mime])), bytes };
}

/**
 * A staff member opens one file of a lead, as a download or an image preview. Files may show who
 * the reporter is, so they are need-to-know (src/staff/access.ts, LEAD_ACCESS): anyone else gets
 * null, as for a file that does not exist, and the attempt is on the record all the same. Each
 * opening is one audit row, written once the file opened (no transaction needed for one row).
 */
export async function openAttachment(
  db: Kysely<Database>,
  key: Buffer,
  staff: Actor,
  leadId: string,
  attachmentId: string,
  how: { preview: boolean },
): Promise<OpenedAttachment | null> {
  const row = await findAttachment(db, leadId, attachmentId);
  if (!row) return null;
  if (!mayOnLead('attachments', staff, row.assignee_id)) {
    await recordAudit(db, { actorId: staff.userId, action: 'attachment.denied', reportId: leadId, detail: { attachmentId } });
    return null;
  }
  const file = unsealAttachment(key, row);
  await recordAudit(db, { actorId: staff.userId, action: 'attachment.download', reportId: leadId, detail: { attachmentId, preview: how.preview } });
  return file;
}
