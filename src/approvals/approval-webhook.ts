import type { ApprovalState } from './approval-state.js';

export type ApprovalEventKind = 'approval.requested' | 'approval.granted' | 'approval.denied';

/** The generic JSON body posted on a new request or a decision: names, counts and hashes only. */
export function webhookBody(kind: ApprovalEventKind, state: ApprovalState, by?: string, reason?: string) {
  return {
    event: kind,
    approval_id: state.id,
    status: state.status,
    source: state.access.source,
    connection: state.access.connection,
    purpose: state.access.purpose,
    relations: state.access.relations,
    requester: state.requester.subject,
    approver_groups: state.requirement.approver_groups,
    mode: state.requirement.mode,
    min_approvals: state.requirement.min_approvals,
    approvers: state.approvers,
    expires_at: state.expires_at,
    ...(by === undefined ? {} : { by }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** True for Slack incoming-webhook URLs, which take `{ text }`. */
export function isSlackWebhook(url: string): boolean {
  try {
    return new URL(url).hostname === 'hooks.slack.com';
  } catch {
    return false;
  }
}

function slackText(kind: ApprovalEventKind, state: ApprovalState, by?: string, reason?: string): string {
  const what = `\`${state.access.source}\` on \`${state.access.connection}\` for purpose \`${state.access.purpose}\``;
  if (kind === 'approval.requested')
    return `Approval request ${state.id} by ${state.requester.subject}: ${what}. Approve with \`pipeline approve ${state.id}\`.`;
  const verb =
    kind === 'approval.denied' ? 'denied' : state.status === 'granted' ? 'granted' : 'approved (more needed)';
  return `Approval request ${state.id} ${verb} by ${by ?? '?'}${reason ? `: ${reason}` : ''} (${what}).`;
}

/** The body for `url`: Slack's `{ text }` for a Slack webhook, else {@link webhookBody}. */
export function webhookPayload(
  url: string,
  kind: ApprovalEventKind,
  state: ApprovalState,
  by?: string,
  reason?: string,
): object {
  return isSlackWebhook(url)
    ? { text: slackText(kind, state, by, reason) }
    : webhookBody(kind, state, by, reason);
}

/**
 * Posts the event to the webhook. Never throws: a failed notification is reported through `warn`
 * and the approval flow goes on. Times out after `timeoutMs`.
 */
export async function notifyWebhook(
  url: string,
  kind: ApprovalEventKind,
  state: ApprovalState,
  options: { by?: string; reason?: string; warn: (message: string) => void; timeoutMs?: number },
): Promise<void> {
  const body = webhookPayload(url, kind, state, options.by, options.reason);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    await response.body?.cancel();
    if (!response.ok)
      options.warn(
        `The approvals webhook answered HTTP ${response.status}; the ${kind} notification was not delivered.`,
      );
  } catch (err) {
    options.warn(
      `The approvals webhook could not be reached (${(err as Error).name}); the ${kind} notification was not delivered.`,
    );
  }
}
