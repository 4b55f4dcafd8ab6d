import { describeImagesOf, type ProjectionSummary } from '../../src-main/api/contract';
import { formatCount } from './format';

/** A map in words, for its picker and its exported figure: "#4 · t-SNE, perplexity 30 · 2,000 test images · epoch 3". */
export function describeProjection(p: ProjectionSummary): string {
  const what =
    p.settings.method === 'tsne'
      ? `t-SNE, perplexity ${p.settings.perplexity}`
      : p.settings.method === 'umap'
        ? `UMAP, ${p.settings.nNeighbors} neighbours, min. distance ${p.settings.minDist}`
        : 'PCA';
  const images = p.sample
    ? describeImagesOf(p.split, p.sample)
    : `${formatCount(p.count)} ${p.split === 'all' ? 'images' : `${p.split} images`}`;
  return `#${p.id} · ${what} · ${images} · epoch ${p.epoch}`;
}
