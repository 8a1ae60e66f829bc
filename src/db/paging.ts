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
