import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gracefulShutdown } from '../../../src-main/app/shutdown';

/** The one way the app ends (Electron's before-quit, SIGTERM in browser mode and the CLI), as plain logic. */
describe('graceful shutdown', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setUp(stop: () => Promise<void>) {
    const events: string[] = [];
    const shutdown = gracefulShutdown({
      stop: () => {
        events.push('stop');
        return stop();
      },
      end: () => events.push('end'),
      timeoutMs: 20_000,
      warn: (message) => events.push(`warn: ${message}`),
    });
    return { shutdown, events };
  }

  it('holds the first quit, stops the work once, then ends; the quit that follows goes through', async () => {
    let finish!: () => void;
    const { shutdown, events } = setUp(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(shutdown.request()).toBe(true);
    // Cmd+Q pressed again while the run saves its checkpoint: still held, nothing started twice.
    expect(shutdown.request()).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(events).toEqual(['stop']);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['stop', 'end']);
    // `end` quits again (Electron), and this time the quit may go through.
    expect(shutdown.request()).toBe(false);
    expect(events).toEqual(['stop', 'end']);
  });

  it('ends anyway, saying so, when the work does not stop in time or fails to', async () => {
    const hung = setUp(() => new Promise<void>(() => {}));
    hung.shutdown.request();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(hung.events).toEqual(['stop']);
    await vi.advanceTimersByTimeAsync(1);
    expect(hung.events).toEqual(['stop', 'warn: The work did not stop within 20 s; ending anyway.', 'end']);

    const failing = setUp(() => Promise.reject(new Error('disk full')));
    failing.shutdown.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.events).toEqual(['stop', 'warn: Stopping the work failed: disk full', 'end']);
  });
});
