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

// Alerts (issue 15). A push carries one incident's words in the reader's language (gateway/notify/webpush.py):
// shown with the incident as its tag, so that a newer message of the same incident replaces the older one and
// rings again, and kept on the screen until the farmer does something with it.
self.addEventListener("push", (event) => {
  event.waitUntil(showAlert(event.data));
});

async function showAlert(data) {
  let alert = null;
  try {
    alert = data?.json() ?? null;
  } catch {
    // not ours: still shown (the browser requires it), in both languages since we cannot tell which
  }
  if (!alert?.incident_id) {
    return self.registration.showNotification("Nhà màng · Greenhouses", {
      body: "Mở ứng dụng để xem cảnh báo · Open the app to see the alert",
      icon: "/static/icons/icon-192.png",
      data: { url: "/" },
    });
  }
  return self.registration.showNotification(alert.title, {
    body: alert.body,
    tag: alert.incident_id,
    renotify: true,
    requireInteraction: true,
    icon: "/static/icons/icon-192.png",
    data: alert,
    actions: alert.actions ?? [],
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data ?? {};
  event.waitUntil(event.action === "ack" && data.ack_url ? ackFrom(event.notification) : openApp(data.url ?? "/"));
});

// "Đã biết" on the notification: the same acknowledgement as the button in the alerts list. The ack URL is itself
// the permission (no session, so no cookie: a cookie would make the gateway ask for the page's CSRF token). The
// gateway's answer, in the reader's words, replaces the alert quietly; without one (no network), the app opens
// at the alerts list, whose button does the same.
async function ackFrom(notification) {
  const data = notification.data;
  let res;
  try {
    res = await fetch(data.ack_url, { method: "POST", credentials: "omit", cache: "no-store" });
  } catch {
    return openApp(data.url);
  }
  let said = "";
  try {
    const body = await res.json();
    said = body.said ?? (typeof body.detail === "string" ? body.detail : "");
  } catch {
    // no words: nothing more to show
  }
  if (!res.ok && res.status !== 410 && res.status !== 404) return openApp(data.url);
  if (!said) return undefined;
  return self.registration.showNotification(notification.title, {
    body: said,
    tag: data.incident_id,
    silent: true,
    icon: "/static/icons/icon-192.png",
    data: { url: data.url },
  });
}

async function openApp(url) {
  const target = new URL(url, self.location.origin).href;
  const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const client = open.find((c) => new URL(c.url).origin === self.location.origin);
  if (!client) return self.clients.openWindow(target);
  await client.focus();
  return client.navigate(target).catch(() => client);
}
