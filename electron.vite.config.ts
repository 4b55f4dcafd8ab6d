import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // The worker process is its own entry: Electron starts it in a utilityProcess.
        input: {
          index: resolve('src-main/electron/main.ts'),
          worker: resolve('src-main/worker/worker-main.ts'),
          // Worker threads that decode JPEGs during imports.
          'jpeg-worker': resolve('src-main/datasets/jpeg-worker.ts'),
          // The command line and browser mode (bin/ae-studio.mjs), on the same bundles as the desktop app.
          cli: resolve('src-main/cli/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: {
          index: resolve('src-preload/index.ts'),
          // The hidden GPU window's: hands each training port to its page.
          'gpu-host': resolve('src-preload/gpu-host.ts'),
        },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    // Relative asset paths, so the same build loads from app:// (Electron) and http:// (browser mode).
    base: './',
    build: {
      minify: true,
      rolldownOptions: {
        input: {
          index: resolve('src-renderer/index.html'),
          // The desktop app's hidden GPU window: trains on Chromium's WebGPU in a dedicated worker.
          'gpu-host': resolve('src-renderer/gpu-host.html'),
        },
      },
    },
    plugins: [svelte()],
  },
});
