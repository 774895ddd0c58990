// The scanner app: sign in, choose an assigned event, keep its manifest
// and the signing keys on the device, scan QR codes, verify each ticket's
// signature here (WebCrypto), ask the server when online, judge against
// the manifest and queue when offline, upload the queue as a batch when
// the network returns, and show what the server says about conflicts.
import { $, call, kv, queue, session, setLang, signIn, signOut, t,
    timeText, lang } from './common.js';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const enc = new TextEncoder();
const dec = new TextDecoder();

const state = {
	event: null,		// { id, title }
	manifest: null,		// as kept in kv 'manifest:<id>'
	keys: new Map(),	// kid -> CryptoKey
	device: null,
	stream: null,
	scanning: false,
	last: null,		// { text, at }: the same code is judged once
	busy: false,
	lastCheckin: null,	// { id } or { nonce } of the last green scan
	countTag: null,
	online: navigator.onLine,
	syncing: false,
};

// ------------------------------------------------------------ bytes

function b64urlDecode(s) {
	const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') +
	    '==='.slice((s.length + 3) % 4));
	return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

function b64urlEncode(bytes) {
	let s = '';
	for (const b of bytes)
		s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(bytes) {
	return [...new Uint8Array(bytes)].map((b) => b.toString(16)
	    .padStart(2, '0')).join('');
}

function uuidText(b) {
	const h = hex(b);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-` +
	    `${h.slice(16, 20)}-${h.slice(20)}`;
}

// RFC 9285; null on anything out of range (a space is a digit here).
function base45Decode(s) {
	const out = [];
	for (let i = 0; i < s.length; i += 3) {
		const v = [...s.slice(i, i + 3)].map((c) => B45.indexOf(c));
		if (v.some((x) => x < 0))
			return null;
		if (v.length === 3) {
			const n = v[0] + v[1] * 45 + v[2] * 2025;
			if (n > 65535)
				return null;
			out.push(n >> 8, n & 255);
		} else if (v.length === 2) {
			const n = v[0] + v[1] * 45;
			if (n > 255)
				return null;
			out.push(n);
		} else {
			return null;
		}
	}
	return new Uint8Array(out);
}

// ------------------------------------------------------------ tickets

async function keyFor(kid) {
	if (state.keys.has(kid))
		return state.keys.get(kid);
	const jwks = await kv.get('jwks');
	const jwk = jwks?.keys?.find((k) => k.kid === kid);
	if (!jwk)
		return null;
	const key = await crypto.subtle.importKey('jwk', { kty: jwk.kty,
	    crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA',
	    namedCurve: 'P-256' }, false, ['verify']);
	state.keys.set(kid, key);
	return key;
}

async function verify(kid, sig, data) {
	const key = await keyFor(kid);
	return key !== null && crypto.subtle.verify({ name: 'ECDSA',
	    hash: 'SHA-256' }, key, sig, data);
}

// What a QR code says, checked: { reg, evt, ver, payload } or null when
// it is not a ticket or its signature does not verify.
async function readTicket(text) {
	if (text.startsWith('NG1:')) {
		if (text.length !== 168)
			return null;
		const raw = base45Decode(text.slice(4));
		if (raw === null || raw.length !== 109 || raw[0] !== 1)
			return null;
		const ver = new DataView(raw.buffer).getUint32(33);
		const s = BigInt('0x' + hex(raw.slice(77, 109)));
		if (ver < 1 || ver > 999999 || s > P256_N / 2n)
			return null;
		if (!await verify(hex(raw.slice(37, 45)), raw.slice(45),
		    raw.slice(0, 45)))
			return null;
		const reg = uuidText(raw.slice(1, 17));
		const evt = uuidText(raw.slice(17, 33));
		const payload = b64urlEncode(enc.encode(JSON.stringify({
		    aud: 'ngan-ticket', evt, iss: 'ngan', sub: reg, ver })));
		return { reg, evt, ver, payload };
	}
	const parts = text.split('.');
	if (parts.length !== 3)
		return null;
	try {
		const head = JSON.parse(dec.decode(b64urlDecode(parts[0])));
		const claims = JSON.parse(dec.decode(b64urlDecode(parts[1])));
		if (head.alg !== 'ES256' || claims.aud !== 'ngan-ticket' ||
		    claims.iss !== 'ngan')
			return null;
		if (!await verify(head.kid, b64urlDecode(parts[2]),
		    enc.encode(`${parts[0]}.${parts[1]}`)))
			return null;
		return { reg: claims.sub, evt: claims.evt, ver: claims.ver,
		    payload: parts[1] };
	} catch {
		return null;
	}
}

async function ticketKey(payload) {
	const key = await crypto.subtle.importKey('raw',
	    b64urlDecode(state.manifest.manifest_key), { name: 'HMAC',
	    hash: 'SHA-256' }, false, ['sign']);
	return hex(await crypto.subtle.sign('HMAC', key, enc.encode(payload)));
}

// The name and group sealed in the manifest entry (AES-256-GCM).
async function unseal(entry, payload) {
	try {
		const raw = b64urlDecode(entry.sealed);
		const key = await crypto.subtle.importKey('raw',
		    await crypto.subtle.digest('SHA-256', enc.encode(payload)),
		    'AES-GCM', false, ['decrypt']);
		const plain = await crypto.subtle.decrypt({ name: 'AES-GCM',
		    iv: raw.slice(0, 12), additionalData:
		    enc.encode('ngan-manifest-v1') }, key, raw.slice(12));
		return JSON.parse(dec.decode(plain));
	} catch {
		return null;
	}
}

// ------------------------------------------------------------ manifest

async function loadManifest(full) {
	const id = state.event.id;
	$('manifest-state').textContent = t('loadingManifest');
	const jw = await fetch('/.well-known/jwks.json', { cache: 'no-store' });
	if (jw.ok) {
		await kv.put('jwks', await jw.json());
		state.keys.clear();
	}
	let m = full ? null : await kv.get(`manifest:${id}`);
	const since = m ? `&since=${encodeURIComponent(m.next_since)}` : '';
	const r = await call('GET', `/v1/events/${id}/scanner-manifest` +
	    `?cipher=aes-256-gcm${since}`);
	if (r.status !== 200)
		throw new Error(r.json?.detail ?? String(r.status));
	m ??= { entries: {} };
	for (const e of r.json.entries)
		m.entries[e.ticket_key] = e;
	for (const k of r.json.revocations ?? []) {
		if (m.entries[k])
			m.entries[k].status = 'revoked';
	}
	m.manifest_key = r.json.manifest_key;
	m.next_since = r.json.next_since;
	m.fetched_at = new Date().toISOString();
	await kv.put(`manifest:${id}`, m);
	state.manifest = m;
	showManifestState();
}

function showManifestState() {
	const n = Object.keys(state.manifest?.entries ?? {}).length;
	$('manifest-state').dataset.fetched = state.manifest.fetched_at;
	$('manifest-state').textContent = `${t('manifestReady', n)} ` +
	    `(${t('updated')} ${timeText(state.manifest.fetched_at)})`;
}

// ------------------------------------------------------------ scanning

function nonce() {
	return `${state.device}:${crypto.randomUUID()}`;
}

function direction() {
	return document.querySelector('input[name=direction]:checked').value;
}

// What this device has seen of a registration: { in: {at}, out: {at} }.
async function localLog() {
	return (await kv.get(`log:${state.event.id}`)) ?? {};
}

async function remember(reg, dir, at) {
	const log = await localLog();
	log[reg] = { ...(log[reg] ?? {}), [dir]: { at, device: state.device } };
	await kv.put(`log:${state.event.id}`, log);
}

async function forget(reg, dir) {
	const log = await localLog();
	if (log[reg])
		delete log[reg][dir];
	await kv.put(`log:${state.event.id}`, log);
}

async function judge(text) {
	const ticket = await readTicket(text);
	if (ticket === null)
		return show('red', t('invalid'));
	if (ticket.evt !== state.event.id)
		return show('red', t('wrongEvent'));
	const scan = { token: text, event_id: state.event.id,
	    session_id: $('session').value || null, direction: direction(),
	    scanned_at: new Date().toISOString(), nonce: nonce(),
	    device_id: state.device };
	if (state.online) {
		try {
			const r = await call('POST', '/v1/checkins', { body: scan });
			if (r.json?.result)
				return showServer(r.json, scan, ticket);
		} catch {
			setOnline(false);
		}
	}
	return judgeOffline(scan, ticket);
}

async function judgeOffline(scan, ticket) {
	const entry = state.manifest.entries[await ticketKey(ticket.payload)];
	if (!entry)
		return show('red', t('unknown'));
	const who = await unseal(entry, ticket.payload);
	const name = who?.display_name ?? '';
	if (entry.status === 'revoked' || entry.version !== ticket.ver)
		return show('red', t('revoked'), name);
	if (entry.status === 'cancelled')
		return show('red', t('cancelled'), name);
	const log = (await localLog())[ticket.reg] ?? {};
	const seen = log[scan.direction];
	if (seen)
		return show('amber', t(scan.direction === 'in' ? 'already' :
		    'alreadyOut'), name, t('alreadyWhen', timeText(seen.at),
		    seen.device));
	await queue.add(scan);
	await remember(ticket.reg, scan.direction, scan.scanned_at);
	state.lastCheckin = { nonce: scan.nonce, reg: ticket.reg,
	    direction: scan.direction };
	await showQueue();
	return show('green', scan.direction === 'in' ? t('okOffline') :
	    t('okOut'), name, '', true);
}

const GREEN = ['checked_in', 'checked_out'];
const AMBER = ['already_checked_in', 'already_checked_out', 'duplicate',
    'not_checked_in'];

async function showServer(res, scan, ticket) {
	const name = res.participant?.display_name ?? '';
	if (GREEN.includes(res.result)) {
		await remember(ticket.reg, scan.direction, scan.scanned_at);
		state.lastCheckin = { id: res.checkin_id, reg: ticket.reg,
		    direction: scan.direction };
		pollCount();
		return show('green', res.result === 'checked_in' ? t('ok') :
		    t('okOut'), name, res.message, true);
	}
	if (AMBER.includes(res.result)) {
		const when = res.first ? t('alreadyWhen',
		    timeText(res.first.scanned_at), res.first.device_id) : '';
		const head = { already_checked_in: t('already'),
		    already_checked_out: t('alreadyOut'), duplicate: t('already'),
		    not_checked_in: t('notIn') }[res.result];
		return show('amber', head, name, when || res.message);
	}
	const head = { wrong_event: t('wrongEvent'), ticket_revoked: t('revoked'),
	    registration_cancelled: t('cancelled'), unknown_ticket: t('unknown'),
	    invalid_token: t('invalid'), registration_waitlisted: t('waitlisted'),
	    event_not_open: t('notOpen') }[res.result] ?? res.message;
	return show('red', head, name, res.message);
}

let audio = null;

function signal(colour) {
	const pattern = { green: [120], amber: [120, 80, 120],
	    red: [400] }[colour];
	navigator.vibrate?.(pattern);
	try {
		audio ??= new AudioContext();
		const freq = { green: 1320, amber: 660, red: 220 }[colour];
		let at = audio.currentTime;
		for (const ms of pattern.filter((_x, i) => i % 2 === 0)) {
			const o = audio.createOscillator();
			const g = audio.createGain();
			o.frequency.value = freq;
			g.gain.value = 0.3;
			o.connect(g).connect(audio.destination);
			o.start(at);
			o.stop(at + ms / 1000);
			at += (ms + 80) / 1000;
		}
	} catch {
		// No sound on this browser: the colour and vibration remain.
	}
}

function show(colour, head, name = '', detail = '', annullable = false) {
	const box = $('result');
	box.className = `result ${colour}`;
	box.dataset.result = colour;
	$('result-head').removeAttribute('data-t');
	$('result-head').textContent = head;
	$('result-name').textContent = name;
	$('result-detail').textContent = detail;
	$('annul').hidden = !annullable;
	signal(colour);
}

async function annul() {
	const last = state.lastCheckin;
	if (!last)
		return;
	if (last.nonce) {
		await queue.remove(last.nonce);
		await showQueue();
	} else {
		const r = await call('POST', `/v1/checkins/${last.id}/annul`,
		    { body: { device_id: state.device } });
		if (r.status !== 200) {
			$('result-detail').textContent = r.json?.detail ?? '';
			return;
		}
		pollCount();
	}
	await forget(last.reg, last.direction);
	state.lastCheckin = null;
	show('amber', t('annulled'));
}

async function frame(video, canvas, detector) {
	if (!state.scanning)
		return;
	if (!state.busy && video.readyState >= 2) {
		let text = null;
		if (detector) {
			const codes = await detector.detect(video).catch(() => []);
			text = codes[0]?.rawValue ?? null;
		} else if (window.jsQR) {
			const w = Math.min(640, video.videoWidth);
			const h = Math.round(video.videoHeight * w / video.videoWidth);
			canvas.width = w;
			canvas.height = h;
			const ctx = canvas.getContext('2d', { willReadFrequently: true });
			ctx.drawImage(video, 0, 0, w, h);
			const img = ctx.getImageData(0, 0, w, h);
			text = window.jsQR(img.data, w, h,
			    { inversionAttempts: 'dontInvert' })?.data ?? null;
		}
		const now = Date.now();
		if (text && (text !== state.last?.text ||
		    now - state.last.at > 5000)) {
			state.last = { text, at: now };
			state.busy = true;
			try {
				await judge(text);
			} finally {
				state.busy = false;
			}
		}
	}
	setTimeout(() => frame(video, canvas, detector), 120);
}

async function toggleCamera() {
	const video = $('video');
	if (state.scanning) {
		state.scanning = false;
		state.stream?.getTracks().forEach((tr) => tr.stop());
		state.stream = null;
		setToggle();
		return;
	}
	try {
		state.stream = await navigator.mediaDevices.getUserMedia({
		    video: { facingMode: 'environment' }, audio: false });
	} catch (e) {
		show('red', t('cameraFailed') + e.message);
		return;
	}
	video.srcObject = state.stream;
	await video.play();
	let detector = null;
	if ('BarcodeDetector' in window) {
		const formats = await window.BarcodeDetector
		    .getSupportedFormats().catch(() => []);
		if (formats.includes('qr_code'))
			detector = new window.BarcodeDetector({ formats: ['qr_code'] });
	}
	state.scanning = true;
	state.last = null;
	setToggle();
	frame(video, document.createElement('canvas'), detector);
}

function setToggle() {
	const b = $('toggle');
	b.dataset.t = state.scanning ? 'stop' : 'start';
	b.textContent = t(b.dataset.t);
	b.setAttribute('aria-pressed', String(state.scanning));
}

// ------------------------------------------------------------ sync

async function showQueue() {
	const n = (await queue.all()).filter((s) =>
	    s.event_id === state.event?.id).length;
	$('queued').textContent = t('queued', n);
	$('queued').dataset.count = String(n);
}

function setOnline(on) {
	state.online = on;
	$('net').textContent = on ? t('online') : t('offline');
	$('net').dataset.online = String(on);
}

// Uploads what waits, then asks for the conflicts and the count.
async function sync() {
	if (!state.online || state.syncing || !state.event || !session())
		return;
	state.syncing = true;
	try {
		const scans = (await queue.all()).sort((a, b) =>
		    a.scanned_at.localeCompare(b.scanned_at)).slice(0, 500);
		if (scans.length > 0) {
			const r = await call('POST', '/v1/checkins/batch',
			    { body: { scans } });
			if (r.status === 200) {
				for (const item of r.json.results)
					await queue.remove(scans[item.index].nonce);
			}
			await showQueue();
		}
		await conflicts();
		await pollCount();
	} catch {
		setOnline(false);
	} finally {
		state.syncing = false;
	}
}

// The server's conflicts this device took part in.
async function conflicts() {
	const r = await call('GET',
	    `/v1/events/${state.event.id}/checkins/conflicts?limit=50`);
	if (r.status !== 200)
		return;
	const mine = r.json.items.filter((c) => c.scans.some((s) =>
	    s.device_id === state.device));
	const list = $('conflict-list');
	list.replaceChildren(...mine.map((c) => {
		const li = document.createElement('li');
		li.textContent = t('conflictLine', c.participant?.display_name ??
		    c.registration_id.slice(0, 8), c.checkin?.device_id);
		return li;
	}));
	$('conflicts').hidden = mine.length === 0;
	$('conflicts').dataset.count = String(mine.length);
}

async function pollCount() {
	if (!state.event)
		return;
	const r = await call('GET', `/v1/events/${state.event.id}/attendance`,
	    { etag: state.countTag });
	if (r.status === 200) {
		state.countTag = r.etag;
		$('count').textContent = t('count', r.json.checked_in,
		    r.json.registered);
		$('count').dataset.checkedIn = String(r.json.checked_in);
	}
}

// ------------------------------------------------------------ walk-ins

async function openWalkIn() {
	const sel = $('w-group');
	if (sel.options.length === 0) {
		const r = await call('GET', '/v1/target-groups');
		for (const g of r.json?.items ?? []) {
			const o = document.createElement('option');
			o.value = g.code;
			o.textContent = lang === 'th' ? g.name_th : g.name_en;
			sel.append(o);
		}
	}
	$('walkin-error').textContent = '';
	$('walkin').showModal();
	$('w-first').focus();
}

async function submitWalkIn(e) {
	e.preventDefault();
	const consent = await call('GET', '/v1/consent');
	const body = { check_in: true, device_id: state.device,
	    target_group: $('w-group').value, participant: {
	    first_name: $('w-first').value.trim(),
	    last_name: $('w-last').value.trim(),
	    national_id: $('w-nid').value.trim(),
	    phone: $('w-phone').value.trim() || null,
	    target_group: $('w-group').value,
	    pdpa_consent_at: new Date().toISOString(),
	    pdpa_consent_version: consent.json?.version ?? null } };
	const r = await call('POST', `/v1/events/${state.event.id}/registrations`,
	    { body });
	if (r.status !== 201) {
		const f = r.json?.errors?.[0];
		$('walkin-error').textContent = f ? `${f.field}: ${f.message}` :
		    (r.json?.detail ?? String(r.status));
		return;
	}
	$('walkin').close();
	$('walkin-form').reset();
	show(r.json.checkin?.result === 'checked_in' ? 'green' : 'amber',
	    t('walkInDone'), r.json.participant?.display_name ?? '',
	    r.json.checkin?.message ?? '');
	pollCount();
}

// ------------------------------------------------------------ views

function view(name) {
	for (const v of ['signin', 'events', 'scanner'])
		$(v).hidden = v !== name;
}

async function showEvents() {
	view('events');
	const r = await call('GET', '/v1/events?scanning=me&limit=50');
	if (r.status === 401) {
		signOut();
		return view('signin');
	}
	const list = $('event-list');
	const items = r.json?.items ?? [];
	list.replaceChildren(...items.map((ev) => {
		const li = document.createElement('li');
		const b = document.createElement('button');
		b.type = 'button';
		b.textContent = `${ev.title} · ${timeText(ev.starts_at)}`;
		b.dataset.eventId = ev.id;
		b.addEventListener('click', () => openEvent(ev));
		li.append(b);
		return li;
	}));
	if (items.length === 0) {
		const li = document.createElement('li');
		li.textContent = t('noEvents');
		list.append(li);
	}
}

async function openEvent(ev) {
	state.event = { id: ev.id, title: ev.title };
	localStorage.setItem('ngan.event', JSON.stringify(state.event));
	view('scanner');
	$('event-title').textContent = ev.title;
	state.manifest = await kv.get(`manifest:${ev.id}`);
	state.countTag = null;
	await showQueue();
	try {
		await loadManifest(false);
		const r = await call('GET', `/v1/events/${ev.id}/sessions`);
		const sel = $('session');
		sel.replaceChildren(sel.options[0]);
		for (const s of r.json?.items ?? []) {
			const o = document.createElement('option');
			o.value = s.id;
			o.textContent = `${timeText(s.starts_at)} ${s.title}`;
			sel.append(o);
		}
	} catch {
		if (state.manifest)
			showManifestState();
	}
	sync();
}

async function start() {
	setLang(lang);
	state.device = await kv.get('device');
	if (!state.device) {
		state.device = `scan-${crypto.randomUUID().slice(0, 8)}`;
		await kv.put('device', state.device);
	}
	$('device').textContent = state.device;
	setOnline(navigator.onLine);
	window.addEventListener('online', () => {
		setOnline(true);
		sync();
	});
	window.addEventListener('offline', () => setOnline(false));
	setInterval(() => {
		if (state.online)
			sync();
	}, 2000);

	$('lang').addEventListener('click', () => setLang(lang === 'th' ?
	    'en' : 'th'));
	$('signin-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		try {
			await signIn($('username').value, $('password').value);
			$('password').value = '';
			$('signin-error').textContent = '';
			await showEvents();
		} catch (err) {
			$('signin-error').textContent = t('signInFailed') +
			    err.message;
		}
	});
	$('signout').addEventListener('click', () => {
		signOut();
		view('signin');
	});
	$('back').addEventListener('click', () => {
		if (state.scanning)
			toggleCamera();
		state.event = null;
		localStorage.removeItem('ngan.event');
		showEvents();
	});
	$('toggle').addEventListener('click', toggleCamera);
	$('refresh').addEventListener('click', () => loadManifest(false)
	    .then(sync).catch((e) => {
		$('manifest-state').textContent = e.message;
	}));
	$('annul').addEventListener('click', annul);
	$('walkin-open').addEventListener('click', openWalkIn);
	$('walkin-close').addEventListener('click', () => $('walkin').close());
	$('walkin-form').addEventListener('submit', submitWalkIn);

	if ('serviceWorker' in navigator)
		navigator.serviceWorker.register('/scan/sw.js', { scope: '/scan' })
		    .catch(() => {});

	const saved = JSON.parse(localStorage.getItem('ngan.event') ?? 'null');
	if (!session())
		view('signin');
	else if (saved)
		openEvent(saved);
	else
		showEvents();
}

start();
