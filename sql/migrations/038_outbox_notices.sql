-- Issue 19, the rest: a webhook endpoint's owner is told when it is
-- disabled, and people are reminded the day before an event.
--
-- Partner clients hold no address to write to (003: a name, scopes,
-- provinces), nor do their partner accounts. Whoever registers an
-- endpoint may give a contact email for it (optional, sealed with
-- NGAN_PII_KEY as a participant's is, ad "email": it may name a
-- person), and the language to write in. When the endpoint is disabled
-- an email row is written for it in the same transaction
-- (notice_endpoint_id: the address is read from the endpoint when it is
-- sent, as a participant's is, not copied).
alter table webhook_endpoint add column contact_enc bytea
    check (length(contact_enc) <= 400);
alter table webhook_endpoint add column contact_lang text
    check (contact_lang in ('th', 'en'));

alter table outbox add column notice_endpoint_id uuid
    references webhook_endpoint(id) on delete cascade;
alter table outbox add constraint outbox_notice_check check
    (notice_endpoint_id is null or (channel = 'email' and
    participant_id is null and kind = 'endpoint.disabled'));
create index outbox_notice_idx on outbox (notice_endpoint_id)
    where notice_endpoint_id is not null;

alter table outbox drop constraint outbox_kind_check;
alter table outbox add constraint outbox_kind_check check (kind in
    ('code', 'registered', 'registered_again', 'promoted', 'reminder',
    'endpoint.disabled', 'registration.created', 'registration.cancelled',
    'checkin.created', 'event.changed'));

-- The reminder the day before an event: one per registration, ever
-- (the primary key is the idempotency: a second run, or a run on a
-- second server, finds it written).
create table reminder_sent (
	registration_id	uuid primary key references registration(id)
			    on delete cascade,
	at		timestamptz not null default now()
);

-- When the reminder job last looked (one row), as retention_run (036).
create table reminder_run (
	id		boolean primary key default true check (id),
	ran_at		timestamptz not null,
	reminded	int not null check (reminded >= 0)
);
