// The scanner app and the venue screen in headless Chromium (Debian's,
// driven by playwright-core) with a fake camera: each browser films a Y4M
// video made here from the QR codes the API renders (qr.png, decoded to
// pixels below). A scan checks in and moves the screen's bar within two
// seconds; three tickets scanned offline are three check-ins once the
// network is back; two devices scanning one ticket offline make one
// check-in and both show the conflict; a reissued ticket is red offline
// after the manifest refresh; a tampered compact ticket is red offline and
// online; axe-core finds nothing serious at 360 px.
// NGAN_SCREENSHOTS=<dir> also writes the README's screenshots there.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import QRCode from 'qrcode';
import { BASE_URL, bkk, createUser, nationalId, sqlInt, tokenFor, uniq, waitFor } from './lib.mjs';
import { rawOrApi, registered, runningEvent } from './checkins-lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = process.env.NGAN_SCREENSHOTS;
const W = 400;
const H = 400;

let organizer, event, scannerUser, password, dir, video, browser, session;

// A 1-bit greyscale PNG as the API draws it (filter 0 on every row):
// { size, dark(x, y) }.
function decodePng(buf) {
	assert.equal(buf.subarray(1, 4).toString(), 'PNG');
	let off = 8;
	let width = 0, depth = 0, colour = 0;
	const idat = [];
	while (off < buf.length) {
		const len = buf.readUInt32BE(off);
		const type = buf.subarray(off + 4, off + 8).toString();
		const data = buf.subarray(off + 8, off + 8 + len);
		if (type === 'IHDR') {
			width = data.readUInt32BE(0);
			depth = data[8];
			colour = data[9];
		} else if (type === 'IDAT') {
			idat.push(data);
		}
		off += 12 + len;
	}
	assert.deepEqual([depth, colour], [1, 0], 'a 1-bit greyscale PNG');
	const raw = inflateSync(Buffer.concat(idat));
	const stride = Math.ceil(width / 8) + 1;
	return { size: width, dark: (x, y) => {
		assert.equal(raw[y * stride], 0, 'filter none');
		return (raw[y * stride + 1 + (x >> 3)] & (0x80 >> (x & 7))) === 0;
	} };
}

async function qrPixels(registrationId, format) {
	const q = format === 'compact' ? '&format=compact' : '';
	const res = await rawOrApi('GET', `/v1/registrations/${registrationId}/qr.png?size=4${q}`,
	    { token: organizer });
	assert.equal(res.status, 200, `qr.png: ${res.text}`);
	return decodePng(res.bytes);
}

// YUV4MPEG2, 4:2:0, grey: each QR centred on white for `frames` frames;
// Chromium loops the file.
function writeY4m(file, images, frames = 6) {
	const ySize = W * H;
	const chroma = Buffer.alloc(ySize / 2, 128);
	const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F8:1 Ip A1:1 C420jpeg\n`)];
	for (const img of images.length > 0 ? images : [{ size: 0 }]) {
		const y = Buffer.alloc(ySize, 235);
		const x0 = (W - img.size) >> 1;
		const y0 = (H - img.size) >> 1;
		for (let j = 0; j < img.size; j++) {
			for (let i = 0; i < img.size; i++) {
				if (img.dark(i, j))
					y[(y0 + j) * W + x0 + i] = 16;
			}
		}
		const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
		for (let k = 0; k < frames; k++)
			parts.push(frame);
	}
	writeFileSync(file, Buffer.concat(parts));
}

// One browser films one file; Chromium opens it again each time a
// capture starts, so each test writes its tickets there before its
// devices turn their cameras on.
function film(images) {
	writeY4m(video, images);
}

// A phone; signedIn: with the session of the first sign-in in its
// storage (a sign-in costs an argon2id hash; test 1 and the axe test
// sign in through the form).
async function newDevice({ signedIn = true, ...opts } = {}) {
	const ctx = await browser.newContext({ viewport: { width: 360, height: 780 }, ...opts });
	await ctx.grantPermissions(['camera'], { origin: BASE_URL });
	if (signedIn && session)
		await ctx.addInitScript((s) => localStorage.setItem('ngan.session', s), session);
	const page = await ctx.newPage();
	page.on('pageerror', (e) => console.error('page error:', e.message));
	return { ctx, page };
}

// Signs in, opens the event, waits for its manifest on the device.
async function openApp(page) {
	await page.goto(`${BASE_URL}/scan`);
	if (!session) {
		await page.fill('#username', scannerUser.username);
		await page.fill('#password', password);
		await page.click('#signin-form button[type=submit]');
	}
	await page.click(`button[data-event-id="${event.id}"]`);
	await page.waitForFunction(() => document.getElementById('manifest-state')
	    .dataset.fetched !== undefined);
	session ??= await page.evaluate(() => localStorage.getItem('ngan.session'));
}

async function resultOf(page, colour) {
	await page.waitForSelector(`#result[data-result="${colour}"]`, { timeout: 15000 });
	return page.textContent('#result-head');
}

// Waits for this answer (the box may show an earlier one meanwhile).
function resultIs(page, colour, head) {
	return page.waitForFunction(([c, h]) => {
		const box = document.getElementById('result');
		return box.dataset.result === c &&
		    document.getElementById('result-head').textContent === h;
	}, [colour, head], { timeout: 15000 });
}

function counted(regId) {
	return sqlInt(`select count(*) from checkin where registration_id = $1::uuid
	    and state = 'effective' and direction = 'in'`, [regId]);
}

function scans(regId) {
	return sqlInt('select count(*) from checkin where registration_id = $1::uuid', [regId]);
}

before(async () => {
	assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps.sh)`);
	dir = mkdtempSync(join(tmpdir(), 'ngan-scan-'));
	video = join(dir, 'camera.y4m');
	film([]);
	browser = await chromium.launch({ executablePath: CHROMIUM,
	    args: [...ARGS, `--use-file-for-fake-video-capture=${video}`] });
	organizer = await tokenFor('organizer');
	event = await runningEvent({ title: 'อบรมอาชีพแรงงานนอกระบบ จังหวัดลำปาง' });
	const now = Date.now();
	for (const [title, from, to] of [['พิธีเปิดและบรรยายสิทธิประกันสังคม มาตรา 40', -30, 60],
	    ['ฝึกปฏิบัติ: ทำขนมไทยเพื่อขาย', 90, 210]]) {
		const r = await rawOrApi('POST', `/v1/events/${event.id}/sessions`, { token: organizer,
		    body: { title, kind: from < 0 ? 'opening' : 'workshop', starts_at: bkk(now + from * 60000),
		    ends_at: bkk(now + to * 60000) } });
		assert.equal(r.status, 201, r.text);
	}
	({ user: scannerUser, password } = await createUser({ role: 'scanner', username: uniq('door.') }));
	const res = await rawOrApi('PUT', `/v1/events/${event.id}/scanners/${scannerUser.id}`,
	    { token: organizer });
	assert.ok([200, 201].includes(res.status), res.text);
});

after(async () => {
	await browser?.close();
	if (dir)
		rmSync(dir, { recursive: true, force: true });
});

test('a scan checks in (green), and the venue screen\'s bar moves within 2 s', async () => {
	const p = await registered(event.id, { target_group: 'labour_volunteer',
	    participant: { first_name: 'สมศรี' } });
	for (const first_name of ['บุญมี', 'คำแปง'])
		await registered(event.id, { target_group: 'informal_worker', participant: { first_name } });
	film([await qrPixels(p.id, 'compact')]);
	const { ctx, page } = await newDevice();
	await openApp(page);
	assert.equal(await page.getAttribute('html', 'lang'), 'th');

	const screen = await ctx.newPage();
	await screen.setViewportSize({ width: 1280, height: 800 });
	await screen.goto(`${BASE_URL}/scan/screen`);
	await screen.click(`button[data-event-id="${event.id}"]`);
	const bar = '#groups li[data-key="labour_volunteer"]';
	await screen.waitForSelector(`${bar}[data-value="0"]`);
	assert.match(await screen.textContent('#next'), /^อีก \d+ นาที: ฝึกปฏิบัติ/);
	assert.equal(await screen.locator('#sessions li').count(), 2);

	await page.click('#toggle');
	assert.equal(await resultOf(page, 'green'), 'ผ่าน: เข้างานแล้ว');
	const greenAt = Date.now();
	assert.equal(await page.textContent('#result-name'), p.display_name);
	await screen.waitForSelector(`${bar}[data-value="1"]`, { timeout: 2000 });
	assert.ok(Date.now() - greenAt <= 2000);
	assert.equal(counted(p.id), 1);
	assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid
	    and device_id like 'scan-%' and not offline`, [p.id]), 1);
	if (SHOTS) {
		await page.screenshot({ path: join(SHOTS, 'scanner-app.png'), fullPage: true });
		await screen.screenshot({ path: join(SHOTS, 'venue-screen.png'), fullPage: true });
	}
	await page.click('#toggle');
	// Undo: the check-in no longer counts, and the bar goes back.
	await page.click('#annul');
	await resultIs(page, 'amber', 'ยกเลิกการสแกนแล้ว');
	assert.equal(counted(p.id), 0);
	await screen.waitForSelector(`${bar}[data-value="0"]`);
	await ctx.close();
});

test('offline: three tickets scanned, the network back, three check-ins', async () => {
	const people = [await registered(event.id), await registered(event.id), await registered(event.id)];
	const images = [];
	for (const p of people)
		images.push(await qrPixels(p.id, 'compact'));
	film(images);
	const { ctx, page } = await newDevice();
	await openApp(page);
	await page.evaluate(() => navigator.serviceWorker.ready);
	await ctx.setOffline(true);
	// The service worker keeps the app: it reloads with no network.
	await page.reload();
	await page.waitForSelector('#scanner:not([hidden])');
	await page.waitForSelector('#net[data-online="false"]');
	await page.click('#toggle');
	await page.waitForSelector('#queued[data-count="3"]', { timeout: 20000 });
	await page.click('#toggle');
	assert.deepEqual(people.map((p) => counted(p.id)), [0, 0, 0]);
	await ctx.setOffline(false);
	await waitFor(() => people.every((p) => counted(p.id) === 1));
	await page.waitForSelector('#queued[data-count="0"]');
	assert.equal(sqlInt(`select count(*) from checkin where registration_id = any($1::uuid[])
	    and offline`, [`{${people.map((p) => p.id).join(',')}}`]), 3);
	await ctx.close();
});

test('two devices scan one ticket offline: one check-in, the conflict shown on both', async () => {
	const p = await registered(event.id);
	film([await qrPixels(p.id, 'compact')]);
	const a = await newDevice();
	const b = await newDevice();
	for (const d of [a, b]) {
		await openApp(d.page);
		await d.ctx.setOffline(true);
		await d.page.waitForSelector('#net[data-online="false"]');
		await d.page.click('#toggle');
		assert.match(await resultOf(d.page, 'green'), /ออฟไลน์/);
		await d.page.click('#toggle');
	}
	assert.notEqual(await a.page.textContent('#device'), await b.page.textContent('#device'));
	await a.ctx.setOffline(false);
	await a.page.waitForSelector('#queued[data-count="0"]');
	await b.ctx.setOffline(false);
	await b.page.waitForSelector('#queued[data-count="0"]');
	for (const d of [a, b])
		await d.page.waitForSelector('#conflicts[data-count="1"]:not([hidden])', { timeout: 10000 });
	assert.equal(counted(p.id), 1);
	assert.equal(scans(p.id), 2);
	await a.ctx.close();
	await b.ctx.close();
});

test('a reissued ticket is red offline after the manifest refresh (JWT QR)', async () => {
	const p = await registered(event.id);
	film([await qrPixels(p.id, 'jwt')]);
	const { ctx, page } = await newDevice();
	await openApp(page);
	const before = await page.getAttribute('#manifest-state', 'data-fetched');
	const res = await rawOrApi('POST', `/v1/registrations/${p.id}/ticket/reissue`, { token: organizer });
	assert.equal(res.status, 200, res.text);
	await page.click('#refresh');
	await page.waitForFunction((t) => document.getElementById('manifest-state').dataset.fetched !== t,
	    before);
	await ctx.setOffline(true);
	await page.waitForSelector('#net[data-online="false"]');
	await page.click('#toggle');
	assert.equal(await resultOf(page, 'red'), 'บัตรถูกยกเลิก');
	await page.click('#toggle');
	assert.equal(scans(p.id), 0);
	await ctx.close();
});

// A compact ticket with one base45 character changed, as a QR code drawn
// here (npm qrcode): its bytes no longer match their ES256 signature.
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
function forged(compact) {
	// The first character of a three-character group, moved by one,
	// keeps the group a valid base45 number (at most 65535).
	for (let i = 4 + 30; i + 2 < compact.length; i += 3) {
		const v = [0, 1, 2].map((k) => BASE45.indexOf(compact[i + k]));
		const c = (v[0] + 1) % 45;
		if (c + v[1] * 45 + v[2] * 2025 <= 65535)
			return compact.slice(0, i) + BASE45[c] + compact.slice(i + 1);
	}
	assert.fail('no group to change');
}

function qrImage(text, scale = 4) {
	const m = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
	return { size: (m.size + 8) * scale, dark: (x, y) => {
		const col = Math.floor(x / scale) - 4;
		const row = Math.floor(y / scale) - 4;
		return row >= 0 && col >= 0 && row < m.size && col < m.size && m.get(row, col) === 1;
	} };
}

test('a tampered compact ticket is red, offline and online, and checks no one in', async () => {
	const p = await registered(event.id);
	const ticket = await rawOrApi('GET', `/v1/registrations/${p.id}/ticket`, { token: organizer });
	assert.equal(ticket.status, 200, ticket.text);
	const fake = forged(ticket.json.compact);
	assert.notEqual(fake, ticket.json.compact);
	film([qrImage(fake)]);
	const { ctx, page } = await newDevice();
	await openApp(page);
	await ctx.setOffline(true);
	await page.waitForSelector('#net[data-online="false"]');
	await page.click('#toggle');
	await resultIs(page, 'red', 'บัตรปลอมหรือเสียหาย');
	await page.click('#toggle');
	await ctx.setOffline(false);
	await page.waitForSelector('#net[data-online="true"]');
	await page.evaluate(() => { document.getElementById('result').dataset.result = ''; });
	await page.click('#toggle');
	await resultIs(page, 'red', 'บัตรปลอมหรือเสียหาย');
	await page.click('#toggle');
	assert.equal(scans(p.id), 0, 'no scan of the forged ticket was recorded');
	await ctx.close();
});

test('axe-core: no serious violations on the app and the screen at 360 px', async () => {
	const p = await registered(event.id);
	film([await qrPixels(p.id, 'compact')]);
	// CSP bypassed only to inject axe-core into the page.
	const { ctx, page } = await newDevice({ signedIn: false, bypassCSP: true });
	const audit = async (pg, what) => {
		await pg.addScriptTag({ path: AXE });
		const r = await pg.evaluate(() => window.axe.run(document,
		    { resultTypes: ['violations'] }));
		const bad = r.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
		assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), [],
		    what);
		const wide = await pg.evaluate(() => [...document.querySelectorAll('body *')]
		    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > 360)
		    .map((el) => `${el.tagName}#${el.id}.${el.className}`));
		assert.deepEqual(wide, [], `${what}: fits 360 px`);
	};
	await page.goto(`${BASE_URL}/scan`);
	await page.waitForSelector('#signin:not([hidden])');
	await audit(page, 'sign-in');
	await page.fill('#username', scannerUser.username);
	await page.fill('#password', password);
	await page.click('#signin-form button[type=submit]');
	await page.waitForSelector(`button[data-event-id="${event.id}"]`);
	await audit(page, 'events');
	await page.click(`button[data-event-id="${event.id}"]`);
	await page.click('#toggle');
	await resultOf(page, 'green');
	await audit(page, 'scanning, green');
	await page.click('#toggle');
	await page.click('#walkin-open');
	await page.waitForSelector('#w-group option', { state: 'attached' });
	await audit(page, 'walk-in form');
	// A walk-in: registered and checked in at once.
	await page.fill('#w-first', 'มานี');
	await page.fill('#w-last', 'มีนา');
	await page.fill('#w-nid', nationalId());
	await page.selectOption('#w-group', 'labour_volunteer');
	await page.check('#w-consent');
	await page.click('#walkin-submit');
	await resultIs(page, 'green', 'ลงทะเบียนหน้างานแล้ว');
	assert.equal(sqlInt(`select count(*) from registration r join checkin c on c.registration_id = r.id
	    and c.state = 'effective' where r.event_id = $1::uuid and r.source = 'walk_in'`, [event.id]), 1);
	// Touch targets: every button at least 44 px high.
	const small = await page.$$eval('button', (bs) => bs.filter((b) => b.offsetParent !== null &&
	    b.getBoundingClientRect().height < 44).map((b) => b.id));
	assert.deepEqual(small, []);
	await page.goto(`${BASE_URL}/scan/screen`);
	await page.click(`button[data-event-id="${event.id}"]`);
	await page.waitForSelector('#groups li');
	await audit(page, 'venue screen');
	await ctx.close();
});
