import { z } from 'zod';
import { parseCode } from '../lib/codes.js';
import { seal, unseal } from '../lib/seal.js';

// The receipt page in the other language. The code is shown in the submission's response only and
// never enters a URL, so the language switch there is a small form: it posts back what the page
// shows, sealed under a key of its own (AES-GCM: nobody can forge or read it, the server keeps
// nothing), for an hour. Opening it proves nothing about any report and looks nothing up.

const TTL_MS = 60 * 60_000;

const receiptSchema = z.object({
  code: z.string(),
  submittedAt: z.string(),
  replayed: z.boolean(),
  files: z.array(z.string()).max(50),
  expires: z.number(),
});

export type ReceiptView = Omit<z.infer<typeof receiptSchema>, 'expires'>;

export function sealReceipt(key: Buffer, view: ReceiptView, now = Date.now()): string {
  return seal(key, JSON.stringify({ ...view, expires: now + TTL_MS })).toString('base64url');
}

/** The receipt sealed by sealReceipt, or null when it is not one, was altered, or has expired. */
export function openReceipt(key: Buffer, sealed: string, now = Date.now()): ReceiptView | null {
  if (!/^[\w-]{40,4000}$/.test(sealed)) return null;
  try {
    const parsed = receiptSchema.safeParse(JSON.parse(unseal(key, Buffer.from(sealed, 'base64url'))));
    if (!parsed.success || parsed.data.expires < now || !parseCode(parsed.data.code).ok) return null;
    const { expires: _expires, ...view } = parsed.data;
    return view;
  } catch {
    return null;
  }
}
