import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../core/errors.js';
import { type AdmissionLimits, AdmissionQueue, type AdmissionRefusal } from './admission-queue.js';

const limits = (overrides: Partial<AdmissionLimits> = {}): AdmissionLimits => ({
  maxConcurrent: 2,
  maxPerIdentity: 2,
  maxQueued: 4,
  maxWaitMs: 5_000,
  ...overrides,
});
const live = () => new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 5));

/** Records the order in which requests are admitted. */
function tracker(queue: AdmissionQueue) {
  const admitted: string[] = [];
  const releases = new Map<string, () => void>();
  const ask = (name: string, identity: string, signal = live()) =>
    queue.acquire(identity, identity, signal).then((release) => {
      admitted.push(name);
      releases.set(name, release);
    });
  return { admitted, ask, release: (name: string) => releases.get(name)?.() };
}

async function refusal(promise: Promise<unknown>): Promise<SluiceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SluiceError);
  return err as SluiceError;
}

describe('the admission queue', () => {
  it('admits at once under the limits, then queues and admits in arrival order as slots free up', async () => {
    const queue = new AdmissionQueue(limits());
    const t = tracker(queue);
    await Promise.all([t.ask('a', 'x'), t.ask('b', 'y')]);
    const waiting = [t.ask('c', 'z'), t.ask('d', 'w')];
    await tick();
    expect(queue.depth).toBe(2);
    expect(t.admitted).toEqual(['a', 'b']);
    t.release('a');
    await tick();
    expect(t.admitted).toEqual(['a', 'b', 'c']);
    t.release('b');
    await Promise.all(waiting);
    expect(t.admitted).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.depth).toBe(0);
    expect(queue.running).toBe(2);
  });

  it('lets an identity at its own limit wait without holding back other identities', async () => {
    const queue = new AdmissionQueue(limits({ maxConcurrent: 3, maxPerIdentity: 1 }));
    const t = tracker(queue);
    await t.ask('greedy-1', 'greedy');
    const greedy2 = t.ask('greedy-2', 'greedy');
    await tick();
    expect(queue.depth).toBe(1);
    // Arrives after greedy-2 but is admitted at once: greedy-2 waits for its own identity only.
    await t.ask('other', 'other');
    expect(t.admitted).toEqual(['greedy-1', 'other']);
    t.release('greedy-1');
    await greedy2;
    expect(t.admitted).toEqual(['greedy-1', 'other', 'greedy-2']);
  });

  it('refuses with 429 and Retry-After when the queue is full', async () => {
    const refused: AdmissionRefusal[] = [];
    const queue = new AdmissionQueue(limits({ maxConcurrent: 1, maxQueued: 1 }), {
      onRefuse: (r) => refused.push(r),
    });
    const t = tracker(queue);
    await t.ask('a', 'x');
    void t.ask('b', 'y');
    const err = await refusal(queue.acquire('z', 'z', live()));
    expect(err.code).toBe('SOURCE_UNAVAILABLE');
    expect(err.context['http_status']).toBe(429);
    expect(err.context['retry_after_s']).toBeGreaterThanOrEqual(1);
    expect(err.message).toContain('limit 1');
    expect(refused).toEqual(['queue_full']);
    t.release('a');
  });

  it('refuses with 429 a request that waited longer than the maximum wait, and forgets it', async () => {
    const queue = new AdmissionQueue(limits({ maxConcurrent: 1, maxWaitMs: 30 }));
    const t = tracker(queue);
    await t.ask('a', 'x');
    const err = await refusal(queue.acquire('y', 'carol', live()));
    expect(err.context['http_status']).toBe(429);
    expect(err.message).toContain('waited 30 ms');
    expect(queue.depth).toBe(0);
    t.release('a');
    expect(queue.running).toBe(0);
  });

  it('drops a request whose client went away while it waited, so it never takes a slot', async () => {
    const queue = new AdmissionQueue(limits({ maxConcurrent: 1 }));
    const t = tracker(queue);
    await t.ask('a', 'x');
    const gone = new AbortController();
    const leaving = queue.acquire('y', 'y', gone.signal);
    const staying = t.ask('c', 'z');
    await tick();
    expect(queue.depth).toBe(2);
    gone.abort(new SluiceError('CANCELLED', 'The client disconnected.'));
    expect((await refusal(leaving)).code).toBe('CANCELLED');
    expect(queue.depth).toBe(1);
    t.release('a');
    await staying;
    expect(t.admitted).toEqual(['a', 'c']);
    expect(queue.running).toBe(1);
  });

  it('reports the wait of every admitted request', async () => {
    const waits: number[] = [];
    const queue = new AdmissionQueue(limits({ maxConcurrent: 1 }), { onWait: (s) => waits.push(s) });
    const t = tracker(queue);
    await t.ask('a', 'x');
    const b = t.ask('b', 'y');
    await new Promise((r) => setTimeout(r, 40));
    t.release('a');
    await b;
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThanOrEqual(0.03);
  });
});
