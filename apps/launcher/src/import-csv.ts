/**
 * The CSV reader behind `npm run cli -- import` (docs/import.md): RFC 4180 records → fields, numbered as a
 * spreadsheet shows them (the first record is row 1; a quoted field spanning lines is still one row; blank
 * lines count but yield no record). Accepts a UTF-8 byte order mark, LF, CRLF and lone CR line ends, and `""`
 * inside quoted fields. A quote inside an unquoted field is kept as a character (as spreadsheets write it);
 * text after a closing quote, or a quote left open at the end of the file, is an error on that row.
 */
export interface CsvRecord {
  row: number;
  fields: string[];
}

export interface CsvProblem {
  row: number;
  reason: string;
}

export function readCsv(input: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const n = text.length;
  let row = 1;
  let i = 0;
  while (i < n) {
    const start = row;
    const fields: string[] = [];
    let broken: string | undefined;
    // One record: fields until an unquoted line end or the end of the text.
    for (;;) {
      let value = '';
      if (text.charCodeAt(i) === 34) {
        // Quoted field: "" is a quote; line ends inside belong to the value (and advance the row count).
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            broken ??= 'a quoted field is not closed before the end of the file';
            value += text.slice(j);
            j = n;
            break;
          }
          value += text.slice(j, q);
          if (text.charCodeAt(q + 1) === 34) {
            value += '"';
            j = q + 2;
            continue;
          }
          j = q + 1;
          break;
        }
        row += countLineEnds(value);
        i = j;
        // Anything but a separator or a line end after the closing quote is malformed: keep it, flag the row.
        let k = i;
        while (k < n && !isSeparator(text.charCodeAt(k))) k++;
        if (k > i) {
          broken ??= `text after a closing quote (${JSON.stringify(text.slice(i, Math.min(k, i + 20)))})`;
          value += text.slice(i, k);
          i = k;
        }
      } else {
        let k = i;
        while (k < n && !isSeparator(text.charCodeAt(k))) k++;
        value = text.slice(i, k);
        i = k;
      }
      fields.push(value);
      if (i < n && text.charCodeAt(i) === 44) {
        i++;
        continue;
      }
      break;
    }
    // At a line end (or the end of the text).
    if (i < n) {
      if (text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10) i += 2;
      else i++;
    }
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (broken) problems.push({ row: start, reason: broken });
    else if (!blank) records.push({ row: start, fields });
    row++;
  }
  return { records, problems };
}

/** Comma, LF or CR. */
function isSeparator(c: number): boolean {
  return c === 44 || c === 10 || c === 13;
}

/** Line ends in a value, counting CRLF once. */
function countLineEnds(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) count++;
    else if (c === 13) {
      count++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return count;
}
