-- Personal data only where it belongs (issue 14, items 2, 5 and 10).
--
-- Who reads a person. Admins read everyone; an organiser's agency reads
-- a participant only while the person is registered (not cancelled) at
-- an event the agency organises or co-organises. Scanners and partners
-- read no participant record (the C layer refuses them); a scanner gets
-- what a scan result says. A person's record is one for all agencies, so
-- whoever holds a national id can register that person at one of their
-- own open events, and from then on reads the record: that is the
-- registration flow, and it leaves the registration behind. What must
-- not happen is learning about a person without registering them, so
-- POST /v1/participants answers alike whether the person was known, and
-- a registration or import refuses (or accepts) a body alike for a new
-- person and one only another agency knows.
--
-- Masked by default, for everyone: national ids and phones show only as
-- masks in participant reads and in registrations.csv. Clear values on
-- an explicit reveal (?reveal=national_id,phone&purpose=...) for admins
-- and organisers of the organising agency (not of a co-organising one:
-- the organising agency answers for the event, its payments and its
-- reports), and each reveal served is written to the audit in the same
-- statement as the read, so no reveal leaves the database unrecorded.
--
-- Scanner assignment: only scanner accounts of the event's organising or
-- co-organising agencies.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- participants.sql, events.sql, audit.sql, registrations.sql, scanners.sql.

create index event_co_organizer_agency_idx on event_co_organizer(agency_id,
    event_id);

-- ------------------------------------------------------------ the audit

-- partner_audit (015) becomes the one audit admins read at GET /v1/audit:
-- partner reads (kind partner_read) and reveals (kind reveal: who, when,
-- which event or person, which fields, how many rows, and the purpose).
-- Never personal data: ids, field names and the purpose the caller gave
-- (C refuses a purpose that holds a long run of digits).
alter table partner_audit
    add column kind text not null default 'partner_read'
	check (kind in ('partner_read', 'reveal')),
    add column event_id uuid,
    add column participant_id uuid,
    add column fields text[]
	check (cardinality(fields) between 1 and 2 and
	fields <@ array['national_id', 'phone']),
    add column purpose text check (char_length(purpose) between 5 and 200),
    add constraint partner_audit_reveal_check check (case kind
	when 'reveal' then actor_kind = 'user' and fields is not null and
	    purpose is not null and (event_id is null) <> (participant_id is null)
	else fields is null and purpose is null and event_id is null and
	    participant_id is null end);
create index partner_audit_kind_idx on partner_audit(kind, at, id);
comment on table partner_audit is 'The audit of GET /v1/audit: partner '
    'reads and reveals of national ids and phones (kind).';
