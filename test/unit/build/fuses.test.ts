import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { flipAppFuses } from '../../../scripts/fuses';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * The Electron binary cannot be downloaded here, so the fuses are flipped on a stand-in with the binary's fuse layout
 * (the sentinel, the wire's version and length, one byte per fuse, all at Electron's defaults) inside random bytes,
 * and read back with the library's own reader. The stand-in is never run.
 */
function standInBinary(path: string): void {
  // Electron's defaults: RunAsNode, cookie encryption off, NODE_OPTIONS, --inspect, integrity off, asar-only off,
  // browser snapshot off, file:// privileges on, wasm trap handlers on.
  const wire = Buffer.from('111001011', 'latin1');
  const fuses = Buffer.concat([
    Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'latin1'),
    Buffer.from([1, wire.length]),
    wire,
  ]);
  writeFileSync(path, Buffer.concat([randomBytes(4096), fuses, randomBytes(4096)]));
}

describe('Electron fuses at packaging', () => {
  const tempDir = useTempDirs();

  it('turns off RunAsNode, NODE_OPTIONS, --inspect and file:// privileges, and turns on cookie encryption and asar checks', async () => {
    const binary = join(tempDir(), 'electron');
    standInBinary(binary);
    const before = await getCurrentFuseWire(binary);
    expect(before[FuseV1Options.RunAsNode]).toBe(FuseState.ENABLE);
    await flipAppFuses(binary);
    const after = await getCurrentFuseWire(binary);
    expect(after).toMatchObject({
      [FuseV1Options.RunAsNode]: FuseState.DISABLE,
      [FuseV1Options.EnableCookieEncryption]: FuseState.ENABLE,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: FuseState.DISABLE,
      [FuseV1Options.EnableNodeCliInspectArguments]: FuseState.DISABLE,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: FuseState.ENABLE,
      [FuseV1Options.OnlyLoadAppFromAsar]: FuseState.ENABLE,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: FuseState.DISABLE,
      // Left as Electron ships them.
      [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: FuseState.DISABLE,
      [FuseV1Options.WasmTrapHandlers]: FuseState.ENABLE,
    });
  });
});
