// Plain JavaScript: SvelteKit keeps the service worker out of the app's tsconfig (it runs with the
// webworker lib, not the DOM), so the type-aware lint rules for src/**/*.ts cannot parse it.
import { build, files, version } from '$service-worker';

/**
 * Lets Parley open with no server (design §2, SPEC R18): the built app is cached, and any page is served
 * from the cached app shell when the network fails; the page then loads its documents from IndexedDB.
 * The REST API and the WebSocket never go through the cache: stale answers there would be worse than none.
 */
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = `parley-${version}`;
const SHELL = '/';
const ASSETS = [...build, ...files];
const ASSET_PATHS = new Set(ASSETS);

/** @type {Promise<Cache> | null} */
let opened = null;
/** This version's cache, opened once for all the requests this worker answers (SPEC R99). */
const openCache = () => (opened ??= caches.open(CACHE));

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...ASSETS, SHELL]);
      await sw.skipWaiting();
    })()
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await sw.clients.claim();
    })()
  );
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/ws')) return;

  if (ASSET_PATHS.has(url.pathname)) {
    // Built files are content-hashed, so the cached copy is always the right one.
    event.respondWith(
      openCache()
        .then((cache) => cache.match(url.pathname))
        .then((cached) => cached ?? fetch(request))
    );
    return;
  }

  if (request.mode === 'navigate') {
    event.respondWith(navigate(request, url));
  }
});

/**
 * Online: always the server's page, kept for later. Offline: the copy of that same page, or else the
 * root shell (asset paths are absolute, so it boots at any path). The shell holds no user data (ssr is off), so keeping it is safe.
 *
 * @param {Request} request
 * @param {URL} url
 * @returns {Promise<Response>}
 */
async function navigate(request, url) {
  const cache = await openCache();
  const key = url.origin + url.pathname;
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') await cache.put(key, response.clone());
    return response;
  } catch {
    const own = await cache.match(key);
    if (own) return own;
    return (await cache.match(SHELL)) ?? Response.error();
  }
}
