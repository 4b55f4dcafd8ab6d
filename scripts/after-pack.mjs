// electron-builder's afterPack hook: flips Electron's fuses in the packaged executable (see scripts/fuses.ts).
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

export default async function afterPack(context) {
  const { flipAppFuses } = await tsImport('./fuses.ts', import.meta.url);
  const name = context.packager.appInfo.productFilename;
  const executable = {
    darwin: join(context.appOutDir, `${name}.app`, 'Contents', 'MacOS', name),
    win32: join(context.appOutDir, `${name}.exe`),
    linux: join(context.appOutDir, context.packager.executableName),
  }[context.electronPlatformName];
  await flipAppFuses(executable);
}
