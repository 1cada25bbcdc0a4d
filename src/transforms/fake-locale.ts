import type { LocaleDefinition } from '@faker-js/faker';

/** Locales the `fake` mask supports. */
export const FAKE_LOCALES = ['en', 'de', 'fr', 'es', 'nl'] as const;
export type FakeLocale = (typeof FAKE_LOCALES)[number];

const encoder = new TextEncoder();

/** A locale's raw word lists, encoded once as UTF-8, that fakes are assembled from. */
export interface FakeWords {
  first: Uint8Array[];
  last: Uint8Array[];
  /** ASCII, lower case, letters only: for email local parts. */
  firstAscii: Uint8Array[];
  lastAscii: Uint8Array[];
  city: Uint8Array[];
  street: Uint8Array[];
  /** `street_prefix` words (fr) or `street_suffix` words (nl, es) when the locale builds streets from parts. */
  streetPart: Uint8Array[];
  building: string[];
  legal: Uint8Array[];
  freeEmail: Uint8Array[];
  phone: string[];
  ibanCountry: string;
  /** How a street address is laid out. */
  streetStyle: 'number-first' | 'number-last' | 'fr' | 'es' | 'nl';
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function ascii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const bytes = (words: string[]): Uint8Array[] => words.map((w) => encoder.encode(w));

function words(def: LocaleDefinition, locale: FakeLocale): FakeWords {
  const person = def.person ?? {};
  const location = def.location ?? {};
  const names = person.first_name as Record<string, unknown> | undefined;
  const first = [...new Set([...list(names?.generic), ...list(names?.female), ...list(names?.male)])];
  const last = list((person.last_name as Record<string, unknown> | undefined)?.generic);
  const cityPrefix = list(location.city_prefix);
  const citySuffix = list(location.city_suffix);
  const cities =
    list(location.city_name).length > 0
      ? list(location.city_name)
      : cityPrefix.flatMap((p) => citySuffix.slice(0, 8).map((s) => `${p}${s}`));
  const phoneFormats = def.phone_number?.format as Record<string, unknown> | undefined;
  const styles: Record<FakeLocale, FakeWords['streetStyle']> = {
    en: 'number-first',
    de: 'number-last',
    fr: 'fr',
    es: 'es',
    nl: 'nl',
  };
  const ibans: Record<FakeLocale, string> = { en: 'GB', de: 'DE', fr: 'FR', es: 'ES', nl: 'NL' };
  const style = styles[locale];
  return {
    first: bytes(first),
    last: bytes(last),
    firstAscii: bytes(first.map(ascii).map((w) => w || 'x')),
    lastAscii: bytes(last.map(ascii).map((w) => w || 'x')),
    city: bytes(cities),
    street: bytes(style === 'fr' ? list(location.street_suffix) : list(location.street_name)),
    streetPart: bytes(style === 'fr' ? list(location.street_prefix) : list(location.street_suffix)),
    building: list(location.building_number).filter((p) => p.includes('#')),
    legal: bytes(list(def.company?.legal_entity_type)),
    freeEmail: bytes(list(def.internet?.free_email)),
    phone: list(phoneFormats?.national).length > 0 ? list(phoneFormats?.national) : list(phoneFormats?.human),
    ibanCountry: ibans[locale],
    streetStyle: style,
  };
}

const cache = new Map<FakeLocale, FakeWords>();

/**
 * The word lists of `locale`, built on first use. Faker's locale data (~16 MB of heap) is loaded
 * only then, not by every command that loads the mask catalogue.
 */
export async function fakeWords(locale: FakeLocale): Promise<FakeWords> {
  let w = cache.get(locale);
  if (!w) {
    const { en, de, fr, es, nl } = await import('@faker-js/faker');
    w = words({ en, de, fr, es, nl }[locale], locale);
    cache.set(locale, w);
  }
  return w;
}
