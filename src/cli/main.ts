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
