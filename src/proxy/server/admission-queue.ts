import { SluiceError } from '../../core/errors.js';

export interface AdmissionLimits {
  /** Extractions the server runs at once. */
  maxConcurrent: number;
  /** Extractions one identity runs at once. */
  maxPerIdentity: number;
  /** Requests that may wait for a slot; one more is refused at once. */
  maxQueued: number;
  /** How long a request waits for a slot before it is refused. */
  maxWaitMs: number;
}

/** Why a request was not admitted; the server answers 429 with `Retry-After`. */
export type AdmissionRefusal = 'queue_full' | 'wait_timeout';

interface Waiter {
  identity: string;
  queuedAt: number;
  admit: (release: () => void) => void;
  fail: (err: unknown) => void;
}

/**
 * Admission of extractions: a slot when both the server and the identity are under their limits,
 * else a bounded FIFO wait. A waiter whose identity is at its own limit is skipped, so it never
 * holds back other identities behind it. Refusals carry `http_status: 429` and `retry_after_s`.
 */
export class AdmissionQueue {
  readonly #limits: AdmissionLimits;
  readonly #perIdentity = new Map<string, number>();
  readonly #waiting: Waiter[] = [];
  #running = 0;
  /** Recent time a slot is held, smoothed, for `Retry-After`. */
  #holdS = 1;
  readonly #onWait: (seconds: number) => void;
  readonly #onRefuse: (reason: AdmissionRefusal) => void;

  constructor(
    limits: AdmissionLimits,
    hooks: { onWait?: (seconds: number) => void; onRefuse?: (reason: AdmissionRefusal) => void } = {},
  ) {
    this.#limits = limits;
    this.#onWait = hooks.onWait ?? (() => {});
    this.#onRefuse = hooks.onRefuse ?? (() => {});
  }

  /** Requests waiting now. */
  get depth(): number {
    return this.#waiting.length;
  }

  /** Slots held now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Resolves with the slot's release function once admitted. Rejects with `SOURCE_UNAVAILABLE`
   * (429) when the queue is full or the wait times out, or with the signal's reason when aborted
   * while waiting (the request then leaves the queue).
   */
  acquire(identity: string, subject: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    // Under both limits means every waiter is held by its own identity's limit: none is passed over.
    if (this.#fits(identity)) {
      this.#onWait(0);
      return Promise.resolve(this.#take(identity));
    }
    if (this.#waiting.length >= this.#limits.maxQueued) {
      this.#onRefuse('queue_full');
      return Promise.reject(
        this.#refusal(
          `The proxy is at capacity and ${this.#waiting.length} requests already wait (limit ${this.#limits.maxQueued}). Retry after the \`Retry-After\` seconds.`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        identity,
        queuedAt: Date.now(),
        admit: (release) => {
          settle();
          this.#onWait((Date.now() - waiter.queuedAt) / 1000);
          resolve(release);
        },
        fail: (err) => {
          settle();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#remove(waiter);
        this.#onRefuse('wait_timeout');
        const mine = this.#perIdentity.get(identity) ?? 0;
        waiter.fail(
          this.#refusal(
            mine >= this.#limits.maxPerIdentity
              ? `\`${subject}\` waited ${this.#limits.maxWaitMs} ms for one of its ${this.#limits.maxPerIdentity} extraction slots on this proxy. Retry when one of its extractions finishes.`
              : `The request waited ${this.#limits.maxWaitMs} ms for an extraction slot (limit ${this.#limits.maxConcurrent} at once). Retry after the \`Retry-After\` seconds.`,
          ),
        );
      }, this.#limits.maxWaitMs);
      const onAbort = () => {
        this.#remove(waiter);
        waiter.fail(signal.reason);
      };
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #fits(identity: string): boolean {
    return (
      this.#running < this.#limits.maxConcurrent &&
      (this.#perIdentity.get(identity) ?? 0) < this.#limits.maxPerIdentity
    );
  }

  #take(identity: string): () => void {
    this.#running += 1;
    this.#perIdentity.set(identity, (this.#perIdentity.get(identity) ?? 0) + 1);
    const since = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running -= 1;
      const n = (this.#perIdentity.get(identity) ?? 1) - 1;
      if (n <= 0) this.#perIdentity.delete(identity);
      else this.#perIdentity.set(identity, n);
      this.#holdS = 0.8 * this.#holdS + 0.2 * ((Date.now() - since) / 1000);
      this.#dispatch();
    };
  }

  /** Admits waiters in arrival order, skipping those whose identity is at its limit. */
  #dispatch(): void {
    for (let i = 0; i < this.#waiting.length && this.#running < this.#limits.maxConcurrent; ) {
      const waiter = this.#waiting[i] as Waiter;
      if (!this.#fits(waiter.identity)) {
        i += 1;
        continue;
      }
      this.#waiting.splice(i, 1);
      waiter.admit(this.#take(waiter.identity));
    }
  }

  #remove(waiter: Waiter): void {
    const at = this.#waiting.indexOf(waiter);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  #refusal(message: string): SluiceError {
    // Time for the queue ahead to drain through the server's slots, at the recent hold time.
    const ahead = this.#waiting.length + 1;
    const retryAfterS = Math.max(
      1,
      Math.min(3600, Math.ceil((this.#holdS * ahead) / this.#limits.maxConcurrent)),
    );
    return new SluiceError('SOURCE_UNAVAILABLE', message, {
      context: { http_status: 429, retry_after_s: retryAfterS },
    });
  }
}
