/** Classes a column name can suggest; the same names `pipeline scan` proposes in policy YAML. */
export type ColumnClass =
  | 'email'
  | 'phone'
  | 'ssn'
  | 'national_id'
  | 'iban'
  | 'card'
  | 'name'
  | 'address'
  | 'postcode'
  | 'date_of_birth'
  | 'ip'
  | 'secret';

// Tokens are compared after lower-casing, removing accents and splitting on `_`, `-`, spaces and
// camelCase. Multi-token entries must appear as consecutive tokens. en, de, fr, es, nl.
const DICTIONARY: [ColumnClass, string[]][] = [
  [
    'email',
    [
      'email',
      'e mail',
      'mail',
      'email address',
      'courriel',
      'correo',
      'correo electronico',
      'emailadres',
      'e mailadres',
    ],
  ],
  [
    'phone',
    [
      'phone',
      'telephone',
      'tel',
      'mobile',
      'cell',
      'msisdn',
      'telefon',
      'telefonnummer',
      'handy',
      'handynummer',
      'telefono',
      'movil',
      'celular',
      'portable',
      'telefoonnummer',
      'telefoon',
      'mobiel',
      'phone number',
    ],
  ],
  ['ssn', ['ssn', 'social security', 'social security number', 'sozialversicherungsnummer']],
  [
    'national_id',
    [
      'national id',
      'passport',
      'passport number',
      'personalausweis',
      'ausweisnummer',
      'steuer id',
      'tax id',
      'nif',
      'nie',
      'dni',
      'nir',
      'bsn',
      'burgerservicenummer',
      'insee',
      'numero secu',
      'sofinummer',
    ],
  ],
  [
    'iban',
    [
      'iban',
      'bank account',
      'account number',
      'kontonummer',
      'bankverbindung',
      'rekeningnummer',
      'numero de compte',
      'cuenta',
    ],
  ],
  [
    'card',
    [
      'card number',
      'credit card',
      'cc number',
      'pan',
      'kreditkarte',
      'kartennummer',
      'carte bancaire',
      'numero de carte',
      'tarjeta',
      'numero de tarjeta',
      'creditcard',
    ],
  ],
  [
    'name',
    [
      'name',
      'full name',
      'first name',
      'last name',
      'firstname',
      'lastname',
      'surname',
      'given name',
      'family name',
      'vorname',
      'nachname',
      'familienname',
      'nom',
      'prenom',
      'nom de famille',
      'nombre',
      'apellido',
      'apellidos',
      'naam',
      'voornaam',
      'achternaam',
    ],
  ],
  [
    'address',
    [
      'address',
      'street',
      'street address',
      'adresse',
      'anschrift',
      'strasse',
      'str',
      'rue',
      'direccion',
      'calle',
      'domicilio',
      'adres',
      'straat',
      'straatnaam',
    ],
  ],
  [
    'postcode',
    [
      'postcode',
      'postal code',
      'zip',
      'zipcode',
      'zip code',
      'plz',
      'postleitzahl',
      'code postal',
      'codigo postal',
      'postcode nl',
    ],
  ],
  [
    'date_of_birth',
    [
      'dob',
      'birth date',
      'birthdate',
      'date of birth',
      'birthday',
      'geburtsdatum',
      'geburtstag',
      'date de naissance',
      'fecha de nacimiento',
      'geboortedatum',
      'born',
    ],
  ],
  ['ip', ['ip', 'ip address', 'ipv4', 'ipv6', 'client ip', 'remote addr', 'ip adresse']],
  [
    'secret',
    [
      'password',
      'passwd',
      'pwd',
      'secret',
      'api key',
      'apikey',
      'token',
      'access token',
      'private key',
      'passwort',
      'kennwort',
      'mot de passe',
      'contrasena',
      'wachtwoord',
    ],
  ],
];

function tokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

const ENTRIES = DICTIONARY.flatMap(([cls, names]) => names.map((n) => ({ cls, words: n.split(' ') })))
  // Longer phrases first: `email address` is an email, not an address.
  .sort((a, b) => b.words.length - a.words.length);

/**
 * The class a column name suggests, from a dictionary of common names in English, German, French,
 * Spanish and Dutch; undefined when none matches.
 *
 * @example
 * classifyColumnName('customer_eMail') // 'email'
 * classifyColumnName('Geburtsdatum') // 'date_of_birth'
 */
export function classifyColumnName(name: string): ColumnClass | undefined {
  const t = tokens(name);
  // Whole joined name first (`emailaddress`), then token phrases.
  const joined = t.join('');
  for (const e of ENTRIES) if (e.words.join('') === joined) return e.cls;
  for (const e of ENTRIES) {
    for (let i = 0; i + e.words.length <= t.length; i++) {
      if (e.words.every((w, k) => t[i + k] === w)) return e.cls;
    }
  }
  return undefined;
}
