import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Struct,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { nullMask } from './null-mask.js';

async function nullify(vector: Vector): Promise<Vector> {
  return (await nullMask.create({ mask: 'null' }, undefined as never))(vector, undefined as never);
}

describe('null mask', () => {
  it('makes every value null and keeps the type', async () => {
    const inputs = [
      vectorFromArray(['a', null, 'c'], new Utf8()),
      vectorFromArray([1, 2, 3], new Int32()),
      vectorFromArray([1n, 2n, null], new Int64()),
      vectorFromArray([1.5, 2, 3], new Float64()),
      vectorFromArray([true, false, true], new Bool()),
      vectorFromArray(['a', 'b', 'c', 'd'], new Utf8()).slice(1),
    ];
    for (const input of inputs) {
      const out = await nullify(input);
      expect(out.type.toString()).toBe(input.type.toString());
      expect(out.length).toBe(3);
      expect(out.nullCount).toBe(3);
      expect([...out]).toEqual([null, null, null]);
    }
  });

  it('also takes nested types', async () => {
    const type = new List(new Field('item', new Int32(), true));
    const out = await nullify(vectorFromArray([[1], [2, 3]], type));
    expect(out.type.toString()).toBe(type.toString());
    expect([...out]).toEqual([null, null]);
    const struct = new Struct([new Field('a', new Utf8(), true)]);
    expect((await nullify(vectorFromArray([{ a: 'x' }], struct))).nullCount).toBe(1);
  });

  it('declares the masked column nullable', () => {
    expect(nullMask.outputNullable?.(false, { mask: 'null' })).toBe(true);
  });
});
