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

/** One problem in one row, by column, shown in the preview. */
export interface RowProblem {
  row: number;
  /** The column as the file's header names it ('身份证号'); the expected name if the file lacks it. */
  column: string;
  /** 'E'; empty when the file has no such column. */
  letter: string;
  /** The schema path: 'idNumber', 'payments.1.amountYuan', 'archive.application'. */
  field: string;
  /** A catalog key: 'errors.households.id.checkDigit'. */
  code: string;
  params?: Record<string, unknown>;
}
