-- The outbox (issue 19): every message to a participant is a row written
-- in the transaction of the change that causes it (a rolled-back change
-- sends nothing, a committed one is never lost); ngan-outbox
-- (tools/ngan-outbox.c) delivers the rows, many of them at once safely.
--
-- No phone is copied here: the delivery reads the participant's sealed
-- phone when it sends, so an erased person is not written to. A one-time
-- code is the one clear-text-worthy secret; it is kept sealed with
-- NGAN_PII_KEY (secret_enc) and wiped once the row is sent or dead.
-- A partner client's webhook endpoint: where the kinds it asked for are
-- POSTed (Standard Webhooks), signed with its secret (sealed with
-- NGAN_PII_KEY, ad "webhook": the delivery needs it back). Failing for a
-- day disables it (disabled_at).
create table webhook_endpoint (
	id		uuid primary key default gen_random_uuid(),
	client_id	uuid not null references partner_client(id)
			    on delete cascade,
	url		text not null check (length(url) between 9 and 2000
			    and url ~ '^https?://'),
	kinds		text[] not null check (kinds <@
			    array['registration.created',
			    'registration.cancelled', 'checkin.created',
			    'event.changed']::text[] and
			    cardinality(kinds) between 1 and 4),
	secret_enc	bytea not null check (length(secret_enc) <= 200),
	failing_since	timestamptz,
	disabled_at	timestamptz,
	created_at	timestamptz not null default now()
);
create index webhook_endpoint_client_idx on webhook_endpoint (client_id);

create table outbox (
	id		uuid primary key default gen_random_uuid(),
	-- Unique: the same change enqueued twice is one message; it also
	-- goes to the channel (Idempotency-Key) so a resend after a crash
	-- between sending and recording can be recognised there.
	idempotency_key	text not null unique
			    check (length(idempotency_key) between 1 and 200),
	channel		text not null check (channel in ('sms', 'email',
			    'line', 'webhook')),
	kind		text not null check (kind in ('code', 'registered',
			    'registered_again', 'promoted',
			    'registration.created', 'registration.cancelled',
			    'checkin.created', 'event.changed')),
	participant_id	uuid references participant(id) on delete cascade,
	endpoint_id	uuid references webhook_endpoint(id) on delete cascade,
	check ((channel = 'webhook') = (endpoint_id is not null)),
	registration_id	uuid references registration(id) on delete set null,
	args		jsonb not null default '{}'
			    check (jsonb_typeof(args) = 'object'),
	secret_enc	bytea check (length(secret_enc) <= 200),
	status		text not null default 'pending'
			    check (status in ('pending', 'sent', 'dead')),
	-- Attempts started; a claim counts one and holds the row until
	-- next_attempt_at (a lease), so a delivery process that dies
	-- mid-send leaves the row to be tried again after the lease.
	attempts	int not null default 0 check (attempts >= 0),
	next_attempt_at	timestamptz not null default now(),
	last_error	text check (length(last_error) <= 300),
	created_at	timestamptz not null default now(),
	sent_at		timestamptz,
	dead_at		timestamptz,
	check ((status = 'sent') = (sent_at is not null)),
	check ((status = 'dead') = (dead_at is not null)),
	check (status = 'pending' or secret_enc is null)
);

-- A participant's email address (optional, given when registering
-- oneself), sealed with NGAN_PII_KEY as the phone is (ad "email"), and
-- the language they read (messages in it; Thai when null).
alter table participant add column email_enc bytea
    check (length(email_enc) <= 400);
alter table participant add column lang text check (lang in ('th', 'en'));
-- The person's LINE user id (given when registering oneself, from the
-- LINE login of the organisers' official account), sealed (ad "line"):
-- messages also go there by the LINE Messaging API's push.
alter table participant add column line_enc bytea
    check (length(line_enc) <= 200);
-- An erased person (036) keeps no way to reach them either.
alter table participant add constraint participant_erased_contact check
    (erased_at is null or (email_enc is null and line_enc is null and
    lang is null));

-- The delivery's one question: what is due now.
create index outbox_due_idx on outbox (next_attempt_at)
    where status = 'pending';
create index outbox_registration_idx on outbox (registration_id)
    where registration_id is not null;
create index outbox_participant_idx on outbox (participant_id);
create index outbox_endpoint_idx on outbox (endpoint_id)
    where endpoint_id is not null;
create index outbox_dead_idx on outbox (dead_at) where status = 'dead';

-- Sends and failures per channel since the start, for /metrics.
create table outbox_count (
	channel		text not null,
	outcome		text not null check (outcome in ('sent', 'failed',
			    'dead')),
	n		bigint not null default 0 check (n >= 0),
	primary key (channel, outcome)
);
