-- Issue 18, items 4 and 5: the person's rights under the PDPA (sections
-- 30 to 36: access, rectification, erasure, withdrawal of consent) and
-- retention. Functions: sql/api/privacy.sql.
--
-- Erasure keeps the participant row, without anything personal in it:
-- its id (registrations and check-ins point at it), the statistics'
-- record key, section 40 and the target group, which the statistics
-- count; so totals do not change. Names, the national id in every form
-- (HMAC, sealed, last digits), the phone and the address become null.

alter table participant
    alter column first_name drop not null,
    alter column last_name drop not null,
    alter column national_id_hmac drop not null,
    alter column national_id_enc drop not null,
    alter column national_id_last3 drop not null,
    add column erased_at timestamptz,
    add column erased_reason text
	check (erased_reason in ('erasure', 'withdrawal', 'retention')),
    add constraint participant_erased_check check (case
	when erased_at is null then erased_reason is null and
	    first_name is not null and last_name is not null and
	    national_id_hmac is not null and national_id_enc is not null and
	    national_id_last3 is not null
	else erased_reason is not null and title_th is null and
	    first_name is null and last_name is null and
	    national_id_hmac is null and national_id_enc is null and
	    national_id_last3 is null and phone_enc is null and
	    phone_last4 is null and province_code is null and
	    occupation is null end);

-- Every request a person makes (or staff make for them, or the
-- retention job) and its outcome, for the data protection officer. No
-- personal data: ids, the names of the fields changed, the reason code.
create table privacy_request (
	id		uuid primary key default gen_random_uuid(),
	at		timestamptz not null default now(),
	participant_id	uuid not null,
	kind		text not null check (kind in ('access',
			    'rectification', 'erasure', 'withdrawal',
			    'retention')),
	channel		text not null check (channel in ('self', 'staff',
			    'job')),
	-- The staff account that acted on the person's request.
	actor_id	uuid,
	outcome		text not null check (outcome in ('done',
			    'refused')),
	reason		text check (reason ~ '^[a-z-]{1,40}$'),
	fields		text[] check (fields <@ array['title_th',
			    'first_name', 'last_name', 'national_id', 'phone',
			    'province_code', 'district_code',
			    'subdistrict_code']),
	check ((channel = 'staff') = (actor_id is not null)),
	check ((outcome = 'refused') = (reason is not null))
);
create index privacy_request_list_idx on privacy_request(at, id);
create index privacy_request_person_idx on privacy_request(participant_id,
    at);

-- When the retention job last ran (one row): every worker's timer asks,
-- the first after a day takes it.
create table retention_run (
	id		boolean primary key default true check (id),
	ran_at		timestamptz not null,
	erased		int not null check (erased >= 0)
);

