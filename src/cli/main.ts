#!/usr/bin/env node
import { type Command, CommanderError } from 'commander';
import { EXIT } from '../core/error-codes.js';
import { createProgram } from './program.js';
import { renderError } from './render-error.js';

// `pipeline … | head` closes stdout early; that is not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// What is open before any command runs: stdout and stderr.
const openAtStart = process.getActiveResourcesInfo();

const program = createProgram();
const overrideExit = (command: Command): void => {
  command.exitOverride();
  for (const sub of command.commands) overrideExit(sub);
};
overrideExit(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage mistakes exit 2 (commander already printed the message).
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.config;
  } else {
    process.exitCode = renderError(err);
  }
}

// With the command done and nothing left open but stdio, end now. Left alone, Node first waits for
// V8's background tier-up of WebAssembly (SQL parser, Parquet encoder) to finish: 0.2–0.5 s of CPU
// for code that never runs again. Anything else still open (a server, a timer) keeps the usual exit.
if (await onlyStdioOpen(openAtStart, 1000)) process.exit();

async function onlyStdioOpen(baseline: string[], waitMs: number): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = [...baseline];
    const extra = process.getActiveResourcesInfo().some((resource) => {
      const at = left.indexOf(resource);
      if (at < 0) return true;
      left.splice(at, 1);
      return false;
    });
    if (!extra) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
