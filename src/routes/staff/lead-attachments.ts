import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KINDS } from '../../attachments/kinds.js';
import { listAttachments } from '../../attachments/repository.js';
import { openAttachment } from '../../attachments/service.js';
import { HttpError } from '../../lib/errors.js';
import { mayOnLead } from '../../staff/access.js';
import type { StaffSession } from '../../staff/service.js';
import type { StaffContext } from './context.js';


const TYPE_LABEL = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP', 'application/pdf': 'PDF' } as const;

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The lead page's list of files: how many to anyone; names, links and previews to those allowed —
 * photos of receipts and documents may show who the reporter is (src/staff/access.ts, LEAD_ACCESS).
 */
export async function attachmentsView(ctx: StaffContext, staff: StaffSession, lead: { id: string; assignee_id: string | null }) {
  const rows = await listAttachments(ctx.db, lead.id);
  const canOpen = mayOnLead('attachments', staff, lead.assignee_id);
  return {
    count: rows.length,
    canOpen,
    list: canOpen
      ? rows.map((r) => ({
          href: `/staff/leads/${lead.id}/attachments/${r.id}`,
          name: r.display_name,
          type: TYPE_LABEL[r.mime],
          size: size(r.size_bytes),
          image: KINDS[r.mime].image,
          withMessage: r.message_id !== null,
        }))
      : [],
  };
}

const paramsSchema = z.object({ id: z.string().regex(/^\d{1,18}$/), attachmentId: z.string().regex(/^\d{1,18}$/) });

// The file is always a download (the lead page's image previews use this route too: an <img>
// ignores Content-Disposition). Nothing in it runs in the portal's origin: the stored type, never
// sniffed, and a sandboxing CSP should a browser open it anyway.
const DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'cache-control': 'private, no-store',
  'cross-origin-resource-policy': 'same-origin',
};

export default async function leadAttachmentRoutes(app: FastifyInstance, ctx: StaffContext) {
  app.get('/leads/:id/attachments/:attachmentId', async (request, reply) => {
    const params = paramsSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const { id, attachmentId } = params.data;
    const preview = request.headers['sec-fetch-dest'] === 'image';
    // A file the viewer may not open gets the answer a missing file gets (src/attachments/service.ts).
    const file = await openAttachment(ctx.db, ctx.attachmentKey, request.staff!, id, attachmentId, { preview });
    if (!file) throw new HttpError(404);
    return reply.headers({ ...DOWNLOAD_HEADERS, 'content-type': file.mime, 'content-disposition': file.disposition }).send(file.bytes);
  });
}
