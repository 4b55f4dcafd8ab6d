import type Sharp from 'sharp';
import { UserError } from '../api/errors';

type SharpModule = typeof Sharp;

let loading: Promise<SharpModule> | undefined;

/**
 * sharp (libvips), loaded on first use rather than at start-up: its native binary exists only for the processor it
 * was installed for, so an app package made for another one (an x64 disk image on an Apple-silicon Mac) still opens,
 * and says what is wrong when an image is first decoded or drawn instead of crashing at launch. `load` is for tests.
 */
export function loadSharp(load: () => Promise<{ default: SharpModule }> = () => import('sharp')): Promise<SharpModule> {
  loading ??= load().then(
    (module) => module.default,
    (err: unknown) => {
      loading = undefined;
      const why = ((err as Error)?.message ?? String(err)).split('\n')[0];
      throw new UserError(
        'unsupported',
        `The image library (sharp) does not load on this computer (${process.platform}-${process.arch}): ${why}. ` +
          "Install the Autoencoder Studio download made for this computer's processor.",
      );
    },
  );
  return loading;
}
