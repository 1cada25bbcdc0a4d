import { describe, expect, it } from 'vitest';
import { duckdbWatermarkLiteral } from '../../connectors/duckdb/watermark-literal.js';
import { postgresWatermarkLiteral } from '../../connectors/postgres/watermark-literal.js';
import { bindWatermark, incrementalQuery } from './incremental-query.js';

describe('incremental query', () => {
  it('wraps the source query with the watermark as placeholders and orders by the watermark', () => {
    const q = incrementalQuery('SELECT * FROM t -- trailing comment', 'updated_at', 'id', true);
    expect(q.sql).toBe(
      'SELECT * FROM (\nSELECT * FROM t -- trailing comment\n) AS incremental WHERE incremental."id" IS NOT NULL AND (incremental."updated_at" > $1 OR (incremental."updated_at" = $1 AND incremental."id" > $2)) ORDER BY incremental."updated_at", incremental."id"',
    );
    expect(q.placeholders).toBe(3);
    expect(incrementalQuery('SELECT 1 AS a', 'a', undefined, false)).toEqual({
      sql: 'SELECT * FROM (\nSELECT 1 AS a\n) AS incremental WHERE incremental."a" IS NOT NULL ORDER BY incremental."a"',
      placeholders: 0,
    });
  });

  it('binds typed literals where the parser puts the placeholders, not inside strings', async () => {
    const q = incrementalQuery("SELECT id, ts, '$1 ünïcode' AS label FROM t", 'ts', undefined, true);
    const value = '2026-01-01 00:00:00.000000+00';
    const bound = await bindWatermark(
      q.sql,
      [{ literal: postgresWatermarkLiteral({ kind: 'timestamptz', unit: 'microsecond', value }), value }],
      q.placeholders,
    );
    expect(bound).toContain("'$1 ünïcode' AS label");
    expect(bound).toContain(`incremental."ts" > E'${value}'::timestamptz ORDER BY`);
  });

  it('escapes quotes and backslashes so a text watermark reads back as exactly its value', async () => {
    const value = "x\\'; DROP TABLE t; --";
    const q = incrementalQuery('SELECT name FROM t', 'name', undefined, true);
    for (const literal of [
      postgresWatermarkLiteral({ kind: 'text', value }),
      duckdbWatermarkLiteral({ kind: 'text', value }),
    ]) {
      const bound = await bindWatermark(q.sql, [{ literal, value }], q.placeholders);
      expect(bound).toContain(literal);
    }
  });

  it('refuses a literal that is not one constant holding the watermark value', async () => {
    const q = incrementalQuery('SELECT n FROM t', 'n', undefined, true);
    await expect(bindWatermark(q.sql, [{ literal: '1 OR true', value: '1' }], 1)).rejects.toThrow(
      'not a single constant',
    );
    await expect(bindWatermark(q.sql, [{ literal: "'2'", value: '1' }], 1)).rejects.toThrow(
      'not a single constant',
    );
  });

  it('refuses a literal that does not parse without quoting it (it holds a row value)', async () => {
    const q = incrementalQuery('SELECT n FROM t', 'n', undefined, true);
    const err = (await bindWatermark(q.sql, [{ literal: "'secret-value", value: 'secret-value' }], 1).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(err?.message).toContain('not a single constant');
    expect(err?.message).not.toContain('secret-value');
  });

  it('refuses a source query that holds placeholders of its own', async () => {
    const q = incrementalQuery('SELECT n FROM t WHERE n > $1', 'n', undefined, true);
    await expect(
      bindWatermark(
        q.sql,
        [{ literal: duckdbWatermarkLiteral({ kind: 'integer', value: '5' }), value: '5' }],
        1,
      ),
    ).rejects.toThrow('parameter placeholders');
  });
});
