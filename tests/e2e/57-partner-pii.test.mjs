// The feed and the statistics never carry personal data: no name, national
// id (either spelling) or phone of any demo participant (or of anyone the
// tests registered) appears in what a partner or an admin reads there.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, sql, dashedNationalId } from './lib.mjs';
import { partner, drainFeed, stats } from './partner-lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('feed, statistics and CSV hold no name, national id or phone', async () => {
	const pii = execFileSync('bash', ['scripts/demo-participants.sh', '--pii'], { cwd: root, encoding: 'utf8' })
	    .trim().split('\n').map((l) => l.split('\t'));
	assert.ok(pii.length >= 300, `demo people: ${pii.length}`);
	const needles = [];
	for (const [nid, phone] of pii) {
		needles.push(nid, dashedNationalId(nid));
		if (phone)
			needles.push(phone, `${phone.slice(0, 3)}-${phone.slice(3, 6)}-${phone.slice(6)}`);
	}
	const names = sql(`select first_name || ' ' || last_name || '|' || first_name || '|' || last_name
	    from participant`).split('\n').map((l) => l.split('|'));
	assert.ok(names.length >= 300);
	const fullNames = names.map((n) => n[0]);
	const lastNames = [...new Set(names.map((n) => n[2]))];
	const participantIds = sql('select id from participant').split('\n');

	const p = await partner({ scopes: ['stats:read', 'feed:read'] });
	const admin = await tokenFor('admin');
	const texts = [];
	for (const token of [p.token, admin]) {
		// What every active partner client has read is pruned (issue 17):
		// the demo's rows may be gone once earlier tests' clients read
		// them all. Whatever the feed still holds is read.
		const { items } = await drainFeed(token);
		assert.ok(items.length > 0, 'the feed holds changes');
		texts.push(['feed', JSON.stringify(items)]);
	}
	for (const group_by of ['province', 'district', 'target_group', 'month', 'event']) {
		texts.push([`stats ${group_by}`, expectStatus(await stats(p.token, { group_by }), 200).text]);
		texts.push([`csv ${group_by}`, expectStatus(await api('GET',
		    `/v1/stats/attendance.csv?group_by=${group_by}`, { token: admin }), 200).text]);
	}
	for (const [where, text] of texts) {
		for (const n of needles)
			assert.ok(!text.includes(n), `${where}: a national id or phone (${n.slice(0, 3)}...)`);
		for (const n of fullNames)
			assert.ok(!text.includes(n), `${where}: a full name`);
		if (where === 'feed') {
			// The feed has no free text at all: not even a last name.
			for (const n of lastNames)
				assert.ok(!text.includes(n), `${where}: a last name`);
			for (const id of participantIds)
				assert.ok(!text.includes(id), `${where}: a participant id`);
			assert.ok(!/first_name|last_name|national_id|phone|display_name/.test(text), `${where}: field names`);
		}
	}
});
