import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../store/database';
import { findDatasetByName, getDataset } from '../store/datasets';
import { imagesByCacheIndex } from '../store/images';
import { createDataset } from '../datasets/dataset-store';
import { UserError } from '../api/errors';
import type { DatasetPack, DatasetPackInfo } from './lab-protocol';

/**
 * Datasets travel from the hub to its workers by content: a dataset's hash covers its shape, classes, every image's
 * split, label and name, and every pixel, so a worker that has the hash has the very images, and fetches each dataset
 * once whatever it is called on the hub.
 */
function hashOf(pack: Omit<DatasetPack, 'hash' | 'name'>, pixels: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  const { width, height, channels, classNames, images, rows } = pack;
  hash.update(JSON.stringify({ width, height, channels, classNames, images, rows }));
  for (const chunk of pixels) hash.update(chunk);
  return hash.digest('hex');
}

/** The hub's side: a dataset's manifest and where its pixels are, hashed once per dataset. */
export class DatasetPacks {
  private readonly byId = new Map<number, Promise<{ pack: DatasetPack; pixelFile: string }>>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  /** A ready dataset's pack (its hash read from the pixels the first time). */
  pack(datasetId: number): Promise<{ pack: DatasetPack; pixelFile: string }> {
    let packed = this.byId.get(datasetId);
    if (!packed) {
      packed = this.build(datasetId);
      packed.catch(() => this.byId.delete(datasetId));
      this.byId.set(datasetId, packed);
    }
    return packed;
  }

  async info(datasetId: number): Promise<DatasetPackInfo> {
    const { pack } = await this.pack(datasetId);
    const { rows: _rows, ...info } = pack;
    return info;
  }

  /** The pack with this hash among the datasets packed so far (every queued run's dataset is). */
  async byHash(hash: string): Promise<{ pack: DatasetPack; pixelFile: string } | undefined> {
    for (const packed of this.byId.values()) {
      const found = await packed.catch(() => undefined);
      if (found?.pack.hash === hash) return found;
    }
    return undefined;
  }

  private async build(datasetId: number): Promise<{ pack: DatasetPack; pixelFile: string }> {
    const dataset = getDataset(this.db, datasetId);
    if (!dataset || dataset.status !== 'ready') throw new UserError('not_found', `There is no dataset ${datasetId}.`);
    const rows = [...imagesByCacheIndex(this.db, datasetId).entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
    const pixelFile = join(this.dataDir, dataset.pixelFile);
    const body = {
      width: dataset.width,
      height: dataset.height,
      channels: dataset.channels,
      classNames: dataset.classNames,
      images: rows.length,
      rows,
    };
    const chunks: Uint8Array[] = [];
    for await (const chunk of createReadStream(pixelFile)) chunks.push(chunk as Buffer);
    return { pack: { ...body, name: dataset.name, hash: hashOf(body, chunks) }, pixelFile };
  }
}

/** The worker's name for a hub's dataset: the hub's name and the start of its hash, so each is stored once. */
export const localName = (info: DatasetPackInfo) => `${info.name} [lab ${info.hash.slice(0, 12)}]`;

/**
 * The worker's side: the local dataset with this hash, fetched from the hub the first time and checked against the
 * hash before it is stored (whole or not at all, like any import).
 */
export async function ensureLocalDataset(
  db: Database,
  dataDir: string,
  info: DatasetPackInfo,
  download: () => Promise<{ pack: DatasetPack; pixels: Uint8Array }>,
): Promise<number> {
  const name = localName(info);
  const existing = findDatasetByName(db, name);
  if (existing?.status === 'ready') return existing.id;
  const { pack, pixels } = await download();
  const imageBytes = pack.width * pack.height * pack.channels;
  if (pixels.byteLength !== pack.rows.length * imageBytes || hashOf(pack, [pixels]) !== info.hash) {
    throw new UserError('file_error', `The dataset "${info.name}" arrived damaged from the hub (its hash differs).`);
  }
  return createDataset(
    db,
    dataDir,
    {
      name,
      source: `lab hub dataset ${info.hash}`,
      width: pack.width,
      height: pack.height,
      channels: pack.channels,
      classNames: pack.classNames,
    },
    pack.rows,
    [pixels],
  );
}
