/**
 * CSV as RFC 4180 describes it: CRLF line ends, and a field in double quotes (inner quotes doubled) when it holds a
 * comma, a quote or a line break. File names carry all three; Tableau, Excel and Python's csv read this back exactly.
 */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A whole table: a header line, then one line per row (null cells are empty). */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/** A float32 written with the fewest digits that read back as the same float32 (at most 9 significant). */
export function float32Text(value: number): string {
  if (!Number.isFinite(value)) return '';
  for (let digits = 6; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(Number(value.toPrecision(9)));
}
