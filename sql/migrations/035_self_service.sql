-- Issue 18, items 1 to 3: the participants' own way in. An event opened
-- to the public (its own window, the target groups it takes), versioned
-- consent texts, registrations that say which text was accepted and when,
-- one-time codes (stored as keyed hashes only) and the attempts that the
-- per-address and per-person limits count. Functions: sql/api/self.sql.

create table consent_text (
	version		text primary key
			    check (version ~ '^[0-9A-Za-z._-]{1,50}$'),
	text_th		text not null check (length(text_th) between 1 and 20000),
	text_en		text not null check (length(text_en) between 1 and 20000),
	published_at	timestamptz not null default now()
);

insert into consent_text (version, text_th, text_en, published_at) values
    ('2026-12',
    'ข้าพเจ้ายินยอมให้สำนักงานแรงงานจังหวัดเก็บ ใช้ และเปิดเผยชื่อ '
    'เลขประจำตัวประชาชน หมายเลขโทรศัพท์ และที่อยู่ของข้าพเจ้า '
    'เพื่อการลงทะเบียน การเข้าร่วม และสถิติของกิจกรรมเท่านั้น '
    'ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562 '
    'ข้าพเจ้าถอนความยินยอมได้ทุกเมื่อ',
    'I agree that the provincial labour office keeps, uses and discloses '
    'my name, national id number, phone number and address only for '
    'registering for, attending and counting its events, under the '
    'Personal Data Protection Act B.E. 2562 (2019). I may withdraw this '
    'consent at any time.',
    '2026-12-01T00:00:00+07:00');

-- An event open to the public: its own window (null ends: from now, until
-- the event's own registration closes) and the target groups it takes.
create table event_public_registration (
	event_id	uuid primary key references event(id),
	opens_at	timestamptz,
	closes_at	timestamptz,
	check (closes_at is null or opens_at is null or closes_at > opens_at)
);

create table event_public_group (
	event_id	uuid not null
			    references event_public_registration(event_id)
			    on delete cascade,
	target_group	text not null references target_group(code),
	primary key (event_id, target_group)
);

alter table registration
    add column consent_version text references consent_text(version),
    add column consent_at timestamptz,
    add constraint registration_consent_check
	check ((consent_version is null) = (consent_at is null));

alter table registration drop constraint registration_source_check;
alter table registration add constraint registration_source_check
    check (source in ('api', 'import', 'walk_in', 'self'));

-- A one-time code: the keyed hash (C makes it with NGAN_PII_KEY's HMAC
-- key) of the code, never the code; 10 minutes, 5 tries, once.
create table participant_code (
	id		uuid primary key default gen_random_uuid(),
	participant_id	uuid not null references participant(id)
			    on delete cascade,
	code_hash	bytea not null check (length(code_hash) = 32),
	tries		int not null default 0 check (tries between 0 and 5),
	created_at	timestamptz not null default now(),
	expires_at	timestamptz not null,
	used_at		timestamptz,
	check (expires_at > created_at)
);
create index participant_code_person_idx
    on participant_code(participant_id, created_at);

-- What the limits count: bucket is a prefix per route and kind
-- ("addr-code:", "code:"...) and a keyed hash of the client address or
-- the national id's HMAC (hex): no address or number in clear. Rows
-- older than a day count for nothing and are pruned (api.self_limited).
create table self_attempt (
	bucket		text not null check (length(bucket) between 5 and 80),
	at		timestamptz not null default now()
);
create index self_attempt_idx on self_attempt(bucket, at);
create index self_attempt_at_idx on self_attempt(at);
