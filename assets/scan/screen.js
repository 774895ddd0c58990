// The venue screen: the attendance report as bars, polled every second
// with If-None-Match (304 while nothing changed), so a scan at the door
// shows here within two seconds; and the minutes until the next session.
import { $, call, lang, session, setLang, signIn, t, timeText } from
    './common.js';

const state = { event: null, tag: null, report: null };

function view(name) {
	for (const v of ['signin', 'events', 'board'])
		$(v).hidden = v !== name;
}

function bar(label, value, of, key) {
	const li = document.createElement('li');
	li.dataset.key = key;
	li.dataset.value = String(value);
	const head = document.createElement('div');
	head.className = 'bar-label';
	const name = document.createElement('span');
	name.textContent = label;
	const n = document.createElement('span');
	n.textContent = t('arrived', value, of);
	head.append(name, n);
	const outer = document.createElement('div');
	outer.className = 'bar';
	outer.setAttribute('role', 'progressbar');
	outer.setAttribute('aria-label', label);
	outer.setAttribute('aria-valuemin', '0');
	outer.setAttribute('aria-valuemax', String(Math.max(of, value)));
	outer.setAttribute('aria-valuenow', String(value));
	const fill = document.createElement('span');
	fill.style.width = `${of > 0 ? Math.min(100, 100 * value / of) : 0}%`;
	outer.append(fill);
	li.append(head, outer);
	return li;
}

function draw() {
	const r = state.report;
	if (!r)
		return;
	// Arrivals against registrations (confirmed and waitlisted).
	$('total').textContent = t('count', r.checked_in, r.registered);
	$('total').dataset.checkedIn = String(r.checked_in);
	$('groups').replaceChildren(...r.by_target_group.map((g) =>
	    bar(lang === 'th' ? g.name_th : g.name_en, g.checked_in,
	    g.registered, g.target_group)));
	$('sessions').replaceChildren(...r.by_session.map((s) =>
	    bar(`${timeText(s.starts_at)} ${s.title}`, s.checked_in,
	    r.registered, s.session_id)));
	const now = Date.now();
	const next = r.by_session.filter((s) => Date.parse(s.starts_at) > now)
	    .sort((a, b) => a.starts_at.localeCompare(b.starts_at))[0];
	$('next').textContent = next ? t('nextSession',
	    Math.ceil((Date.parse(next.starts_at) - now) / 60000), next.title) :
	    t('noNext');
	$('updated').textContent = new Date().toLocaleTimeString(
	    lang === 'th' ? 'th-TH' : 'en-GB', { timeZone: 'Asia/Bangkok' });
}

async function poll() {
	if (state.event) {
		try {
			const r = await call('GET',
			    `/v1/events/${state.event.id}/attendance`,
			    { etag: state.tag });
			if (r.status === 200) {
				state.tag = r.etag;
				state.report = r.json;
			}
		} catch {
			// Offline for a moment: the last figures stay.
		}
		draw();
	}
	setTimeout(poll, 1000);
}

async function showEvents() {
	view('events');
	let r = await call('GET', '/v1/events?scanning=me&limit=50');
	if (r.status === 200 && r.json.items.length === 0)
		r = await call('GET', '/v1/events?status=published&limit=50');
	if (r.status !== 200)
		return view('signin');
	$('event-list').replaceChildren(...r.json.items.map((ev) => {
		const li = document.createElement('li');
		const b = document.createElement('button');
		b.type = 'button';
		b.textContent = ev.title;
		b.dataset.eventId = ev.id;
		b.addEventListener('click', () => showBoard(ev));
		li.append(b);
		return li;
	}));
}

function showBoard(ev) {
	state.event = { id: ev.id, title: ev.title };
	state.tag = null;
	localStorage.setItem('ngan.screen', JSON.stringify(state.event));
	$('board-title').textContent = ev.title;
	view('board');
}

function start() {
	setLang(lang);
	$('lang').addEventListener('click', () => {
		setLang(lang === 'th' ? 'en' : 'th');
		draw();
	});
	$('signin-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		try {
			await signIn($('username').value, $('password').value);
			$('password').value = '';
			await showEvents();
		} catch (err) {
			$('signin-error').textContent = t('signInFailed') +
			    err.message;
		}
	});
	const saved = JSON.parse(localStorage.getItem('ngan.screen') ?? 'null');
	if (!session())
		view('signin');
	else if (saved)
		showBoard(saved);
	else
		showEvents();
	poll();
}

start();
