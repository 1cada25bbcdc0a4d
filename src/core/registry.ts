import type {
  AnyConnectionDefinition,
  AnyMaskDefinition,
  AnyOutputDefinition,
  ComponentDefinition,
  ComponentKind,
} from './component-definition.js';
import { SluiceError } from './errors.js';
import type { SqlEngineFactory } from './sql-engine.js';

type DefinitionOf<K extends ComponentKind> = K extends 'connection'
  ? AnyConnectionDefinition
  : K extends 'output'
    ? AnyOutputDefinition
    : AnyMaskDefinition;

const KIND_KEY: Record<ComponentKind, string> = { connection: 'type', output: 'format', mask: 'mask' };

/**
 * One registry of connection types, output formats and masks, keyed by `type`. The pipeline and
 * config schemas are generated from it, so a new component needs no edit anywhere else.
 *
 * @example
 * const registry = new Registry();
 * registry.register(myMask);
 * registry.get('mask', 'hmac');
 */
export class Registry {
  readonly #items = new Map<string, ComponentDefinition>();
  #sqlEngine: SqlEngineFactory | undefined;

  /** Sets the engine that runs `select:` SQL (the embedded DuckDB by default). */
  setSqlEngine(factory: SqlEngineFactory): this {
    this.#sqlEngine = factory;
    return this;
  }

  sqlEngine(): SqlEngineFactory {
    if (!this.#sqlEngine) {
      throw new SluiceError(
        'UNKNOWN_COMPONENT',
        'No SQL engine is registered, so `select:` cannot run. Register one with `registry.setSqlEngine(...)`.',
      );
    }
    return this.#sqlEngine;
  }

  register(definition: ComponentDefinition): this {
    const key = `${definition.kind}:${definition.type}`;
    if (this.#items.has(key)) {
      throw new SluiceError(
        'PLUGIN_FAILED',
        `A ${definition.kind} \`${definition.type}\` is already registered. Choose another \`${KIND_KEY[definition.kind]}\` name for the plugin's component.`,
        { context: { kind: definition.kind, type: definition.type } },
      );
    }
    this.#items.set(key, definition);
    return this;
  }

  has(kind: ComponentKind, type: string): boolean {
    return this.#items.has(`${kind}:${type}`);
  }

  get<K extends ComponentKind>(kind: K, type: string): DefinitionOf<K> {
    const found = this.#items.get(`${kind}:${type}`);
    if (!found) {
      const known = this.list(kind).map((d) => `\`${d.type}\``);
      throw new SluiceError(
        'UNKNOWN_COMPONENT',
        `Unknown ${kind} \`${type}\`. Registered: ${known.join(', ') || 'none'}. A plugin listed under \`plugins:\` can add more.`,
        { context: { kind, type } },
      );
    }
    return found as DefinitionOf<K>;
  }

  list<K extends ComponentKind>(kind: K): DefinitionOf<K>[] {
    return [...this.#items.values()].filter((d) => d.kind === kind) as DefinitionOf<K>[];
  }
}
