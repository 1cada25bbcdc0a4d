import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from './errors.js';

/** A credential is referenced, never inline: an environment variable or a file. */
export type SecretRef = { env: string } | { file: string };

export interface SecretResolver {
  /** Resolves a reference; throws `SECRET_MISSING` naming the variable or file (never the value). */
  resolve(ref: SecretRef, what: string): Promise<Secret>;
}

const REDACTED = '[redacted]';

/** A secret value that hides itself when printed, logged or serialised. */
export class Secret {
  readonly #value: string;
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  /** The raw value. Call only where the value is handed to a driver or a crypto primitive. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.source})`;
  }
}

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable \`${ref.env}\`` : `file \`${ref.file}\``;
}

export function createSecretResolver(baseDir: string, env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return {
    async resolve(ref, what) {
      if ('env' in ref) {
        const value = env[ref.env];
        if (value === undefined || value === '') {
          throw new SluiceError(
            'SECRET_MISSING',
            `${what} is read from environment variable \`${ref.env}\`, which is not set. Set it, or point the config at a file with \`file:\`.`,
            { context: { env: ref.env } },
          );
        }
        return new Secret(value, `env:${ref.env}`);
      }
      const path = resolve(baseDir, ref.file);
      try {
        const value = (await readFile(path, 'utf8')).trim();
        return new Secret(value, `file:${ref.file}`);
      } catch (cause) {
        throw new SluiceError(
          'SECRET_MISSING',
          `${what} is read from file \`${path}\`, which cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`,
          { context: { file: path }, cause },
        );
      }
    },
  };
}
