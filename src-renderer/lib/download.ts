import { toCsv } from '../../src-main/app/csv';

/** Saves a blob through the browser's download (Electron shows its save dialog for it). */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A canvas as a PNG file: a figure drawn for export, a chart or the map as shown. */
export async function downloadPng(canvas: HTMLCanvasElement, name: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob) download(blob, name);
}

/** A table as a UTF-8 CSV file (RFC 4180, CRLF line ends), which Excel and Tableau read as it is. */
export function downloadCsv(name: string, header: string[], rows: Array<Array<string | number | null>>): void {
  download(new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }), name);
}
