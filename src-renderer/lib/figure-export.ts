import { drawFigure, type FigureSpec } from './figure';
import { downloadCsv, downloadPng } from './download';

/** A gallery of one checkpoint, as the results views show it: its images' shape and what each image is. */
export interface CheckpointGallery {
  runId: number;
  epoch: number;
  width: number;
  height: number;
  channels: 1 | 3;
  items: FigureSpec['items'];
}

/** "run-3-epoch-10-pca-vs-ae.png": every figure and table of a checkpoint is named the same way. */
export function checkpointFileName(gallery: Pick<CheckpointGallery, 'runId' | 'epoch'>, what: string, ext: string) {
  return `run-${gallery.runId}-epoch-${gallery.epoch}-${what}.${ext}`;
}

/** Saves a results view's gallery as a PNG figure: "Run 3, epoch 10: <title>", its image rows and number rows. */
export function saveGalleryPng(
  gallery: CheckpointGallery,
  what: { title: string; file: string; perLine?: number },
  rows: FigureSpec['rows'],
  numbers: FigureSpec['numbers'] = [],
): Promise<void> {
  const { runId, epoch, width, height, channels, items } = gallery;
  const canvas = drawFigure({
    title: `Run ${runId}, epoch ${epoch}: ${what.title}`,
    width,
    height,
    channels,
    items,
    rows,
    numbers,
    perLine: what.perLine,
  });
  return downloadPng(canvas, checkpointFileName(gallery, what.file, 'png'));
}

/** Saves a results view's numbers as a CSV named like its figure, for a spreadsheet or Tableau. */
export function saveGalleryCsv(
  gallery: Pick<CheckpointGallery, 'runId' | 'epoch'>,
  file: string,
  header: string[],
  rows: Array<Array<string | number | null>>,
): void {
  downloadCsv(checkpointFileName(gallery, file, 'csv'), header, rows);
}
