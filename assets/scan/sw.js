// The scanner app's service worker: keeps the app's own files so the
// door keeps working without a network. Network first (a new release
// arrives as soon as it is reachable), the cache when offline. API calls
// are not touched: the app must know when it is offline.
const CACHE = 'ngan-scan-v1';
const FILES = ['/scan', '/scan/screen', '/scan/app.js', '/scan/common.js',
    '/scan/screen.js', '/scan/scan.css', '/scan/jsQR.js',
    '/scan/manifest.webmanifest', '/scan/icon.svg'];

self.addEventListener('install', (e) => {
	e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES))
	    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
	e.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (e) => {
	const url = new URL(e.request.url);
	if (e.request.method !== 'GET' || url.origin !== self.location.origin ||
	    !FILES.includes(url.pathname))
		return;
	e.respondWith(fetch(e.request).then((r) => {
		if (r.ok) {
			const copy = r.clone();
			caches.open(CACHE).then((c) => c.put(url.pathname, copy));
		}
		return r;
	}).catch(() => caches.match(url.pathname)));
});
