-- Issue 18: short ticket links for text messages, and the right to
-- restriction of processing (PDPA s. 34).

-- A confirmation by SMS or LINE carries a short link to the ticket
-- (GET /v1/t/{code}): the code is made by ngan-outbox from the message
-- (the same on a retry) and only its SHA-256 is kept here. It names one
-- ticket version, as a link token does; the ticket route says whether
-- that version still holds.
create table ticket_link (
	code_hash	bytea primary key check (length(code_hash) = 32),
	registration_id	uuid not null references registration(id)
			    on delete cascade,
	ticket_version	int not null check (ticket_version >= 1),
	created_at	timestamptz not null default now()
);
create index ticket_link_registration_idx on ticket_link (registration_id);

-- Restriction (s. 34): while set, the person's data is kept but not
-- used: no messages, not matched by imports or self-registration, not
-- in exports, not revealed (admins only, for a legal claim).
alter table participant add column restricted_at timestamptz;
alter table participant add constraint participant_erased_restricted
    check (erased_at is null or restricted_at is null);

alter table privacy_request drop constraint privacy_request_kind_check;
alter table privacy_request add constraint privacy_request_kind_check
    check (kind in ('access', 'rectification', 'erasure', 'withdrawal',
    'retention', 'restriction', 'restriction-lifted'));
