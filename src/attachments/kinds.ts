import type { AttachmentMime } from '../db/schema.js';

// The kinds of file accepted, decided from the bytes alone: a file's name and the type the browser
// declares are whatever the sender says, so neither is ever consulted.

export interface Kind {
  mime: AttachmentMime;
  /** The extension a download gets, whatever the name it was sent under. */
  extension: string;
  image: boolean;
}

export const KINDS: Record<AttachmentMime, Kind> = {
  'image/jpeg': { mime: 'image/jpeg', extension: 'jpg', image: true },
  'image/png': { mime: 'image/png', extension: 'png', image: true },
  'image/webp': { mime: 'image/webp', extension: 'webp', image: true },
  'application/pdf': { mime: 'application/pdf', extension: 'pdf', image: false },
};

// iPhone photos. The prebuilt libvips that sharp ships cannot decode HEVC, and the WASM decoder
// (heic-convert) keeps a decoded photo's worth of memory for good; iPhones convert to JPEG when a
// web form asks for images, so these are refused with a word on how to send them instead.
const HEIF = new Set(['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence', 'image/avif']);

export type Detected = { ok: true; kind: Kind } | { ok: false; problem: 'kind' | 'heic' };

export async function detectKind(bytes: Buffer): Promise<Detected> {
  // Loaded on the first file, as sharp and pdf-lib are (clean.ts).
  const { fileTypeFromBuffer } = await import('file-type');
  const type = await fileTypeFromBuffer(bytes);
  const kind = type ? KINDS[type.mime as AttachmentMime] : undefined;
  if (kind) return { ok: true, kind };
  return { ok: false, problem: type && HEIF.has(type.mime) ? 'heic' : 'kind' };
}
