/**
 * Builds the unpacked Linux package (`electron-builder --dir`) and checks what is inside it:
 *
 *   npm run package:check
 *
 * Electron's binary cannot be downloaded here, so the package is built against a stand-in for Electron's unpacked
 * distribution (electron-builder's electronDist option): a folder whose `electron` file only fills the executable's
 * slot. It carries Electron's fuse wire so the packaging hook's fuse flips can be checked, and it is never run.
 * Checked, with the real archive reader (@electron/asar): the main, preload and renderer bundles are inside; no
 * devDependency is; every module the main and worker bundles import resolves inside the package; each native addon
 * sits unpacked and loads under this Node from there; the sample dataset is there; the fuses are flipped; the package
 * stays under maxPackageBytes.
 *
 * And that it is self-contained (Linux): `ldd` finds every library an addon needs inside the package or among the
 * few a desktop always has (glibc, libstdc++, libgcc_s); and in a private mount namespace where the system's copies of
 * OpenBLAS, libjpeg, libgfortran, libquadmath and libvulkan are covered by an empty file (as on a clean machine), every
 * addon still loads from the package and the packaged worker still chooses the Native CPU engine.
 *
 *   npm run package:check [-- --out DIR]   (--out: keep the unpacked package in DIR)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { builtinModules } from 'node:module';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as asar from '@electron/asar';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { build, Platform } from 'electron-builder';
import { folderBytes } from '../src-main/app/files';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The unpacked Linux package may be at most this large (measured: see docs/packaging.md). */
export const maxPackageBytes = 200e6;

export interface PackageReport {
  appDir: string;
  bytes: number;
  problems: string[];
  addons: string[];
  modules: number;
}

/** Electron's executable slot: a few bytes around the fuse wire at Electron's defaults. Never run. */
function standInElectron(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const wire = Buffer.from('111001011', 'latin1');
  const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'latin1');
  const body = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "Stand-in for the Electron binary; not an app." >&2\nexit 1\n'),
    randomBytes(1024),
    sentinel,
    Buffer.from([1, wire.length]),
    wire,
  ]);
  writeFileSync(join(dir, 'electron'), body);
  chmodSync(join(dir, 'electron'), 0o755);
}

/** Bare module names a bundle imports (static, dynamic or require), without Node's built-ins and Electron. */
function importedModules(code: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /^\s*import\s[^;]*?\bfrom\s*["']([^"'\s]+)["']/gm,
    /^\s*export\s[^;]*?\bfrom\s*["']([^"'\s]+)["']/gm,
    /^\s*import\s*["']([^"'\s]+)["']/gm,
    /\bimport\(\s*["']([^"'\s]+)["']\s*\)/g,
    /\brequire\(\s*["']([^"'\s]+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) names.add(match[1]);
  const packageName = /^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/;
  return [...names].filter((name) => {
    if (!packageName.test(name) && !name.startsWith('node:')) return false;
    if (name.startsWith('.')) return false;
    const bare = name.replace(/^node:/, '');
    return !name.startsWith('node:') && !builtinModules.includes(bare.split('/')[0]) && name !== 'electron';
  });
}

/** Libraries every Linux desktop has, which an addon may need from the system; anything else must be in the package. */
const systemLibraries = new Set([
  'linux-vdso.so.1',
  'libc.so.6',
  'libresolv.so.2',
  'libm.so.6',
  'libdl.so.2',
  'librt.so.1',
  'libpthread.so.0',
  'libstdc++.so.6',
  'libgcc_s.so.1',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
]);

/** What `ldd` says an addon needs that is neither in the package nor a library every desktop has. */
export function foreignLibraries(addon: string, packageDir: string): string[] {
  const listed = spawnSync('ldd', [addon], { encoding: 'utf8' });
  if (listed.status !== 0) return [`ldd failed: ${listed.stderr.trim()}`];
  return listed.stdout
    .trim()
    .split('\n')
    .map((line) => /^\s*(\S+)(?:\s+=>\s+(\S+|not found))?/.exec(line)!)
    .filter(([, name, path]) => {
      const soname = name.split('/').at(-1)!;
      if (systemLibraries.has(soname)) return false;
      return !(path && path !== 'not found' && path.startsWith(packageDir + sep));
    })
    .map(([, name, path]) => (path ? `${name} => ${path}` : name));
}

/** The system's copies of the libraries a clean machine lacks: what the self-contained check hides. */
function systemCopies(): string[] {
  const hidden = /^lib(openblas|blas|lapack|jpeg|gfortran|quadmath|vulkan)[\w.-]*\.so(\.\d+)*$/;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  const found = new Set<string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && /openblas|blas|lapack/.test(entry.name)) {
        for (const inner of readdirSync(join(dir, entry.name))) {
          if (hidden.test(inner)) found.add(join(dir, entry.name, inner));
        }
      } else if (hidden.test(entry.name)) found.add(join(dir, entry.name));
    }
  }
  return [...found];
}

/** Runs `command` in a private mount namespace where each of the system's copies is covered by an empty file. */
export function runWithoutSystemLibraries(command: string[], cwd: string) {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const hide = systemCopies().map((file) => `mount --bind /dev/null ${quote(file)}`);
  const script = ['set -e', ...hide, `exec ${command.map(quote).join(' ')}`].join('\n');
  // As root a mount namespace of our own; otherwise inside a user namespace too, where the kernel allows it.
  const asRoot = process.getuid?.() === 0;
  return spawnSync('unshare', [...(asRoot ? ['-m'] : ['-r', '-m']), '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    cwd,
  });
}

/**
 * In a private mount namespace with the system's copies hidden: loads each addon and asks the packaged worker bundle
 * which engine it chooses. Returns the problems found.
 */
function checkWithoutSystemLibraries(extracted: string, addons: string[]): string[] {
  const probe = join(extracted, 'self-contained-check.mjs');
  writeFileSync(
    probe,
    `import { fork } from 'node:child_process';
     const problems = [];
     for (const addon of ${JSON.stringify(addons)}) {
       try { process.dlopen({ exports: {} }, addon); }
       catch (err) { problems.push(\`\${addon.slice(${JSON.stringify(extracted.length)})} does not load: \${err.message.split('\\n')[0]}\`); }
     }
     const worker = fork(${JSON.stringify(join(extracted, 'out', 'main', 'worker.js'))}, [], {
       env: { ...process.env, AE_STUDIO_ENGINE: 'native' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
     });
     const engine = await new Promise((resolve) => {
       worker.on('message', (m) => m.type === 'engine' && resolve(m.status));
       worker.on('exit', () => resolve(null));
       worker.send({ type: 'probe' });
     });
     if (engine?.name !== 'native') {
       const why = engine?.unavailable.find((u) => u.name === 'native')?.reason ?? 'the worker gave no answer';
       problems.push(\`the packaged worker fell back from the Native CPU engine to \${engine?.name}: \${why}\`);
     }
     console.log(JSON.stringify(problems));
     process.exit(0);`,
  );
  const ran = runWithoutSystemLibraries([process.execPath, probe], extracted);
  if (ran.status !== 0 || !ran.stdout.trim()) {
    return [
      `could not load the addons with the system libraries hidden (unshare -m needs root, or unprivileged user ` +
        `namespaces): ${(ran.stderr || ran.error?.message || '').trim().split('\n').slice(-2).join(' ')}`,
    ];
  }
  return JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as string[];
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

export async function checkPackage(
  options: { keep?: boolean; out?: string; log?: (line: string) => void } = {},
): Promise<PackageReport> {
  const log = options.log ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), 'ae-studio-package-'));
  const problems: string[] = [];
  try {
    const electronDist = join(work, 'electron-stand-in');
    standInElectron(electronDist);
    const output = join(work, 'dist');
    log('Packaging (electron-builder --linux --dir) against the stand-in Electron…');
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir'),
      config: { extends: join(root, 'electron-builder.yml'), electronDist, directories: { output } },
      publish: 'never',
    });
    const appDir = join(output, 'linux-unpacked');
    const archive = join(appDir, 'resources', 'app.asar');
    const unpacked = `${archive}.unpacked`;
    const entries = new Set(asar.listPackage(archive, { isPack: false }).map((e) => e.split(sep).join('/')));

    for (const required of [
      '/package.json',
      '/out/main/index.js',
      '/out/main/worker.js',
      '/out/main/jpeg-worker.js',
      '/out/preload/index.cjs',
      '/out/preload/gpu-host.cjs',
      '/out/renderer/index.html',
      '/out/renderer/gpu-host.html',
      '/resources/sample/fashion-mnist/t10k-images-idx3-ubyte.gz',
      '/resources/sample/fashion-mnist/t10k-labels-idx1-ubyte.gz',
    ]) {
      if (!entries.has(required)) problems.push(`missing from the archive: ${required}`);
    }

    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const unpackedFiles = new Set(existsSync(unpacked) ? listFiles(unpacked).map((f) => `/${f}`) : []);
    for (const dev of Object.keys(pkg.devDependencies)) {
      const marker = `/node_modules/${dev}/package.json`;
      if (entries.has(marker) || unpackedFiles.has(marker)) problems.push(`a devDependency is packaged: ${dev}`);
    }

    // Every native addon: outside the archive, and loadable from there.
    const addons = [...entries].filter((e) => e.endsWith('.node'));
    for (const addon of addons) {
      const file = join(unpacked, addon);
      if (!existsSync(file)) {
        problems.push(`native addon inside the archive, not unpacked: ${addon}`);
        continue;
      }
      const loaded = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(file)})`], {
        encoding: 'utf8',
      });
      if (loaded.status !== 0) problems.push(`native addon ${addon} does not load: ${loaded.stderr.split('\n')[0]}`);
    }
    for (const expected of ['ae_kernels.node', 'ae_images.node', 'better_sqlite3', 'sharp-linux']) {
      const wanted = expected === 'better_sqlite3' ? '/node_modules/better-sqlite3/prebuilds/' : expected;
      if (!addons.some((a) => a.includes(wanted))) problems.push(`no ${expected} addon in the package`);
    }
    // The desktop app trains on Chromium's WebGPU; Dawn cannot read back inside Electron, so it must not be shipped.
    for (const dawn of addons.filter((a) => a.includes('dawn'))) problems.push(`Dawn is packaged: ${dawn}`);
    for (const foreign of ['win32', 'darwin', 'linux-arm64', 'linuxmusl']) {
      const other = addons.find((a) => a.includes(foreign));
      if (other) problems.push(`another platform's binary is packaged: ${other}`);
    }

    // Every module the bundles import resolves inside the package, as Node resolves it.
    const extracted = join(work, 'extracted');
    asar.extractAll(archive, extracted);
    if (existsSync(unpacked)) cpSync(unpacked, extracted, { recursive: true });
    // Nothing only the devDependencies need: each packaged package (name and version) is one the lockfile lists
    // for production.
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean; name?: string }>;
    };
    const production = new Set(
      Object.entries(lock.packages)
        .filter(([path, info]) => path.startsWith('node_modules/') && !info.dev)
        .map(([path, info]) => `${info.name ?? path.slice(path.lastIndexOf('node_modules/') + 13)}@${info.version}`),
    );
    for (const file of listFiles(join(extracted, 'node_modules'))) {
      if (!/(^|\/)node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(`node_modules/${file}`)) continue;
      const manifest = JSON.parse(readFileSync(join(extracted, 'node_modules', file), 'utf8')) as {
        name?: string;
        version?: string;
      };
      const id = `${manifest.name}@${manifest.version}`;
      if (manifest.name && manifest.version && !production.has(id)) {
        problems.push(`a package only development needs is packaged: ${id}`);
      }
    }
    const bundleDir = join(extracted, 'out', 'main');
    const bundles = listFiles(bundleDir).filter((f) => f.endsWith('.js'));
    const modules = [...new Set(bundles.flatMap((f) => importedModules(readFileSync(join(bundleDir, f), 'utf8'))))];
    const resolver = join(bundleDir, 'resolve-check.mjs');
    writeFileSync(
      resolver,
      `for (const name of ${JSON.stringify(modules)}) {
         try { console.log(JSON.stringify([name, import.meta.resolve(name)])); }
         catch (err) { console.log(JSON.stringify([name, null, err.message])); }
       }`,
    );
    const resolved = spawnSync(process.execPath, [resolver], { encoding: 'utf8' });
    for (const line of resolved.stdout.trim().split('\n').filter(Boolean)) {
      const [name, url, error] = JSON.parse(line) as [string, string | null, string?];
      if (!url) problems.push(`the bundles import "${name}", which does not resolve in the package: ${error}`);
      else if (!fileURLToPath(url).startsWith(extracted + sep)) {
        problems.push(`"${name}" resolves outside the package: ${url}`);
      }
    }
    if (!pkg.dependencies.sharp || !modules.includes('sharp')) problems.push('the bundles should import sharp');

    // Self-contained: nothing an addon needs comes from the build machine (ldd), and with the system's copies hidden
    // every addon still loads and the engine does not fall back.
    for (const addon of addons) {
      for (const foreign of foreignLibraries(join(unpacked, addon), appDir)) {
        problems.push(`${addon} needs a library from outside the package: ${foreign}`);
      }
    }
    const hiddenChecked = checkWithoutSystemLibraries(
      extracted,
      addons.map((addon) => join(extracted, addon)),
    );
    problems.push(...hiddenChecked);
    log(
      `With the system's ${systemCopies().length} copies of OpenBLAS, libjpeg, libgfortran, libquadmath and libvulkan hidden: ${hiddenChecked.length ? 'problems' : 'every addon loads and the engine is Native CPU'}.`,
    );

    const fuses = await getCurrentFuseWire(join(appDir, 'autoencoder-studio'));
    if (fuses[FuseV1Options.RunAsNode] !== FuseState.DISABLE) problems.push('the RunAsNode fuse is not off');
    if (fuses[FuseV1Options.OnlyLoadAppFromAsar] !== FuseState.ENABLE) problems.push('OnlyLoadAppFromAsar is not on');

    const bytes = folderBytes(appDir);
    if (bytes > maxPackageBytes) {
      problems.push(`the package is ${(bytes / 1e6).toFixed(0)} MB, over ${(maxPackageBytes / 1e6).toFixed(0)} MB`);
    }
    log(
      `Package: ${(bytes / 1e6).toFixed(1)} MB, ${entries.size} archive entries, ${addons.length} native addons, ${modules.length} modules imported by the bundles.`,
    );
    if (options.out) {
      rmSync(options.out, { recursive: true, force: true });
      cpSync(appDir, options.out, { recursive: true, verbatimSymlinks: true });
      log(`The unpacked package is in ${options.out}`);
    }
    return { appDir: relative(work, appDir), bytes, problems, addons, modules: modules.length };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
    else log(`Kept ${work}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { keep: { type: 'boolean' }, out: { type: 'string' } } });
  const report = await checkPackage({
    keep: values.keep,
    out: values.out ? resolve(values.out) : undefined,
    log: (line) => console.log(line),
  });
  for (const addon of report.addons) console.log(`  addon ${addon}`);
  for (const problem of report.problems) console.error(`Problem: ${problem}`);
  console.log(report.problems.length ? `${report.problems.length} problems.` : 'The package is complete.');
  process.exit(report.problems.length ? 1 : 0);
}
