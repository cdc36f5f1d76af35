// The service worker: keeps this version of the app on the phone, so that it opens without a network.
// The gateway fills in the version and the list of files when it serves this file (gateway/webapp/routes.py).
// Data is not cached here: the app keeps the last values itself, with their time, to show how old they are.

const VERSION = "__VERSION__";
const ASSETS = "__ASSETS__";
const CACHE = `app-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  // The app's own files from the cache (its screens are all "/", told apart by the #); the rest, the API and
  // /docs among it, from the network.
  if (!ASSETS.includes(url.pathname)) return;
  event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(event.request)));
});
