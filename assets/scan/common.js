// Shared by the scanner app (app.js) and the venue screen (screen.js):
// the words in Thai and English, the session with the API, a small
// IndexedDB store. Nothing here leaves this origin.

export const T = {
	th: {
		title: 'สแกนบัตรเข้างาน', screenTitle: 'จอหน้างาน',
		lang: 'English', username: 'ชื่อผู้ใช้', password: 'รหัสผ่าน',
		signIn: 'เข้าสู่ระบบ', signOut: 'ออกจากระบบ',
		signInFailed: 'เข้าสู่ระบบไม่สำเร็จ: ', chooseEvent: 'เลือกงานที่สแกน',
		noEvents: 'ยังไม่ได้รับมอบหมายให้สแกนงานใด', open: 'เปิด',
		loadingManifest: 'กำลังโหลดรายชื่อบัตร…',
		manifestReady: (n) => `พร้อมสแกน: บัตร ${n} ใบในเครื่อง`,
		refresh: 'อัปเดตรายชื่อบัตร', start: 'เริ่มสแกน', stop: 'หยุดสแกน',
		entry: 'เข้า', exit: 'ออก', direction: 'ทิศทาง',
		session: 'ช่วง', wholeEvent: 'ทั้งงาน', online: 'ออนไลน์',
		offline: 'ออฟไลน์ (บันทึกไว้ในเครื่อง)',
		queued: (n) => `รอส่ง ${n} รายการ`,
		count: (a, b) => `เข้างานแล้ว ${a} จาก ${b} คน`,
		ready: 'ส่องกล้องไปที่คิวอาร์โค้ดบนบัตร',
		cameraFailed: 'เปิดกล้องไม่ได้: ',
		ok: 'ผ่าน: เข้างานแล้ว', okOut: 'ผ่าน: ออกจากงานแล้ว',
		okOffline: 'ผ่าน (ออฟไลน์ จะส่งเมื่อมีสัญญาณ)',
		already: 'เข้างานไปแล้ว', alreadyOut: 'ออกจากงานไปแล้ว',
		notIn: 'ยังไม่ได้เข้างาน',
		alreadyWhen: (t, d) => `เมื่อ ${t} เครื่อง ${d || '-'}`,
		wrongEvent: 'บัตรของงานอื่น', revoked: 'บัตรถูกยกเลิก',
		cancelled: 'การลงทะเบียนถูกยกเลิก', unknown: 'ไม่รู้จักบัตรนี้',
		invalid: 'บัตรปลอมหรือเสียหาย', waitlisted: 'อยู่ในรายชื่อสำรอง',
		notOpen: 'งานยังไม่เปิดให้เช็กอิน',
		annul: 'ยกเลิกการสแกนนี้', annulled: 'ยกเลิกการสแกนแล้ว',
		conflicts: 'สแกนซ้ำจากหลายเครื่อง',
		conflictLine: (n, d) => `${n}: นับครั้งแรกจากเครื่อง ${d || '-'}`,
		walkIn: 'ลงทะเบียนหน้างาน', firstName: 'ชื่อ', lastName: 'นามสกุล',
		nationalId: 'เลขประจำตัวประชาชน 13 หลัก',
		phone: 'เบอร์โทรศัพท์ (ไม่บังคับ)', targetGroup: 'กลุ่มเป้าหมาย',
		consent: 'ผู้ลงทะเบียนยินยอมให้เก็บข้อมูลตามประกาศความเป็นส่วนตัว',
		submit: 'ลงทะเบียนและเช็กอิน', cancel: 'ปิด',
		walkInDone: 'ลงทะเบียนหน้างานแล้ว',
		device: 'เครื่องนี้', screenEvent: 'งานที่แสดง',
		show: 'แสดงบนจอ', byGroup: 'ตามกลุ่มเป้าหมาย',
		bySession: 'ตามช่วงกิจกรรม',
		nextSession: (m, t) => `อีก ${m} นาที: ${t}`,
		noNext: 'ไม่มีช่วงถัดไปวันนี้', updated: 'อัปเดต',
		arrived: (a, b) => `มาแล้ว ${a} / ${b}`,
	},
	en: {
		title: 'Ticket scanner', screenTitle: 'Venue screen',
		lang: 'ภาษาไทย', username: 'Username', password: 'Password',
		signIn: 'Sign in', signOut: 'Sign out',
		signInFailed: 'Sign-in failed: ', chooseEvent: 'Choose the event',
		noEvents: 'You are not assigned to scan any event', open: 'Open',
		loadingManifest: 'Loading the tickets…',
		manifestReady: (n) => `Ready: ${n} tickets on this device`,
		refresh: 'Update tickets', start: 'Start scanning',
		stop: 'Stop scanning', entry: 'Entry', exit: 'Exit',
		direction: 'Direction', session: 'Session',
		wholeEvent: 'Whole event', online: 'Online',
		offline: 'Offline (kept on this device)',
		queued: (n) => `${n} waiting to upload`,
		count: (a, b) => `${a} of ${b} checked in`,
		ready: 'Point the camera at the ticket\'s QR code',
		cameraFailed: 'Cannot open the camera: ',
		ok: 'Checked in', okOut: 'Checked out',
		okOffline: 'Checked in (offline, uploads when back online)',
		already: 'Already checked in', alreadyOut: 'Already checked out',
		notIn: 'Not checked in',
		alreadyWhen: (t, d) => `at ${t} by device ${d || '-'}`,
		wrongEvent: 'Ticket for another event', revoked: 'Ticket revoked',
		cancelled: 'Registration cancelled', unknown: 'Unknown ticket',
		invalid: 'Forged or damaged ticket', waitlisted: 'On the waiting list',
		notOpen: 'Check-in is not open',
		annul: 'Undo this scan', annulled: 'Scan undone',
		conflicts: 'Scanned on more than one device',
		conflictLine: (n, d) => `${n}: first counted on device ${d || '-'}`,
		walkIn: 'Walk-in', firstName: 'First name', lastName: 'Last name',
		nationalId: 'National ID (13 digits)',
		phone: 'Phone (optional)', targetGroup: 'Target group',
		consent: 'The person consents to the privacy notice',
		submit: 'Register and check in', cancel: 'Close',
		walkInDone: 'Walk-in registered',
		device: 'This device', screenEvent: 'Event shown',
		show: 'Show', byGroup: 'By target group', bySession: 'By session',
		nextSession: (m, t) => `In ${m} min: ${t}`,
		noNext: 'No more sessions today', updated: 'Updated',
		arrived: (a, b) => `${a} / ${b} arrived`,
	},
};

export let lang = localStorage.getItem('ngan.lang') ?? 'th';

export function t(key, ...args) {
	const v = T[lang][key];
	return typeof v === 'function' ? v(...args) : v;
}

export function setLang(l) {
	lang = l;
	localStorage.setItem('ngan.lang', l);
	document.documentElement.lang = l;
	for (const el of document.querySelectorAll('[data-t]'))
		el.textContent = t(el.dataset.t);
}

export function $(id) {
	return document.getElementById(id);
}

// The signed-in session: tokens in this browser only.
export function session() {
	try {
		return JSON.parse(localStorage.getItem('ngan.session'));
	} catch {
		return null;
	}
}

function keep(s) {
	if (s)
		localStorage.setItem('ngan.session', JSON.stringify(s));
	else
		localStorage.removeItem('ngan.session');
}

export async function signIn(username, password) {
	const r = await fetch('/v1/auth/token', { method: 'POST',
	    headers: { 'content-type': 'application/json' },
	    body: JSON.stringify({ grant_type: 'password', username, password }) });
	const body = await r.json().catch(() => ({}));
	if (r.status !== 200)
		throw new Error(body.detail ?? body.error_description ?? String(r.status));
	keep({ access: body.access_token, refresh: body.refresh_token ?? null,
	    username });
	return session();
}

export function signOut() {
	keep(null);
}

async function refreshed() {
	const s = session();
	if (!s?.refresh)
		return false;
	const r = await fetch('/v1/auth/token', { method: 'POST',
	    headers: { 'content-type': 'application/json' },
	    body: JSON.stringify({ grant_type: 'refresh_token',
	    refresh_token: s.refresh }) });
	if (r.status !== 200)
		return false;
	const body = await r.json();
	keep({ ...s, access: body.access_token,
	    refresh: body.refresh_token ?? s.refresh });
	return true;
}

// fetch with the bearer token, once more after a refresh on 401. Throws
// on a network failure (offline): callers fall back to the device.
export async function call(method, path, { body, etag, lang: l } = {}) {
	for (let attempt = 0; attempt < 2; attempt++) {
		const headers = { authorization: `Bearer ${session()?.access}`,
		    'accept-language': l ?? lang };
		if (body !== undefined)
			headers['content-type'] = 'application/json';
		if (etag)
			headers['if-none-match'] = etag;
		const r = await fetch(path, { method, headers, cache: 'no-store',
		    body: body === undefined ? undefined : JSON.stringify(body) });
		if (r.status === 401 && attempt === 0 && await refreshed())
			continue;
		const text = await r.text();
		let json = null;
		try {
			json = text ? JSON.parse(text) : null;
		} catch {
			json = null;
		}
		return { status: r.status, json, etag: r.headers.get('etag') };
	}
	return { status: 401, json: null, etag: null };
}

// IndexedDB: "kv" (manifests, keys, the device id, the scan log) and
// "queue" (scans made offline, until the server has them).
let dbp = null;

function db() {
	dbp ??= new Promise((resolve, reject) => {
		const req = indexedDB.open('ngan-scan', 1);
		req.onupgradeneeded = () => {
			req.result.createObjectStore('kv');
			req.result.createObjectStore('queue', { keyPath: 'nonce' });
		};
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
	return dbp;
}

async function tx(store, mode, fn) {
	const d = await db();
	return new Promise((resolve, reject) => {
		const x = d.transaction(store, mode);
		const req = fn(x.objectStore(store));
		x.oncomplete = () => resolve(req?.result);
		x.onerror = () => reject(x.error);
	});
}

export const kv = {
	get: (k) => tx('kv', 'readonly', (s) => s.get(k)),
	put: (k, v) => tx('kv', 'readwrite', (s) => s.put(v, k)),
};

export const queue = {
	all: () => tx('queue', 'readonly', (s) => s.getAll()),
	add: (scan) => tx('queue', 'readwrite', (s) => s.put(scan)),
	remove: (nonce) => tx('queue', 'readwrite', (s) => s.delete(nonce)),
};

export function timeText(iso) {
	return new Date(iso).toLocaleTimeString(lang === 'th' ? 'th-TH' : 'en-GB',
	    { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Bangkok' });
}
