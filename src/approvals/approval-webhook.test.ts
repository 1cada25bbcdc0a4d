import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalState } from './approval-state.js';
import { isSlackWebhook, notifyWebhook, webhookPayload } from './approval-webhook.js';
import { access, requester, requirement } from './test-request.js';

const state: ApprovalState = {
  id: 'apr_0123456789ab',
  key: 'k',
  status: 'pending',
  access: access(),
  requirement: requirement(),
  requester,
  requested_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-02T00:00:00.000Z',
  decisions: [],
  approvers: [],
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function listen(status: number): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    bodies.push(JSON.parse(text));
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

describe('notifyWebhook', () => {
  it('posts the request as generic JSON without warnings', async () => {
    const { url, bodies } = await listen(204);
    const warnings: string[] = [];
    await notifyWebhook(url, 'approval.requested', state, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(bodies).toEqual([
      expect.objectContaining({
        event: 'approval.requested',
        approval_id: state.id,
        source: 'customers',
        requester: 'dana',
        approver_groups: ['stewards'],
      }),
    ]);
  });

  it('only warns when the receiver fails or cannot be reached', async () => {
    const { url } = await listen(500);
    const warnings: string[] = [];
    await notifyWebhook(url, 'approval.denied', state, { by: 'alice', warn: (m) => warnings.push(m) });
    await notifyWebhook('http://127.0.0.1:1/none', 'approval.denied', state, {
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('HTTP 500');
    expect(warnings.join(' ')).not.toContain('127.0.0.1');
  });

  it('recognises Slack webhook URLs, which get a `{ text }` body naming the request and the command', () => {
    const slack = 'https://hooks.slack.com/services/T0/B0/xyz';
    expect(isSlackWebhook(slack)).toBe(true);
    expect(isSlackWebhook('https://example.com/hooks.slack.com')).toBe(false);
    const body = webhookPayload(slack, 'approval.requested', state) as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain(`pipeline approve ${state.id}`);
    expect(body.text).toContain('`customers`');
    const denied = webhookPayload(slack, 'approval.denied', state, 'alice', 'too broad') as { text: string };
    expect(denied.text).toContain('denied by alice: too broad');
  });
});
