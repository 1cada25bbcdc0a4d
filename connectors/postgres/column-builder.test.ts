import { Field, Float64, Int16, Int32, List } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { createColumnBuilder } from './column-builder.js';
import type { ColumnType } from './types.js';

describe('column builders', () => {
  // List children start with room for 4 elements per row, so long arrays grow their buffers.
  const cases: [string, ColumnType, Int16 | Int32 | Float64, (i: number) => number][] = [
    ['int2', { kind: 'int16', pgType: 'int2' }, new Int16(), (i) => i - 50],
    ['int4', { kind: 'int32', pgType: 'int4' }, new Int32(), (i) => i * 1000],
    ['float8', { kind: 'float64', pgType: 'float8' }, new Float64(), (i) => i / 4],
  ];
  for (const [name, element, arrow, value] of cases) {
    it(`keeps every element of ${name}[] arrays longer than the buffers they start with`, () => {
      const type = new List(new Field('item', arrow, true));
      const elements = Array.from({ length: 300 }, (_, i) => (i % 37 === 3 ? null : value(i)));
      const textValue = `{${elements.map((e) => (e === null ? 'NULL' : String(e))).join(',')}}`;
      const binary = Buffer.alloc(20 + elements.length * 12);
      binary.writeInt32BE(1, 0); // one dimension
      binary.writeInt32BE(1, 4); // has NULLs
      binary.writeInt32BE(elements.length, 12);
      binary.writeInt32BE(1, 16); // lower bound
      let p = 20;
      for (const e of elements) {
        const size = name === 'int2' ? 2 : name === 'int4' ? 4 : 8;
        binary.writeInt32BE(e === null ? -1 : size, p);
        p += 4;
        if (e === null) continue;
        if (name === 'int2') binary.writeInt16BE(e, p);
        else if (name === 'int4') binary.writeInt32BE(e, p);
        else binary.writeDoubleBE(e, p);
        p += size;
      }
      for (const path of ['text', 'binary'] as const) {
        const builder = createColumnBuilder({ kind: 'list', pgType: `_${name}`, element }, type, 2);
        for (let row = 0; row < 3; row++) {
          if (path === 'text') builder.appendText(textValue);
          else builder.appendBinary(binary.subarray(0, p), 0, p);
        }
        const data = builder.finish();
        const child = data.children[0];
        const got = Array.from({ length: child?.length ?? 0 }, (_, i) =>
          child?.getValid(i) ? Number(child.values[i]) : null,
        );
        expect(got, path).toEqual([...elements, ...elements, ...elements]);
      }
    });
  }
});
