// An example Sluice plugin: a mask that keeps only the domain of an email address
// (`jane@example.com` → `example.com`). List it in a pipeline under `plugins:` and use it like any
// built-in mask: `email: { mask: email_domain }`.
import { Utf8, vectorFromArray } from 'apache-arrow';
import { SluiceError } from 'sluice';
import { z } from 'zod';

const configSchema = z
  .strictObject({
    mask: z.literal('email_domain'),
    lowercase: z.boolean().default(true).describe('Lowercase the domain.'),
  })
  .describe('Keeps only the domain of an email address.');

export const emailDomainMask = {
  kind: 'mask',
  type: 'email_domain',
  description: 'Keeps only the domain of an email address.',
  configSchema,
  properties: { reversible: false, deterministic: true, keyed: false },
  outputType(input) {
    if (!(input instanceof Utf8)) {
      throw new SluiceError('SCHEMA_MISMATCH', `Mask \`email_domain\` takes text columns, not \`${input}\`.`);
    }
    return input;
  },
  async create(config) {
    return (vector) => {
      const out = new Array(vector.length);
      for (let i = 0; i < vector.length; i++) {
        const value = vector.get(i);
        if (value === null) {
          out[i] = null;
          continue;
        }
        const at = value.lastIndexOf('@');
        const domain = at < 0 ? '' : value.slice(at + 1);
        out[i] = config.lowercase ? domain.toLowerCase() : domain;
      }
      return vectorFromArray(out, new Utf8());
    };
  },
};

/** Called by Sluice when the pipeline (or config) lists this module under `plugins:`. */
export function register(registry) {
  registry.register(emailDomainMask);
}
