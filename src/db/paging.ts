/**
 * Keyset paging: a query asks for one row more than a page (`limit(size + 1)`), so the page knows
 * whether another follows without counting; the next page starts after the last row shown, found
 * through the index whatever its depth, never with OFFSET.
 */
export interface Page<Row, Cursor> {
  rows: Row[];
  /** Where the next page starts, or null on the last page. */
  next: Cursor | null;
}

/** The rows to ask for: one more than a page. */
export const pageLimit = (size: number) => size + 1;

/** Cuts the fetched rows (at most size + 1) to a page and takes the next page's cursor from its last row. */
export function toPage<Row, Cursor>(rows: Row[], size: number, cursorOf: (last: Row) => Cursor): Page<Row, Cursor> {
  if (rows.length <= size) return { rows, next: null };
  const page = rows.slice(0, size);
  return { rows: page, next: cursorOf(page[size - 1]!) };
}

/** A cursor's fields as they travel in a next-page link: joined by '~', null written '-'. */
export function cursorText(fields: readonly (string | number | null)[]): string {
  return fields.map((f) => (f === null ? '-' : String(f))).join('~');
}

/**
 * The fields of a next-page link's cursor ('-' back to null), or null when it does not have
 * `count` of them: an old or damaged link then shows the first page rather than an error.
 */
export function cursorFields(text: string, count: number): (string | null)[] | null {
  const fields = text.split('~');
  return fields.length === count ? fields.map((f) => (f === '-' ? null : f)) : null;
}
