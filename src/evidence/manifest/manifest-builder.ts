import { relative, sep } from 'node:path';
import { SluiceError } from '../../core/errors.js';
import type { EventOf, SluiceEvent } from '../../core/events.js';
import { MANIFEST_VERSION, type Manifest, type ManifestSource } from './manifest.js';

/**
 * Builds the manifest from a run's events only: whatever the manifest states was observed and
 * emitted by the component that did it.
 */
export class ManifestBuilder {
  #started: EventOf<'run_started'> | undefined;
  readonly #sources = new Map<string, ManifestSource>();
  #select: Manifest['select'];
  readonly #outputs: EventOf<'output_committed'>[] = [];

  readonly listener = (event: SluiceEvent): void => {
    switch (event.type) {
      case 'run_started':
        this.#started = event;
        break;
      case 'source_opened':
        this.#source(event.source).connection = event.connection;
        this.#source(event.source).connection_type = event.connection_type;
        this.#source(event.source).query = event.query;
        if (event.snapshot) this.#source(event.source).snapshot = event.snapshot;
        break;
      case 'source_schema':
        this.#source(event.source).columns = event.columns;
        break;
      case 'source_finished': {
        const s = this.#source(event.source);
        s.rows = event.rows;
        s.bytes = event.bytes;
        s.duration_ms = event.duration_ms;
        if (event.snapshot) s.snapshot = event.snapshot;
        break;
      }
      case 'mask_applied': {
        const masks = this.#source(event.source).masks;
        const list = masks[event.column] ?? [];
        list.push({
          mask: event.mask,
          ...(event.key_id === undefined ? {} : { key_id: event.key_id }),
          params: event.params,
          origin: event.origin,
          rows: event.rows,
          nulls: event.nulls,
        });
        masks[event.column] = list;
        break;
      }
      case 'select_executed':
        this.#select = { query: event.query, columns: event.columns };
        break;
      case 'output_committed':
        this.#outputs.push(event);
        break;
      default:
        break;
    }
  };

  #source(name: string): ManifestSource {
    let s = this.#sources.get(name);
    if (!s) {
      s = {
        name,
        connection: '',
        connection_type: '',
        query: '',
        columns: [],
        rows: 0,
        bytes: 0,
        duration_ms: 0,
        masks: {},
      };
      this.#sources.set(name, s);
    }
    return s;
  }

  /** The manifest of a succeeded run; file paths are made relative to `manifestDir`. */
  build(manifestDir: string, finishedAt: Date): Manifest {
    const started = this.#started;
    if (!started) throw new SluiceError('INTERNAL', 'The manifest cannot be built: the run never started.');
    const startedAt = new Date(started.ts);
    const rel = (p: string) => relative(manifestDir, p).split(sep).join('/');
    return {
      manifest_version: MANIFEST_VERSION,
      run: {
        id: started.run_id,
        status: 'succeeded',
        started_at: started.ts,
        finished_at: finishedAt.toISOString(),
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        sluice_version: started.sluice_version,
        host: started.host,
      },
      pipeline: started.pipeline,
      identity: started.identity,
      sources: [...this.#sources.values()],
      ...(this.#select ? { select: this.#select } : {}),
      outputs: this.#outputs.map((o) => ({
        name: o.output,
        format: o.format,
        path: rel(o.path),
        rows: o.rows,
        columns: o.columns,
        files: o.files.map((f) => ({ ...f, path: rel(f.path) })),
      })),
    };
  }
}
