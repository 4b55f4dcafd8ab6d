import { describe, expect, it } from 'vitest';
import { bridgeMissingMessage, chooseTransport } from '../../../src-renderer/lib/transport-choice';

/** How a page reaches the app, and what a desktop window without its preload bridge says. */
describe('choosing the transport', () => {
  it('uses the preload bridge when there is one, wherever the page came from', () => {
    expect(chooseTransport({ hasBridge: true, protocol: 'app:' })).toBe('bridge');
    expect(chooseTransport({ hasBridge: true, protocol: 'http:' })).toBe('bridge');
  });

  it('uses browser mode’s WebSocket for a page from a server, and says the bridge is missing under app://', () => {
    expect(chooseTransport({ hasBridge: false, protocol: 'http:' })).toBe('websocket');
    expect(chooseTransport({ hasBridge: false, protocol: 'app:' })).toBe('bridge-missing');
    expect(bridgeMissingMessage).toMatch(/^The desktop bridge did not load/);
  });
});
