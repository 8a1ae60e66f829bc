import type { MessageKind } from '../db/schema.js';

// The conversation as the reporter sees it, shaped once for the status page (src/reports/service.ts)
// and the message routes (./service.ts). A leaf: it imports nothing but types.

/** One message as the reporter sees it: which side wrote it and when, never who on the staff. */
export interface ThreadEntry {
  kind: MessageKind;
  body: string;
  createdAt: Date;
  /** A question the reporter has not answered yet. */
  awaitingAnswer: boolean;
}

/** A report's messages, oldest first, as the reporter sees them (dates as Date or as JSON text). */
export function threadEntries(rows: { kind: MessageKind; body: string; created_at: Date | string; answered_at: Date | string | null }[]): ThreadEntry[] {
  return rows.map((m) => ({
    kind: m.kind,
    body: m.body,
    createdAt: new Date(m.created_at),
    awaitingAnswer: m.kind === 'question' && m.answered_at === null,
  }));
}
