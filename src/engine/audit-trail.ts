import { createHash } from 'node:crypto';
import { SluiceError } from '../core/errors.js';
import type { SluiceEvent } from '../core/events.js';
import type { AuditEventInput } from '../evidence/audit-event.js';
import { AuditLog } from '../evidence/audit-log.js';
import type { AuthenticationEvent } from '../identity/authentication-event.js';

/**
 * Turns a run's events into audit records on the hash-chained log. Appends are queued in order;
 * a failed append fails the run (an access that cannot be audited does not happen), which is why
 * the engine awaits `flush()` before it reads data and again before it commits.
 */
export class AuditTrail {
  readonly #log: AuditLog;
  readonly path: string;
  #failure: unknown;
  readonly #open = new Map<string, { connection: string; started: number; rows: number; bytes: number }>();

  private constructor(log: AuditLog, path: string) {
    this.#log = log;
    this.path = path;
  }

  static async open(path: string): Promise<AuditTrail> {
    return new AuditTrail(await AuditLog.open(path), path);
  }

  #append(event: AuditEventInput): void {
    this.#log.append(event).catch((err: unknown) => {
      this.#failure ??= err;
    });
  }

  authentication(event: AuthenticationEvent, runId: string): void {
    this.#append({
      kind: 'authentication',
      subject: event.subject ?? event.identity?.subject ?? null,
      method: event.method,
      outcome: event.outcome,
      run_id: runId,
      ...(event.reason === undefined ? {} : { reason: event.reason }),
      ...(event.issuer === undefined ? {} : { issuer: event.issuer }),
      ...(event.identity === undefined ? {} : { identity: event.identity }),
    });
  }

  /** Appends a record that is not derived from run events (decisions, admin actions). */
  record(event: AuditEventInput): void {
    this.#append(event);
  }

  readonly listener = (event: SluiceEvent): void => {
    switch (event.type) {
      case 'run_started':
        this.#append({
          kind: 'run_started',
          run_id: event.run_id,
          pipeline: { name: event.pipeline.name, sha256: event.pipeline.sha256, path: event.pipeline.path },
          identity: event.identity,
          ...(event.pipeline.purpose === undefined ? {} : { purpose: event.pipeline.purpose }),
          sluice_version: event.sluice_version,
          host: event.host,
        });
        break;
      case 'decision':
        this.#append({
          kind: 'decision',
          run_id: event.run_id,
          source: event.source,
          identity: event.identity,
          purpose: event.purpose,
          connection: event.connection,
          relations: event.relations,
          columns: event.columns,
          verdict: event.verdict,
          reasons: event.reasons.map((r) => `${r.rule}: ${r.message}`),
          policy_version: event.policy_version,
          masks: event.masks,
          query_sha256: event.query_sha256,
          ...(event.row_limit === undefined ? {} : { row_limit: event.row_limit }),
          ...(event.write === undefined ? {} : { write: event.write }),
        });
        break;
      case 'remote_decision':
        // The proxy server decided (and audited) this source; the client's log links to it.
        this.#append({
          kind: 'decision.remote',
          run_id: event.run_id,
          source: event.source,
          proxy: event.proxy,
          request_id: event.request_id,
          verdict: event.verdict,
          policy_version: event.policy_version,
          ...(event.policy_path === undefined ? {} : { policy_path: event.policy_path }),
          ...(event.matched_rule === undefined ? {} : { matched_rule: event.matched_rule }),
          ...(event.row_limit === undefined ? {} : { row_limit: event.row_limit }),
          mandatory_masks: event.mandatory_masks,
        });
        break;
      case 'sink_statement':
        this.#append({
          kind: 'sink.statement',
          run_id: event.run_id,
          connection: event.connection,
          table: event.table,
          step: event.step,
          statement: event.statement,
          ...(event.rows === undefined ? {} : { rows: event.rows }),
        });
        break;
      case 'drift_detected':
        this.#append({
          kind: 'drift.detected',
          run_id: event.run_id,
          source: event.source,
          column: event.column,
          data_kind: event.kind,
          ratio: event.ratio,
          rows: event.rows,
          action: event.action,
        });
        break;
      case 'source_opened':
        this.#open.set(event.source, {
          connection: event.connection,
          started: Date.now(),
          rows: 0,
          bytes: 0,
        });
        this.#append({
          kind: 'extraction_started',
          run_id: event.run_id,
          source: event.source,
          connection: event.connection,
          query_sha256: createHash('sha256').update(event.query).digest('hex'),
        });
        break;
      case 'rows_received': {
        const open = this.#open.get(event.source);
        if (open) {
          open.rows += event.rows;
          open.bytes += event.bytes;
        }
        break;
      }
      case 'source_finished':
        this.#open.delete(event.source);
        this.#append({
          kind: 'extraction_finished',
          run_id: event.run_id,
          source: event.source,
          rows: event.rows,
          bytes: event.bytes,
          duration_ms: event.duration_ms,
          outcome: 'succeeded',
        });
        break;
      case 'run_finished': {
        const outcome = event.status;
        for (const [source, open] of this.#open) {
          this.#append({
            kind: 'extraction_finished',
            run_id: event.run_id,
            source,
            connection: open.connection,
            rows: open.rows,
            bytes: open.bytes,
            duration_ms: Date.now() - open.started,
            outcome,
          });
        }
        this.#open.clear();
        this.#append({
          kind: 'run_finished',
          run_id: event.run_id,
          status: outcome,
          duration_ms: event.duration_ms,
          rows_written: event.rows_written,
        });
        break;
      }
      default:
        break;
    }
  };

  /** Waits until everything queued is on disk; throws if any append failed. */
  async flush(): Promise<void> {
    await this.#log.flush();
    if (this.#failure !== undefined) {
      throw new SluiceError(
        'SINK_FAILED',
        `The audit log \`${this.path}\` could not be written, so the run stops: ${(this.#failure as Error).message}`,
        {
          cause: this.#failure,
          context: { audit_log: this.path },
        },
      );
    }
  }

  head(): string | null {
    return this.#log.head();
  }

  async close(): Promise<void> {
    await this.#log.close().catch(() => undefined);
  }
}
