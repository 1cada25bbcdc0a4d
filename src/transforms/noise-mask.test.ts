import { Field, Float64, Int32, makeData, RecordBatch, Schema, Struct, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { maskTestContext } from './mask-test-context.js';
import { noiseConfigSchema, noiseMask } from './noise-mask.js';

const ctx = maskTestContext();
const N = 4000;
const schema = new Schema([new Field('id', new Int32(), false), new Field('salary', new Float64(), true)]);
const batch = (salaries: (number | null)[]) =>
  new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      length: salaries.length,
      nullCount: 0,
      children: [
        vectorFromArray(
          salaries.map((_, i) => i),
          new Int32(),
        ).data[0]!,
        vectorFromArray(salaries, new Float64()).data[0]!,
      ],
    }),
  );

async function noisy(options: Record<string, unknown>, b: RecordBatch, key = 'a'): Promise<number[]> {
  const config = noiseConfigSchema.parse({ mask: 'noise', key_id: key, ...options });
  const kernel = await noiseMask.create(config, ctx);
  return [...kernel(b.getChild('salary')!, schema.fields[1]!, b)] as number[];
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
};

describe('noise mask', () => {
  it('is reproducible with the same key and row ids, and differs with another key', async () => {
    const b = batch(Array.from({ length: 100 }, () => 1000));
    const a1 = await noisy({ scale: 10, by: 'id' }, b);
    expect(await noisy({ scale: 10, by: 'id' }, b)).toEqual(a1);
    expect(await noisy({ scale: 10, by: 'id' }, b, 'b')).not.toEqual(a1);
    expect(new Set(a1).size).toBe(100);
  });

  it('draws Laplace noise with scale b (sd b·√2) and Gaussian noise with sd σ, centred on the value', async () => {
    const b = batch(Array.from({ length: N }, () => 0));
    const lap = stats(await noisy({ scale: 10, by: 'id' }, b));
    expect(Math.abs(lap.mean)).toBeLessThan(1.5);
    expect(lap.sd).toBeGreaterThan(12);
    expect(lap.sd).toBeLessThan(16.5);
    const gauss = stats(await noisy({ distribution: 'gaussian', scale: 10, by: 'id' }, b));
    expect(Math.abs(gauss.mean)).toBeLessThan(1);
    expect(gauss.sd).toBeGreaterThan(9);
    expect(gauss.sd).toBeLessThan(11);
    const eps = stats(await noisy({ epsilon: 0.1, sensitivity: 1, by: 'id' }, b));
    expect(eps.sd).toBeGreaterThan(12);
  });

  it('seeds by the value without `by`: equal values get equal noise; nulls stay null', async () => {
    const out = await noisy({ scale: 5 }, batch([7, 7, null, 8]));
    expect(out[0]).toBe(out[1]);
    expect(out[2]).toBeNull();
    expect(out[0]).not.toBe(7);
  });

  it('rounds noise on integer columns', async () => {
    const config = noiseConfigSchema.parse({ mask: 'noise', key_id: 'a', scale: 3 });
    const out = [
      ...(await noiseMask.create(config, ctx))(vectorFromArray([10, 20, 30], new Int32()), schema.fields[0]!),
    ];
    for (const v of out) expect(Number.isInteger(v)).toBe(true);
  });

  it('needs either `scale` or `epsilon`, and `epsilon` only for Laplace', () => {
    expect(noiseConfigSchema.safeParse({ mask: 'noise', key_id: 'a' }).success).toBe(false);
    expect(
      noiseConfigSchema.safeParse({ mask: 'noise', key_id: 'a', distribution: 'gaussian', epsilon: 1 })
        .success,
    ).toBe(false);
  });
});
