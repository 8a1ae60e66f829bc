import { stringify } from 'csv-stringify/sync';

// Every CSV the portal exports goes through here. A spreadsheet runs a cell that starts with =, +,
// -, @, a tab or a carriage return as a formula (CSV injection): such a text cell gets a leading
// apostrophe, as OWASP recommends, which Excel and WPS show as plain text. Numbers stay numbers.

const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeCsvCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Rows as a CSV file for Excel: UTF-8 with a byte-order mark, CRLF lines, text cells neutralised. */
export function toCsv(rows: readonly (readonly (string | number | null)[])[]): string {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'string' ? neutralizeCsvCell(cell) : cell)));
  // The byte-order mark makes Excel read the file as UTF-8 rather than the local code page.
  return stringify(cells, { bom: true, record_delimiter: 'windows' });
}
