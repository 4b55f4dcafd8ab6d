import { SvelteMap } from 'svelte/reactivity';
import type { Api } from '../../src-main/api/client';
import type { ApiError, ImageItem, ImagePageQuery } from '../../src-main/api/contract';
import { decodeBase64 } from '../lib/base64';

/** The images a filter shows: a dataset's split, all classes or one. */
export type ImageFilter = Omit<ImagePageQuery, 'offset' | 'limit'>;

/**
 * A dataset's images, fetched a page at a time as they scroll into view, so a 70,000-image set browses like a small
 * one. A new filter starts over; a page that arrives for an earlier filter is dropped.
 */
export class ImagePages {
  /** Images the filter matches, once the first page has told. */
  total = $state(0);
  private readonly pages = new SvelteMap<number, { items: ImageItem[]; pixels: Uint8Array }>();
  // Bookkeeping only, never rendered: a plain Set on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly loading = new Set<number>();
  private filter: ImageFilter | null = null;
  private generation = 0;

  constructor(
    private readonly api: Api,
    private readonly onError: (error: ApiError) => void,
    readonly pageSize = 120,
  ) {}

  /** Shows another filter's images from the top. */
  show(filter: ImageFilter): Promise<void> {
    this.filter = filter;
    this.generation++;
    this.pages.clear();
    this.loading.clear();
    return this.load(0);
  }

  /** Fetches the pages that hold these image positions (those in view), unless they are here or on their way. */
  need(positions: number[]): Promise<void> {
    if (positions.length === 0) return Promise.resolve();
    const from = Math.floor(Math.min(...positions) / this.pageSize);
    const to = Math.floor(Math.max(...positions) / this.pageSize);
    const loads: Array<Promise<void>> = [];
    for (let page = from; page <= to; page++) loads.push(this.load(page));
    return Promise.all(loads).then(() => undefined);
  }

  /** The image at a position with its pixels (`bytes` per image), or undefined until its page has come. */
  at(position: number, bytes: number): { item: ImageItem; pixels: Uint8Array } | undefined {
    const page = this.pages.get(Math.floor(position / this.pageSize));
    const k = position % this.pageSize;
    const item = page?.items[k];
    return item && page ? { item, pixels: page.pixels.subarray(k * bytes, (k + 1) * bytes) } : undefined;
  }

  private async load(page: number): Promise<void> {
    const filter = this.filter;
    if (!filter || this.pages.has(page) || this.loading.has(page)) return;
    const generation = this.generation;
    this.loading.add(page);
    const reply = await this.api.datasets.images({ ...filter, offset: page * this.pageSize, limit: this.pageSize });
    if (generation !== this.generation) return;
    this.loading.delete(page);
    if (!reply.ok) return this.onError(reply.error);
    this.total = reply.value.total;
    this.pages.set(page, { items: reply.value.images, pixels: decodeBase64(reply.value.pixels) });
  }
}
