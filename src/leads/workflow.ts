import type { ReportStatus } from '../db/schema.js';

// The lead workflow (checked on the server for every change):
//   received (待受理) → verifying (已受理·核查中) → investigating (调查中) → concluded (已办结)
//   received | verifying → not_accepted (不予受理, reason required)
//   received | verifying → transferred (已移交, recipient required)
// Merging a duplicate into another lead (merged) is its own action, not a transition here.

export const TRANSITIONS: Readonly<Record<ReportStatus, readonly ReportStatus[]>> = {
  received: ['verifying', 'not_accepted', 'transferred'],
  verifying: ['investigating', 'not_accepted', 'transferred'],
  investigating: ['concluded'],
  concluded: [],
  not_accepted: [],
  transferred: [],
  merged: [],
};

export const OUTCOMES = ['substantiated', 'partly', 'unsubstantiated'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface TransitionInput {
  to: ReportStatus;
  /** Shown to the reporter on the status page. */
  publicUpdate?: string;
  outcome?: Outcome;
  reason?: string;
  transferredTo?: string;
}

export type TransitionProblem = { field: string; key: string };

/** Null when the change is allowed; otherwise which field is wrong and why (a catalog key). */
export function transitionProblem(from: ReportStatus, input: TransitionInput): TransitionProblem | null {
  if (!TRANSITIONS[from].includes(input.to)) return { field: 'to', key: 'errors.workflow.illegal' };
  if (input.to === 'not_accepted' && !input.reason) return { field: 'reason', key: 'errors.workflow.reasonRequired' };
  if (input.to === 'transferred' && !input.transferredTo) return { field: 'transferredTo', key: 'errors.workflow.recipientRequired' };
  if (input.to === 'concluded') {
    if (!input.outcome) return { field: 'outcome', key: 'errors.workflow.outcomeRequired' };
    if (!input.publicUpdate) return { field: 'publicUpdate', key: 'errors.workflow.publicUpdateRequired' };
  }
  return null;
}

export function isOpen(status: ReportStatus): boolean {
  return TRANSITIONS[status].length > 0;
}
