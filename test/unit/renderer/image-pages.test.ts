import { describe, expect, it } from 'vitest';
import type { Api } from '../../../src-main/api/client';
import type { ApiError } from '../../../src-main/api/contract';
import { ImagePages } from '../../../src-renderer/state/image-pages.svelte';
import { createFashionSubset, loadFashionSample } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';
import { openRendererApi } from '../../helpers/renderer-api';

/** The dataset image browser's paging against the real services: pages come as they are needed, filters start over. */
describe('browsing a dataset a page at a time', () => {
  const tempDir = useTempDirs();

  it('fetches the pages in view, follows a new filter, and drops pages of the filter it left', async () => {
    const dataDir = tempDir();
    const { api, services } = openRendererApi(dataDir);
    try {
      const datasetId = createFashionSubset(services.db, dataDir, 250, 50);
      const errors: ApiError[] = [];
      // The class-3 pages answer late, as a slow page would: after the next filter's.
      const slowClass3: Api = {
        ...api,
        datasets: {
          ...api.datasets,
          images: async (query) => {
            if (query.label === 3) await new Promise((resolve) => setTimeout(resolve, 200));
            return api.datasets.images(query);
          },
        },
      };
      const images = new ImagePages(slowClass3, (error) => errors.push(error), 100);
      const bytes = 28 * 28;

      await images.show({ datasetId, split: 'train' });
      expect(images.total).toBe(250);
      expect(images.at(99, bytes)?.item.fileName).toBe('image-99.png');
      expect(images.at(150, bytes)).toBeUndefined();
      await images.need([140, 210]);
      expect(images.at(150, bytes)?.item.fileName).toBe('image-150.png');
      expect(images.at(249, bytes)?.item.fileName).toBe('image-249.png');
      // The pixels are the image's own.
      const { pixels } = loadFashionSample();
      expect(images.at(210, bytes)?.pixels).toEqual(pixels.subarray(210 * bytes, 211 * bytes));

      // Left for another filter before its first page came, which then arrives last: it is not shown.
      const trouserCount = loadFashionSample()
        .labels.subarray(250, 300)
        .filter((label) => label === 1).length;
      const left = images.show({ datasetId, split: 'train', label: 3 });
      await images.show({ datasetId, split: 'test', label: 1 });
      await left;
      expect(images.total).toBe(trouserCount);
      expect(images.at(0, bytes)?.item.label).toBe(1);
      // Test images come after the 250 training images in this set.
      expect(Number(images.at(0, bytes)?.item.fileName.match(/\d+/)?.[0])).toBeGreaterThanOrEqual(250);

      await images.show({ datasetId: 999, split: 'train' });
      expect(errors.map((error) => error.code)).toEqual(['not_found']);
    } finally {
      await services.close();
    }
  }, 30_000);
});
