/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { Api } from '../src-main/api/client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    api?: Api;
  }
}
