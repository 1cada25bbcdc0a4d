/** Upper bounds (seconds) of the latency histograms. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type Labels = Record<string, string>;

function key(labels: Labels): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}
  add(labels: Labels = {}, n = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    if (this.values.size === 0 && this.type === 'gauge') lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines;
  }
}

class Histogram {
  readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    const counts = s.counts;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) counts[i] = (counts[i] ?? 0) + 1;
    });
    s.sum += seconds;
    s.count += 1;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      BUCKETS.forEach((le, i) => {
        lines.push(`${this.name}_bucket{${sep}le="${le}"} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines;
  }
}

/** The proxy's metrics in the Prometheus text exposition format (0.0.4). Labels never carry identities. */
export class ProxyMetrics {
  readonly requests = new Counter('sluice_proxy_requests_total', 'HTTP requests by route and status.');
  readonly decisions = new Counter('sluice_proxy_decisions_total', 'Policy decisions by verdict.');
  readonly extractions = new Counter(
    'sluice_proxy_extractions_total',
    'Finished extractions by outcome (succeeded, failed, cancelled).',
  );
  readonly rows = new Counter('sluice_proxy_rows_total', 'Rows streamed to clients.');
  readonly bytes = new Counter('sluice_proxy_bytes_total', 'Arrow IPC bytes streamed to clients.');
  readonly inFlight = new Counter(
    'sluice_proxy_extractions_in_flight',
    'Extractions streaming now.',
    'gauge',
  );
  readonly queueDepth = new Counter(
    'sluice_proxy_queue_depth',
    'Requests waiting for an extraction slot now.',
    'gauge',
  );
  readonly queueWait = new Histogram(
    'sluice_proxy_queue_wait_seconds',
    'Time a request waited for an extraction slot (0 when admitted at once).',
  );
  readonly queueRefused = new Counter(
    'sluice_proxy_queue_refused_total',
    'Requests refused with 429 by reason (queue_full, wait_timeout).',
  );
  readonly duration = new Histogram(
    'sluice_proxy_request_duration_seconds',
    'Time from request to the end of the response, by route.',
  );
  readonly firstBatch = new Histogram(
    'sluice_proxy_time_to_first_batch_seconds',
    'Time from request to the first record batch written.',
  );

  render(): string {
    return `${[
      this.requests,
      this.decisions,
      this.extractions,
      this.rows,
      this.bytes,
      this.inFlight,
      this.queueDepth,
      this.queueWait,
      this.queueRefused,
      this.duration,
      this.firstBatch,
    ]
      .flatMap((m) => m.render())
      .join('\n')}\n`;
  }
}
