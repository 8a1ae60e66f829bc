import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HttpError } from '../../lib/errors.js';
import { DEFAULT_IMPORT_LIMITS, ImportFileError } from '../../households/import-file.js';
import { importIdSchema } from '../../households/schema.js';
import { commitPreviewedImport, discardImport, previewImport } from '../../households/service.js';
import type { StaffContext } from './context.js';

// The register's import (src/households/import-file.ts): a village's sheet uploaded, previewed with every
// row's problems, then committed all at once. The list and record page: ./households.ts.

const SAMPLES = fileURLToPath(new URL('../../../docs/samples/', import.meta.url));
const SAMPLE_TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

interface UploadedFile {
  name: string;
  bytes: Buffer;
  truncated: boolean;
}

export default async function householdImportRoutes(app: FastifyInstance, ctx: StaffContext) {
  // Import: a village's sheet, previewed with every row's problems, then committed all at once.
  const importPage = (request: FastifyRequest, reply: FastifyReply, view: Record<string, unknown> = {}) =>
    reply.page('staff/household-import', {
      title: request.t('households.import.title'),
      staff: request.staff,
      maxMb: DEFAULT_IMPORT_LIMITS.maxBytes / 1024 / 1024,
      maxRows: DEFAULT_IMPORT_LIMITS.maxRows,
      ...view,
    });

  app.get('/households/import', async (request, reply) => importPage(request, reply));

  app.get('/households/import/sample.:ext', async (request, reply) => {
    const ext = (request.params as { ext: string }).ext;
    if (ext !== 'csv' && ext !== 'xlsx') throw new HttpError(404);
    return reply
      .type(SAMPLE_TYPES[ext])
      .header('content-disposition', `attachment; filename="households-sample.${ext}"`)
      .send(await readFile(`${SAMPLES}households.${ext}`));
  });

  // The upload is the one staff form with a file: multipart in this scope only, the file read
  // whole (up to the limit) before the CSRF check reads the token beside it.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: DEFAULT_IMPORT_LIMITS.maxBytes + 1, files: 1, fields: 4, parts: 5, headerPairs: 20 },
      onFile: async (part) => {
        const bytes = await part.toBuffer();
        (part as unknown as { value: UploadedFile }).value = { name: part.filename, bytes, truncated: part.file.truncated };
      },
    });
    scope.post('/households/import', async (request, reply) => {
      const file = (request.body as { file?: UploadedFile } | undefined)?.file;
      const refuse = (error: ImportFileError) =>
        importPage(request, reply.code(400), { refused: request.t(error.messageKey, error.params ?? {}) });
      if (!file || typeof file !== 'object' || file.bytes.length === 0) return refuse(new ImportFileError('empty'));
      if (file.truncated) return refuse(new ImportFileError('tooLarge', { maxMb: DEFAULT_IMPORT_LIMITS.maxBytes / 1024 / 1024 }));
      const preview = await previewImport(ctx.db, ctx.householdKeys, ctx.campaign, request.staff!.userId, file);
      if (preview.kind === 'refused') return refuse(preview.error);
      if (preview.kind === 'problems') {
        return importPage(request, reply.code(400), {
          fileName: file.name,
          rows: preview.rows,
          more: preview.more,
          problems: preview.problems.map((p) => ({ ...p, message: request.t(p.code, p.params ?? {}) })),
        });
      }
      return importPage(request, reply, { fileName: file.name, rows: preview.rows, ready: preview.importId });
    });
  });

  app.post('/households/import/:id/commit', async (request, reply) => {
    const params = importIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    const summary = await commitPreviewedImport(ctx.db, ctx.householdKeys, ctx.campaign, request.staff!.userId, params.data.id);
    if (!summary) return importPage(request, reply.code(409), { refused: request.t('households.import.stale') });
    return importPage(request, reply, { committed: summary });
  });

  app.post('/households/import/:id/discard', async (request, reply) => {
    const params = importIdSchema.safeParse(request.params);
    if (!params.success) throw new HttpError(404);
    await discardImport(ctx.db, params.data.id);
    return reply.redirect('/staff/households/import', 303);
  });
}
