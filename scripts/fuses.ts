/**
 * Electron fuses: switches compiled into the Electron binary, flipped once when the app is packaged, that turn off
 * ways to make the shipped binary run something other than our app. Each, and why:
 *  - RunAsNode off: ELECTRON_RUN_AS_NODE would turn the app into a plain Node.js that runs any script.
 *  - EnableCookieEncryption on: cookies on disk are encrypted with the OS key store.
 *  - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS could preload code into the main process.
 *  - EnableNodeCliInspectArguments off: --inspect would open a debugger on the main process.
 *  - EnableEmbeddedAsarIntegrityValidation on, OnlyLoadAppFromAsar on: the app's code is the signed archive, nothing
 *    beside it.
 *  - GrantFileProtocolExtraPrivileges off: the renderer loads from app://, so file:// needs no special powers.
 *
 * The packager calls flipAppFuses on the packaged Electron executable (an afterPack hook).
 */
import { FuseV1Options, FuseVersion, flipFuses, type FuseConfig } from '@electron/fuses';

export const fuseConfig: FuseConfig = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** Flips the fuses of one Electron executable in place; resolves with the number of fuse wires changed. */
export function flipAppFuses(electronExecutable: string): Promise<number> {
  // A macOS binary must be re-signed (ad hoc) after its bytes change, or it will not start.
  return flipFuses(electronExecutable, { ...fuseConfig, resetAdHocDarwinSignature: process.platform === 'darwin' });
}
