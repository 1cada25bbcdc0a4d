import { Field, Int32, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { classifyColumnName } from './classify-column-name.js';
import { classifyValues } from './classify-values.js';
import { detectDrift } from './detect-drift.js';

describe('classifyColumnName', () => {
  it('recognises common names in English, German, French, Spanish and Dutch', () => {
    const cases: [string, string | undefined][] = [
      ['email', 'email'],
      ['customer_eMail', 'email'],
      ['courriel', 'email'],
      ['correo_electronico', 'email'],
      ['Telefonnummer', 'phone'],
      ['téléphone', 'phone'],
      ['mobile_phone', 'phone'],
      ['ssn', 'ssn'],
      ['iban', 'iban'],
      ['full_name', 'name'],
      ['nom', 'name'],
      ['nombre', 'name'],
      ['achternaam', 'name'],
      ['Straße', 'address'],
      ['dirección', 'address'],
      ['billing_address', 'address'],
      ['email_address', 'email'],
      ['Geburtsdatum', 'date_of_birth'],
      ['date_de_naissance', 'date_of_birth'],
      ['fecha_de_nacimiento', 'date_of_birth'],
      ['dob', 'date_of_birth'],
      ['postleitzahl', 'postcode'],
      ['client_ip', 'ip'],
      ['api_key', 'secret'],
      ['created_at', undefined],
      ['order_total', undefined],
      ['subject', undefined],
    ];
    for (const [name, cls] of cases) expect(classifyColumnName(name), name).toBe(cls);
  });
});

describe('classifyValues', () => {
  it('gives the share of values containing and being each kind, never the values', () => {
    const v = vectorFromArray(
      ['ann@example.com', 'bob@example.org', 'write to ann@example.com', 'nothing', null],
      new Utf8(),
    );
    const result = classifyValues(v);
    expect(result.values).toBe(4);
    expect(result.ratios.email).toBe(0.75);
    expect(result.whole.email).toBe(0.5);
    expect(JSON.stringify(result)).not.toContain('example');
  });

  it('looks at no more than the limit and ignores non-string vectors', () => {
    expect(classifyValues(vectorFromArray(['a@b.co', 'x', 'y'], new Utf8()), 2).values).toBe(2);
    expect(classifyValues(vectorFromArray([1, 2], new Int32())).values).toBe(0);
  });
});

describe('detectDrift', () => {
  const schema = new Schema([
    new Field('email', new Utf8(), true),
    new Field('notes', new Utf8(), true),
    new Field('n', new Int32(), true),
  ]);
  const batch = (notes: string[]) =>
    new RecordBatch(
      schema,
      makeData({
        type: new Struct(schema.fields),
        length: notes.length,
        nullCount: 0,
        children: [
          vectorFromArray(
            notes.map(() => 'x@y.com'),
            new Utf8(),
          ).data[0]!,
          vectorFromArray(notes, new Utf8()).data[0]!,
          vectorFromArray(
            notes.map((_, i) => i),
            new Int32(),
          ).data[0]!,
        ],
      }),
    );

  it('reports an unclassified column holding PII above the threshold, naming column and kind only', () => {
    const findings = detectDrift(
      batch(['call 123-45-6789', 'fine', 'ssn 234-56-7890', 'ok']),
      new Set(['email']),
      0.25,
    );
    expect(findings).toEqual([{ column: 'notes', kind: 'ssn', ratio: 0.5 }]);
  });

  it('ignores classified columns and ratios below the threshold', () => {
    expect(detectDrift(batch(['call 123-45-6789', 'fine', 'ok', 'ok']), new Set(['email']), 0.5)).toEqual([]);
    expect(detectDrift(batch(['a@b.co']), new Set(['email', 'notes']), 0.1)).toEqual([]);
  });
});
