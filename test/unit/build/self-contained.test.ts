import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRoot } from '../../../src-main/app/paths';
import { foreignLibraries, runWithoutSystemLibraries } from '../../../scripts/package-check';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * The two checks `npm run package:check` runs on every packaged addon, shown to tell a self-contained library from one
 * that needs the build machine's: a small library linked against the system's libjpeg, as our JPEG addon used to be,
 * and our CPU kernels as they are built now (OpenBLAS linked in).
 */
describe('self-contained native code', () => {
  const tempDir = useTempDirs();
  const kernels = join(appRoot(), 'src-main', 'engine', 'native', 'build', 'Release', 'ae_kernels.node');
  const jpegAddon = join(appRoot(), 'src-main', 'datasets', 'native', 'build', 'Release', 'ae_images.node');

  function systemLinked(): string {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'probe.c'),
      '#include <stdio.h>\n#include <jpeglib.h>\nvoid *probe(void) { static struct jpeg_error_mgr e; return jpeg_std_error(&e); }\n',
    );
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'probe.so'), join(dir, 'probe.c'), '-ljpeg']);
    return join(dir, 'probe.so');
  }

  const load = (library: string) =>
    runWithoutSystemLibraries(
      [process.execPath, '-e', `process.dlopen({ exports: {} }, ${JSON.stringify(library)})`],
      tempDir(),
    );

  it('ldd names what a library needs from outside its package, and nothing for ours', () => {
    const probe = systemLinked();
    expect(foreignLibraries(probe, join(probe, '..'))).toEqual([expect.stringMatching(/^libjpeg\.so\.62 => \/.+/)]);
    expect(foreignLibraries(kernels, appRoot())).toEqual([]);
    // The JPEG addon's libjpeg-turbo sits beside it, inside the package.
    expect(foreignLibraries(jpegAddon, appRoot())).toEqual([]);
  });

  it('with the system libraries hidden, a library that needs them does not load, and ours do', () => {
    const refused = load(systemLinked());
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/libjpeg\.so\.62: (file too short|cannot open shared object file)/);
    for (const ours of [kernels, jpegAddon]) {
      const loaded = load(ours);
      expect(loaded.stderr).toBe('');
      expect(loaded.status).toBe(0);
    }
  });
});
