import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UploadLimits } from '../../config.js';
import { HttpError } from '../../lib/errors.js';
import type { Translate } from '../../i18n/index.js';
import type { FieldError } from '../../lib/validation.js';
import { checkKinds, cleanUploads, UploadRejected, type CleanFile, type Upload } from '../../attachments/clean.js';
import { displayName } from '../../attachments/names.js';
import { multipartBoundary, PartHeaderWatch } from '../../attachments/part-headers.js';

// Reading a form that may carry files (multipart/form-data), with every limit enforced while the
// body streams in: no part is buffered beyond its limit, and the files' running total is checked
// chunk by chunk. Only the routes that take files register it (registerUploads), so every other
// route still answers a multipart body 415.

/** The field files are sent under, in the forms and the API. */
export const FILES_FIELD = 'files';

// The forms have a dozen fields; the description, 5,000 characters, is at most ~20 KB in UTF-8.
const MAX_FIELDS = 40;
const MAX_FIELD_BYTES = 64 * 1024;
// A browser sends two or three header lines per part, a few hundred bytes.
const PART_HEADERS = { maxLines: 20, maxBytes: 8 * 1024 };

export async function registerUploads(app: FastifyInstance): Promise<void> {
  // Size limits are checked by readUploadForm itself, to keep the fields read before the file.
  await app.register(multipart, { throwFileSizeLimit: false });
}

export interface UploadForm {
  /** The text fields, as parseFormBody gives them (a repeated field becomes an array). */
  fields: Record<string, unknown>;
  files: Upload[];
  /** A limit was passed: the files are dropped, the fields read until then are kept. */
  rejected: UploadRejected | null;
}

/**
 * The request's fields and files. A body that is not multipart (an urlencoded form, JSON) was parsed
 * already and comes back as the fields with no files. Past a limit (too many files, one too large,
 * too much in all) the files are dropped and `rejected` says why, with the fields read before it:
 * the forms put the file input last, so that is everything the reporter typed.
 */
export async function readUploadForm(request: FastifyRequest, reply: FastifyReply, limits: UploadLimits): Promise<UploadForm> {
  if (!request.isMultipart()) return { fields: (request.body ?? {}) as Record<string, unknown>, files: [], rejected: null };
  const fields: Record<string, string | string[]> = Object.create(null);
  const files: Upload[] = [];
  let total = 0;
  const parts = request.parts({
    limits: {
      files: limits.maxFiles,
      fileSize: limits.maxFileBytes,
      fields: MAX_FIELDS,
      fieldSize: MAX_FIELD_BYTES,
      parts: MAX_FIELDS + limits.maxFiles,
      fieldNameSize: 100,
      headerPairs: PART_HEADERS.maxLines,
      headerSize: PART_HEADERS.maxBytes,
    },
  });
  // The parser is piped to the request when the first part is asked for; the watch listens from
  // then on, to the same chunks (src/attachments/part-headers.ts).
  const iterator = parts[Symbol.asyncIterator]();
  const first = iterator.next();
  const boundary = multipartBoundary(request.headers['content-type']);
  const watch = boundary ? new PartHeaderWatch(boundary, PART_HEADERS) : null;
  const onData = (chunk: Buffer) => watch?.push(chunk);
  request.raw.on('data', onData);
  let rejected: UploadRejected | null = null;
  let read = 0;
  try {
    for (let next = await first; !next.done; next = await iterator.next()) {
      const part = next.value;
      read += 1;
      if (watch?.tooLarge) throw new HttpError(400);
      if (part.type === 'field') {
        // A field cut at its limit is not what was typed: refuse the body rather than store a piece.
        if (part.valueTruncated || part.fieldnameTruncated) throw new HttpError(413);
        const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
        const prev = fields[part.fieldname];
        fields[part.fieldname] = prev === undefined ? value : [prev, value].flat();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > limits.maxTotalBytes) {
          rejected = new UploadRejected('total');
          break;
        }
        chunks.push(chunk);
      }
      if (!rejected && part.file.truncated) rejected = new UploadRejected('size', displayName(part.filename, '—'));
      if (rejected) break;
      const bytes = Buffer.concat(chunks);
      // A file input left empty is still sent, as a part with no name and no bytes.
      if (part.fieldname === FILES_FIELD && (bytes.length > 0 || part.filename !== '')) files.push({ name: part.filename, bytes });
    }
  } catch (err) {
    if (err instanceof request.server.multipartErrors.FilesLimitError) rejected = new UploadRejected('count');
    else if (err instanceof HttpError || (err as { statusCode?: number }).statusCode) throw err;
    else throw new HttpError(400);
  } finally {
    request.raw.off('data', onData);
  }
  if (watch?.tooLarge) throw new HttpError(400);
  // A part the parser could not read (it skips it) is a file the reporter believes they sent.
  if (!rejected && watch && (watch.malformed || watch.parts > read)) rejected = new UploadRejected('unreadable');
  if (rejected) await discardRest(request, reply, limits.maxTotalBytes);
  return { fields, files: rejected ? [] : files, rejected };
}

/**
 * After a limit, the rest of the body is read and thrown away, so that the browser, still sending,
 * gets the answer rather than a reset connection; past `bound` more bytes the connection is closed.
 */
function discardRest(request: FastifyRequest, reply: FastifyReply, bound: number): Promise<void> {
  const raw = request.raw;
  raw.unpipe();
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= bound) return;
      raw.pause();
      reply.header('connection', 'close');
      done();
    };
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('close', done);
    raw.resume();
  });
}

/** The first problem with the files that shows without decoding them: a limit passed, or a kind. */
export async function uploadProblem(form: UploadForm): Promise<UploadRejected | null> {
  if (form.rejected) return form.rejected;
  return checkKinds(form.files).then(
    () => null,
    (err: unknown) => {
      if (err instanceof UploadRejected) return err;
      throw err;
    },
  );
}

/** The files cleaned of their metadata, or why one of them cannot be. */
export async function cleanOrReject(files: Upload[]): Promise<CleanFile[] | UploadRejected> {
  try {
    return await cleanUploads(files);
  } catch (err) {
    if (err instanceof UploadRejected) return err;
    throw err;
  }
}

const MB = 1024 * 1024;

/** The file field's hint: how many files, how large, and whether files chosen before were dropped. */
export function uploadHint(limits: UploadLimits, dropped = false) {
  return { maxFiles: limits.maxFiles, maxFileMb: limits.maxFileBytes / MB, maxTotalMb: limits.maxTotalBytes / MB, dropped };
}

/** The message shown next to the file field (catalog errors.files.<problem>). */
export function uploadError(rejected: UploadRejected, t: Translate, limits: UploadLimits): FieldError {
  const code = `files.${rejected.problem}`;
  const params = { name: rejected.file ?? '', ...uploadHint(limits) };
  return { field: FILES_FIELD, code, message: t(`errors.${code}`, params) };
}
