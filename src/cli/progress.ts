import type { SluiceEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';

/**
 * Shows a run's progress from its events: a live line on a terminal, or a log line every few
 * seconds otherwise (schedulers capture those).
 */
export function createProgress(options: { tty: boolean; logger: Logger; write?: (s: string) => void }): {
  listener: (event: SluiceEvent) => void;
  stop(): void;
} {
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const started = Date.now();
  let read = 0;
  let written = 0;
  let lastDraw = started;
  let drawn = false;
  const line = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(read / seconds) : 0;
    return `rows read ${read.toLocaleString('en-US')} · written ${written.toLocaleString('en-US')} · ${rate.toLocaleString('en-US')} rows/s · ${seconds.toFixed(1)}s`;
  };
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < (options.tty ? 200 : 5000)) return;
    lastDraw = now;
    if (options.tty) {
      write(`\r\x1b[2K${line()}`);
      drawn = true;
    } else {
      options.logger.info(line());
    }
  };
  return {
    listener(event) {
      if (event.type === 'rows_received') read += event.rows;
      else if (event.type === 'rows_sent') written += event.rows;
      else if (event.type === 'source_opened') options.logger.debug(`reading source \`${event.source}\``);
      else return;
      draw();
    },
    stop() {
      if (drawn) write('\r\x1b[2K');
    },
  };
}
