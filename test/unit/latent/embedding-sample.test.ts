import { describe, expect, it } from 'vitest';
import { samplePositionsOf } from '../../../src-main/latent/encode';
import { describeImagesOf } from '../../../src-main/api/contract';
import { stratifiedSample } from '../../../src-main/datasets/split';

describe('a sample of a split', () => {
  // 3 classes: 40 images of class 0, 30 of class 1, 5 of class 2, interleaved.
  const labels = Int32Array.from({ length: 75 }, (_, i) => (i < 15 ? i % 3 : i < 75 - 25 ? i % 2 : 0));
  const count = (picked: Int32Array, label: number) => Array.from(picked).filter((i) => labels[i] === label).length;

  it('draws N distinct images at random, ascending, the same for the same seed and others for another', () => {
    const picked = samplePositionsOf(labels, { count: 20, perClass: false, seed: 1 });
    expect(picked).toHaveLength(20);
    expect(new Set(picked).size).toBe(20);
    expect(Array.from(picked)).toEqual([...picked].sort((a, b) => a - b));
    expect(samplePositionsOf(labels, { count: 20, perClass: false, seed: 1 })).toEqual(picked);
    expect(samplePositionsOf(labels, { count: 20, perClass: false, seed: 2 })).not.toEqual(picked);
    expect(samplePositionsOf(labels, { count: 500, perClass: false, seed: 1 })).toHaveLength(75);
  });

  it('draws N of each class, all of a class with fewer', () => {
    const picked = samplePositionsOf(labels, { count: 10, perClass: true, seed: 3 });
    const classes = [0, 1, 2].map((label) => labels.filter((l) => l === label).length);
    expect([0, 1, 2].map((label) => count(picked, label))).toEqual(classes.map((n) => Math.min(10, n)));
  });

  it('says in words what a map is of', () => {
    expect(describeImagesOf('test', { count: 500, perClass: false, seed: 1 })).toBe('500 random test images');
    expect(describeImagesOf('train', { count: 50, perClass: true, seed: 1 })).toBe(
      '50 per class of the training images',
    );
    expect(describeImagesOf('all', null)).toBe('all images');
  });
});

describe('a subset of the training split', () => {
  // 60 of class 0, 30 of class 1, 10 of class 2.
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? 2 : i % 10 >= 6 ? 1 : 0));

  it('takes exactly N, each class in its share, the same for the same seed', () => {
    const picked = stratifiedSample(labels, 25, 4);
    expect(picked).toHaveLength(25);
    expect(new Set(picked).size).toBe(25);
    // 15, 7.5 and 2.5 images: the half-images go to the lower classes first, as largest remainders tie.
    expect([0, 1, 2].map((label) => Array.from(picked).filter((i) => labels[i] === label).length)).toEqual([15, 8, 2]);
    expect(stratifiedSample(labels, 25, 4)).toEqual(picked);
    expect(stratifiedSample(labels, 25, 5)).not.toEqual(picked);
    expect(stratifiedSample(labels, 500, 4)).toHaveLength(100);
  });
});
