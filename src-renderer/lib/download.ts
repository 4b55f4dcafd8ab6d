/** Saves a blob through the browser's download (Electron shows its save dialog for it). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** One CSV field, quoted when it must be (RFC 4180). */
function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A table as a UTF-8 CSV file with CRLF line ends, which Excel and Tableau read as they are. */
export function downloadCsv(name: string, header: string[], rows: Array<Array<string | number | null>>): void {
  const text = [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
  download(new Blob([text], { type: 'text/csv;charset=utf-8' }), name);
}
