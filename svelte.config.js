import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // Absolute asset paths, so the service worker can serve one cached shell for any page while offline.
    paths: { relative: false },
    // One script for the whole app: an offline start then reads one file from the service worker's
    // cache instead of a chain of chunks found one after another (SPEC R99).
    output: { bundleStrategy: 'single' }
  }
};

export default config;
