// Helpers of the outbox tests (23-*..29-*, issue 19): delivery processes
// (build/ngan-outbox) of the test's own, and an HTTP receiver standing in
// for a provider. The run's own delivery process (scripts/test.sh) is
// stopped while a file runs its own, and started again after.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { sql, waitFor } from './lib.mjs';

function bash(cmd) {
	assert.ok(cmd, 'scripts/test.sh exports the outbox commands');
	execFileSync('bash', ['-c', cmd], { stdio: 'ignore' });
}

export function stopSharedOutbox() {
	bash(process.env.NGAN_OUTBOX_STOP);
}

export function startSharedOutbox() {
	bash(process.env.NGAN_OUTBOX_START);
}

const logDir = mkdtempSync(join(tmpdir(), 'ngan-outbox-e2e-'));
let logN = 0;

// A delivery process with env over the run's; .log() reads its output.
export function startOutbox(env = {}) {
	const file = join(logDir, `outbox-${++logN}.log`);
	const fd = openSync(file, 'a');
	const child = spawn(process.env.NGAN_OUTBOX_BIN, [], {
	    env: { ...process.env, NGAN_OUTBOX_BACKOFF_MS: '100', ...env },
	    stdio: ['ignore', fd, fd] });
	closeSync(fd);
	child.log = () => readFileSync(file, 'utf8');
	child.exited = new Promise((resolve) => child.on('exit', resolve));
	return child;
}

export async function stopOutbox(child, signal = 'SIGTERM') {
	if (child.exitCode === null && child.signalCode === null)
		child.kill(signal);
	await child.exited;
}

// An HTTP server on 127.0.0.1 that records every request (method, url,
// headers, body) and answers with answer(req, n) ({status, delay} or
// 'hang': no answer, the socket left open), n counting from 1.
export async function receiver(answer = () => ({ status: 200 }), port = 0) {
	const got = [];
	const hanging = [];
	const server = createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			got.push({ method: req.method, url: req.url, headers: req.headers, body });
			const a = answer(req, got.length);
			if (a === 'hang') {
				hanging.push(res);
				return;
			}
			setTimeout(() => {
				res.writeHead(a.status, { 'content-type': 'application/json' });
				res.end('{}');
			}, a.delay ?? 0);
		});
	});
	await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
	return {
	    got,
	    port: server.address().port,
	    url: `http://127.0.0.1:${server.address().port}/sms`,
	    close: () => new Promise((resolve) => {
		for (const res of hanging)
			res.socket?.destroy();
		server.closeAllConnections?.();
		server.close(resolve);
	    }),
	};
}

// A port nothing listens on (yet).
export async function closedPort() {
	const s = createServer();
	await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
	const { port } = s.address();
	await new Promise((resolve) => s.close(resolve));
	return port;
}

export function outboxRow(where, params) {
	const out = sql(`select row_to_json(x) from (select id, idempotency_key, kind,
	    status, attempts, secret_enc is not null as has_secret, last_error,
	    registration_id, participant_id from outbox where ${where}
	    order by created_at desc limit 1) x`, params);
	return out ? JSON.parse(out) : null;
}

export async function settled(where, params, status = 'sent', timeout = 15000) {
	let row;
	await waitFor(() => (row = outboxRow(where, params))?.status === status, { timeout });
	return row;
}

// A certificate for 127.0.0.1, made once, trusted by the delivery alone.
let tls;
function smtpTls() {
	if (!tls) {
		execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
		    'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
		    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(logDir, 'key.pem'),
		    '-out', join(logDir, 'cert.pem')], { stdio: 'ignore' });
		tls = { cert: readFileSync(join(logDir, 'cert.pem')),
		    key: readFileSync(join(logDir, 'key.pem')), caFile: join(logDir, 'cert.pem') };
	}
	return tls;
}

// An SMTP server on 127.0.0.1 (STARTTLS offered) that keeps every
// message it takes: {raw, secure, from, to}.
export async function smtpServer(port = 0) {
	const { cert, key } = smtpTls();
	const mails = [];
	const server = new SMTPServer({
	    key, cert, authOptional: true, logger: false,
	    onData(stream, session, cb) {
		const chunks = [];
		stream.on('data', (c) => chunks.push(c));
		stream.on('end', () => {
			mails.push({ raw: Buffer.concat(chunks), secure: session.secure,
			    from: session.envelope.mailFrom.address,
			    to: session.envelope.rcptTo.map((r) => r.address) });
			cb();
		});
	    },
	});
	await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
	return { mails, port: server.server.address().port,
	    close: () => new Promise((resolve) => server.close(resolve)) };
}

// What a delivery process needs to send email to the server at port.
export function emailEnv(port) {
	return { NGAN_MESSAGES: 'log', NGAN_SMTP_URL: `smtp://127.0.0.1:${port}`,
	    NGAN_SMTP_FROM: 'ngan@example.org', NGAN_SMTP_CA_FILE: smtpTls().caFile };
}
