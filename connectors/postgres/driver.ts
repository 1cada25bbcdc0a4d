// The only file that imports the PostgreSQL driver; the connector uses the narrow interface below.
import { connect as netConnect } from 'node:net';
import type { Writable } from 'node:stream';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import { type CopyDataSink, CopyOutQuery } from './copy-out-query.js';

/** How to reach the server; built from the DSN secret and the TLS options. */
export interface PgConnectOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?:
    | false
    | {
        rejectUnauthorized: boolean;
        ca?: string;
        cert?: string;
        key?: string;
        servername?: string;
        checkServerIdentity?: () => undefined;
      };
  application_name: string;
  max: number;
  connectionTimeoutMillis: number;
}

/** A column of a result as the server describes it. */
export interface PgField {
  name: string;
  typeOid: number;
  typmod: number;
}

export interface PgQueryResult {
  fields: PgField[];
  /** Rows as arrays of text values (`null` for NULL); every value stays in PostgreSQL text format. */
  rows: (string | null)[][];
}

/** A session checked out of the pool. */
export interface PgSession {
  query(text: string, params?: unknown[]): Promise<PgQueryResult>;
  /** Opens a server-side cursor over `text` (rows as arrays of text values). */
  cursor(text: string): PgCursor;
  /** Runs `COPY ... TO STDOUT`; its data is read straight off the socket. */
  copyOut(text: string): PgCopyOut;
  /** A writable for `COPY ... FROM STDIN`; the COPY completes when the stream finishes. */
  copyIn(text: string): Writable;
  /** Asks the server to cancel the running statement (a CancelRequest on a separate socket). */
  cancel(): Promise<void>;
  /** Returns the session to the pool, or closes its connection when `destroy` is true. */
  release(destroy: boolean): void;
}

export interface PgCursor {
  /** The next `rows` rows; fewer (or none) once the result is exhausted. Rejects on any error. */
  read(rows: number): Promise<(string | null)[][]>;
}

export interface PgCopyOut {
  /**
   * Hands received COPY data to `sink` (ranges of the socket's chunks) until it returns false or
   * the received bytes run out; waits when none are buffered. Resolves false once the COPY completed.
   */
  read(sink: CopyDataSink): Promise<boolean>;
  /** Stops reading; a pending `read` rejects with `reason`. The session must then be released destroyed. */
  destroy(reason: Error): void;
}

export interface PgPool {
  session(): Promise<PgSession>;
  end(): Promise<void>;
}

// Every value stays text: the connector decodes it itself so both read paths build the same Arrow data.
const rawText = { getTypeParser: () => (value: string) => value };

export function createPgPool(options: PgConnectOptions): PgPool {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.database === undefined ? {} : { database: options.database }),
    ssl: options.ssl ?? false,
    application_name: options.application_name,
    max: options.max,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    types: rawText,
  });
  // An idle client whose server went away must not crash the process; the next checkout reconnects.
  pool.on('error', () => {});
  return {
    async session() {
      const client = await pool.connect();
      let released = false;
      // Errors on the socket after a failure surface through the pending query; keep them off the process.
      const onError = () => {};
      client.on('error', onError);
      return {
        async query(text, params) {
          const result = await client.query({ text, values: params ?? [], rowMode: 'array', types: rawText });
          return {
            fields: result.fields.map((f) => ({
              name: f.name,
              typeOid: f.dataTypeID,
              typmod: f.dataTypeModifier,
            })),
            rows: result.rows as (string | null)[][],
          };
        },
        cursor(text) {
          // Only the cursor inside QueryStream is used: its Readable side's destroy waits for a
          // server reply that never comes once the connection is gone.
          const stream = new QueryStream(text, [], { rowMode: 'array', types: rawText });
          client.query(stream);
          const cursor = stream.cursor as { read(rows: number): Promise<(string | null)[][]> };
          return { read: (rows) => cursor.read(rows) };
        },
        copyOut(text) {
          const copy = new CopyOutQuery(text);
          // pg types `submit` as returning void; returning an Error is how a submittable refuses.
          client.query(copy as unknown as pg.Submittable);
          return copy;
        },
        copyIn(text) {
          return client.query(copyStreams.from(text));
        },
        cancel() {
          const c = client as unknown as { processID: number | null; secretKey: number | null };
          if (c.processID === null || c.secretKey === null) return Promise.resolve();
          return sendCancelRequest(options.host, options.port, c.processID, c.secretKey);
        },
        release(destroy) {
          if (released) return;
          released = true;
          client.release(destroy ? new Error('session discarded') : undefined);
          if (destroy) {
            // The socket may be paused mid-COPY; close it outright so the backend sees EOF and exits.
            (
              client as unknown as { connection?: { stream?: { destroy(): void } } }
            ).connection?.stream?.destroy();
          }
        },
      };
    },
    end: () => pool.end(),
  };
}

/** PostgreSQL's CancelRequest: no authentication, its own short-lived connection. */
function sendCancelRequest(host: string, port: number, pid: number, secret: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = host.startsWith('/') ? netConnect(`${host}/.s.PGSQL.${port}`) : netConnect(port, host);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(5000, done);
    socket.once('error', done);
    socket.once('close', done);
    socket.once('connect', () => {
      const msg = Buffer.alloc(16);
      msg.writeInt32BE(16, 0);
      msg.writeInt32BE(80877102, 4);
      msg.writeInt32BE(pid, 8);
      msg.writeInt32BE(secret, 12);
      socket.end(msg);
    });
  });
}
