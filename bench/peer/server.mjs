// make bench's framework peer (issue 17, item 2): Fastify 5 + pg on the
// same database as the server under test, one process per kore worker
// (node:cluster), each with a pool as large as a worker's. Two routes:
//
//   GET /one     a bare single-row select: one event's columns by id
//   GET /fifty   a 50-row select: the first 50 events by start
//
// Both answer the rows as JSON, serialised by Fastify. Our one event and
// list of 50 are measured against them in the same run (bench/run.sh).
//
// Environment: DATABASE_URL, PEER_PORT, PEER_WORKERS (2), PEER_PG_CONNS (8),
// PEER_EVENT_ID (the event /one reads).

import cluster from 'node:cluster';
import Fastify from 'fastify';
import pg from 'pg';

const workers = Number(process.env.PEER_WORKERS ?? 2);
const port = Number(process.env.PEER_PORT);
const eventId = process.env.PEER_EVENT_ID;

if (cluster.isPrimary) {
	for (let i = 0; i < workers; i++)
		cluster.fork();
	cluster.on('exit', (_w, code) => {
		console.error(`peer: a worker exited (${code})`);
		process.exit(1);
	});
	process.on('SIGTERM', () => {
		for (const id in cluster.workers)
			cluster.workers[id].kill('SIGTERM');
		process.exit(0);
	});
} else {
	const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL,
	    max: Number(process.env.PEER_PG_CONNS ?? 8) });
	const columns = 'id, title, kind, starts_at, ends_at, venue_name, ' +
	    'province_code, district_code, agency_id, capacity, status, ' +
	    'confirmed_count, waitlisted_count, updated_at';
	const one = { name: 'one', text: `select ${columns} from event where id = $1` };
	const fifty = { name: 'fifty', text: `select ${columns} from event
	    where status <> 'draft' order by starts_at, id limit 50` };
	const app = Fastify({ logger: false });
	app.get('/one', async (_req, reply) => {
		const { rows } = await pool.query({ ...one, values: [eventId] });
		if (rows.length === 0)
			return reply.code(404).send({ status: 404 });
		return rows[0];
	});
	app.get('/fifty', async () => {
		const { rows } = await pool.query(fifty);
		return { items: rows };
	});
	app.listen({ host: '127.0.0.1', port }).catch((err) => {
		console.error(`peer: ${err.message}`);
		process.exit(1);
	});
}
