-- Events, their sessions, quotas and co-organisers; participants and
-- registrations. Rules that must hold whatever the caller are constraints
-- and triggers here, not only checks in the API functions.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- events.sql, sessions.sql.

-- A district must sit in the province named beside it, a subdistrict in
-- its district: composite foreign keys need these keys.
alter table district add unique (code, province_code);

create table target_group (
	code		text primary key check (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	name_th		text not null,
	name_en		text not null
);

insert into target_group (code, name_th, name_en) values
    ('labour_volunteer', 'อาสาสมัครแรงงาน (อสร.)', 'Labour volunteer'),
    ('volunteer_mentor', 'พี่เลี้ยงอาสาสมัครแรงงาน', 'Volunteer mentor'),
    ('anti_trafficking_officer', 'เจ้าหน้าที่ป้องกันการค้ามนุษย์',
     'Anti-trafficking officer'),
    ('informal_worker', 'แรงงานนอกระบบ', 'Informal worker'),
    ('network_leader', 'แกนนำเครือข่ายแรงงาน', 'Labour network leader'),
    ('local_official', 'เจ้าหน้าที่องค์กรปกครองส่วนท้องถิ่น',
     'Local government official'),
    ('health_staff', 'เจ้าหน้าที่โรงพยาบาลส่งเสริมสุขภาพตำบล',
     'Health-promoting hospital staff'),
    ('community_leader', 'ผู้นำชุมชน', 'Community leader'),
    ('general', 'บุคคลทั่วไป', 'General public');

create table event (
	id		uuid primary key default gen_random_uuid(),
	agency_id	uuid not null references agency(id),
	title		text not null check (length(title) between 1 and 500),
	project_name	text check (length(project_name) <= 500),
	description	text check (length(description) <= 20000),
	kind		text not null check (kind in ('seminar', 'training',
			    'workshop', 'meeting')),
	starts_at	timestamptz not null,
	ends_at		timestamptz not null,
	venue_name	text not null check (length(venue_name) between 1 and 300),
	venue_room	text check (length(venue_room) <= 200),
	province_code	char(2) not null references province(code),
	district_code	char(4),
	subdistrict_code char(6),
	presiding_official text check (length(presiding_official) <= 300),
	capacity	int not null check (capacity between 1 and 100000),
	registration_opens_at timestamptz,
	registration_closes_at timestamptz,
	status		text not null default 'draft' check (status in ('draft',
			    'published', 'closed', 'cancelled')),
	-- Thai fiscal year: 1 Oct - 30 Sep, named by the BE year it ends.
	fiscal_year_be	int not null generated always as ((extract(year from
			    timezone('Asia/Bangkok', starts_at) +
			    interval '3 months'))::int + 543) stored,
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	check (ends_at > starts_at),
	check (registration_closes_at is null or registration_opens_at is null
	    or registration_closes_at > registration_opens_at),
	check (subdistrict_code is null or district_code is not null),
	foreign key (district_code, province_code)
	    references district(code, province_code),
	foreign key (subdistrict_code, district_code)
	    references subdistrict(code, district_code)
);
create index event_list_idx on event(starts_at, id);
create index event_agency_idx on event(agency_id);
create index event_province_idx on event(province_code, starts_at);
create index event_fy_idx on event(fiscal_year_be);
-- Thai has no spaces between words: substring search by trigrams.
create index event_search_idx on event
    using gin ((title || ' ' || venue_name) gin_trgm_ops);

create table event_co_organizer (
	event_id	uuid not null references event(id) on delete cascade,
	agency_id	uuid not null references agency(id),
	primary key (event_id, agency_id)
);

create table event_quota (
	event_id	uuid not null references event(id) on delete cascade,
	target_group	text not null references target_group(code),
	seats		int not null check (seats between 0 and 100000),
	primary key (event_id, target_group)
);

create table event_session (
	id		uuid primary key default gen_random_uuid(),
	event_id	uuid not null references event(id) on delete cascade,
	title		text not null check (length(title) between 1 and 500),
	kind		text not null check (kind in ('opening', 'lecture',
			    'panel', 'workshop')),
	starts_at	timestamptz not null,
	ends_at		timestamptz not null,
	room		text check (length(room) <= 200),
	speakers	jsonb not null default '[]'
			    check (jsonb_typeof(speakers) = 'array'),
	capacity	int check (capacity between 1 and 100000),
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	check (ends_at > starts_at)
);
create index event_session_event_idx on event_session(event_id, starts_at);

-- People. The national id is never stored readable: a keyed hash
-- (HMAC-SHA-256 with NGAN_PII_KEY) finds a person again, an authenticated
-- encryption (XChaCha20-Poly1305, same key family) lets the organising
-- agency export it, and only the last three digits are kept for masks.
create table participant (
	id		uuid primary key default gen_random_uuid(),
	title_th	text check (length(title_th) between 1 and 50),
	first_name	text not null check (length(first_name) between 1 and 200),
	last_name	text not null check (length(last_name) between 1 and 200),
	national_id_hmac bytea not null unique
			    check (length(national_id_hmac) = 32),
	national_id_enc	bytea not null,
	national_id_last3 char(3) not null check (national_id_last3 ~ '^[0-9]{3}$'),
	phone_enc	bytea,
	phone_last4	char(4) check (phone_last4 ~ '^[0-9]{4}$'),
	province_code	char(2) references province(code),
	district_code	char(4),
	subdistrict_code char(6),
	occupation	text check (length(occupation) <= 200),
	target_group	text references target_group(code),
	section40	boolean not null default false,
	pdpa_consent_at	timestamptz,
	pdpa_consent_version text check (length(pdpa_consent_version) <= 50),
	created_by	uuid references app_user(id),
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	check ((pdpa_consent_at is null) = (pdpa_consent_version is null)),
	check (subdistrict_code is null or district_code is not null),
	check (district_code is null or province_code is not null),
	foreign key (district_code, province_code)
	    references district(code, province_code),
	foreign key (subdistrict_code, district_code)
	    references subdistrict(code, district_code)
);
create index participant_list_idx on participant(created_at, id);
create index participant_name_idx on participant
    using gin ((first_name || ' ' || last_name) gin_trgm_ops);

create table registration (
	id		uuid primary key default gen_random_uuid(),
	event_id	uuid not null references event(id),
	participant_id	uuid not null references participant(id),
	target_group	text not null references target_group(code),
	status		text not null check (status in ('confirmed',
			    'waitlisted', 'cancelled')),
	source		text not null default 'api' check (source in ('api',
			    'import', 'walk_in')),
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	cancelled_at	timestamptz,
	check ((status = 'cancelled') = (cancelled_at is not null)),
	unique (event_id, participant_id)
);
create index registration_event_idx on registration(event_id, created_at, id);
create index registration_waitlist_idx on registration(event_id,
    target_group, created_at) where status = 'waitlisted';
create index registration_participant_idx on registration(participant_id);
