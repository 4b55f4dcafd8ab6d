/**
 * How our addons get OpenBLAS and libjpeg-turbo so that a desktop install needs neither library (nor OpenBLAS's
 * libgfortran), measured on Debian 12:
 * - OpenBLAS: linked statically. Debian's archive is position-independent and built with DYNAMIC_ARCH, so the static
 *   copy still picks the CPU's own kernels at run time (checked: Haswell, Cooperlake), and only CBLAS is pulled in, so
 *   no Fortran runtime comes with it. The addon grows from 78 KB to 25 MB.
 * - libjpeg-turbo on Linux: Debian's libjpeg.a (and libturbojpeg.a) are not position-independent, so they cannot go
 *   into a shared object: the shared libjpeg.so.62 (400 KB) is copied beside the addon, which finds it through an
 *   $ORIGIN rpath (binding.gyp). On macOS (Homebrew) and Windows (vcpkg's static triplet) it is linked statically.
 * Where no static archive is found, the shared library is linked and a warning says an install will need it;
 * `npm run package:check` refuses such a package.
 *
 *   node scripts/native-libs.mjs <openblas|jpeg> <link|include>   (for binding.gyp: `<!@(node … openblas link)`)
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';
const vcpkg = process.env.VCPKG_ROOT ? join(process.env.VCPKG_ROOT, 'installed', `${process.arch}-windows-static`) : '';
const libDirs = [`/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib'];

const archives = {
  linux: {
    openblas: [...libDirs.map((dir) => `${dir}/libopenblas.a`), `/usr/lib/${triplet}/openblas-pthread/libopenblas.a`],
    jpeg: [],
  },
  darwin: {
    openblas: ['/opt/homebrew/opt/openblas/lib/libopenblas.a', '/usr/local/opt/openblas/lib/libopenblas.a'],
    jpeg: ['/opt/homebrew/opt/jpeg-turbo/lib/libjpeg.a', '/usr/local/opt/jpeg-turbo/lib/libjpeg.a'],
  },
  win32: {
    openblas: vcpkg ? [join(vcpkg, 'lib', 'openblas.lib')] : [],
    jpeg: vcpkg ? [join(vcpkg, 'lib', 'jpeg.lib')] : [],
  },
};
/** Shared libraries copied beside an addon (found there through its $ORIGIN rpath), by their sonames. */
const bundled = { linux: { openblas: [], jpeg: ['libjpeg.so.62'] } };
const shared = { openblas: '-lopenblas', jpeg: '-ljpeg' };

const first = (paths) => paths.find((path) => existsSync(path));

/** The shared libraries to copy beside the addon that links `library`: [{ soname, path }]. */
export function bundledLibraries(library, platform = process.platform) {
  return (bundled[platform]?.[library] ?? []).map((soname) => {
    const path = first(libDirs.map((dir) => `${dir}/${soname}`));
    if (!path) throw new Error(`${soname} was not found (Debian/Ubuntu: sudo apt install libjpeg-dev)`);
    return { soname, path: realpathSync(path) };
  });
}

/** The linker arguments for `library`. */
export function linkArgs(library, platform = process.platform) {
  const archive = first(archives[platform]?.[library] ?? []);
  // --exclude-libs: the archive's symbols stay private to the addon, so they cannot clash with another copy.
  if (archive) return [realpathSync(archive), ...(platform === 'linux' ? ['-Wl,--exclude-libs,ALL'] : [])];
  const beside = bundledLibraries(library, platform);
  if (beside.length > 0) return beside.map((lib) => lib.path);
  console.error(
    `[autoencoder-studio] No static ${library} library found; linking the shared one, which a desktop install ` +
      'would then need (npm run package:check refuses such a package).',
  );
  return [shared[library]];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [library, what] = process.argv.slice(2);
  if (!(library in shared) || !['link', 'include'].includes(what)) {
    console.error('usage: node scripts/native-libs.mjs <openblas|jpeg> <link|include>');
    process.exit(2);
  }
  // Linux and macOS name their include folders in binding.gyp; Windows takes vcpkg's.
  if (what === 'include') console.log(process.platform === 'win32' && vcpkg ? join(vcpkg, 'include') : '');
  else console.log(linkArgs(library).join(' '));
}
