import { describe, expect, it } from 'vitest';
import { LatestAnswer } from '../../../src-renderer/lib/latest-answer';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('latest answer wins', () => {
  it('uses the answer to the last question even when an earlier one arrives after it', async () => {
    const latest = new LatestAnswer();
    const shown: string[] = [];
    const slow = latest.take(after(40, 'epoch 1'), (value) => shown.push(value));
    const fast = latest.take(after(5, 'epoch 2'), (value) => shown.push(value));
    await Promise.all([slow, fast]);
    expect(shown).toEqual(['epoch 2']);
  });

  it('uses each answer when they come back in the order asked, and none once forgotten', async () => {
    const latest = new LatestAnswer();
    const shown: number[] = [];
    await latest.take(after(1, 1), (value) => shown.push(value));
    await latest.take(after(1, 2), (value) => shown.push(value));
    const dropped = latest.take(after(5, 3), (value) => shown.push(value));
    latest.forget();
    await dropped;
    expect(shown).toEqual([1, 2]);
  });
});
