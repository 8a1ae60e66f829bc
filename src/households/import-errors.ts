/**
 * A reason the whole file is refused (nothing in it is read further). The code names a catalog
 * message errors.households.import.<code>; params fill it in.
 */
export type ImportFileErrorCode =
  | 'tooLarge'
  | 'tooManyRows'
  | 'notCsvOrXlsx'
  | 'malformed'
  | 'noHeader'
  | 'missingColumns'
  | 'duplicateColumn'
  | 'tooManyPayments'
  | 'zipBomb'
  | 'empty';

export class ImportFileError extends Error {
  constructor(
    readonly code: ImportFileErrorCode,
    readonly params?: Record<string, unknown>,
  ) {
    super(`household import: ${code}`);
    this.name = 'ImportFileError';
  }

  /** The catalog key of the message to show. */
  get messageKey(): string {
    return `errors.households.import.${this.code}`;
  }
}
