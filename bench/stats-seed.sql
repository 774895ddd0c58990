-- make bench: a year of statistics, seeded straight into the database
-- (not through the API): every province (77) x :events events x :regs
-- registrations, about 60% of them checked in, in fiscal year 2575
-- (October 2031 to September 2032), far from the demo data. People come
-- from a pool of :people so that some register more than once. Run by
-- psql with -v events=50 -v regs=200 -v people=150000 (the defaults
-- below are the target sizes).
\if :{?events}
\else
\set events 50
\endif
\if :{?regs}
\else
\set regs 200
\endif
\if :{?people}
\else
\set people 150000
\endif

begin;
-- The feed's triggers would log 770,000 creates one by one: not what this
-- measures, and only a superuser or the owner may skip them.
alter table registration disable trigger registration_feed_aiud;
alter table checkin disable trigger checkin_feed_aiu;

insert into participant (id, first_name, last_name, national_id_hmac,
    national_id_enc, national_id_last3, target_group, section40,
    pdpa_consent_at, pdpa_consent_version)
select ('c0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
    'ผู้เข้าร่วม', 'ทดสอบ' || i, digest('bench-stats-' || i, 'sha256'),
    digest('enc-' || i, 'sha256'), lpad((i % 1000)::text, 3, '0'),
    (array['labour_volunteer', 'general', 'local_official',
	'informal_worker'])[1 + i % 4], i % 3 = 0,
    now(), 'bench'
from generate_series(1, :people) i;

insert into event (id, agency_id, title, kind, starts_at, ends_at,
    venue_name, province_code, capacity, status)
select ('c1000000-0000-4000-8000-' || lpad(to_hex(p.n * 1000 + e), 12, '0'))::uuid,
    'a0000000-0000-4000-8000-000000000001',
    'สัมมนาทดสอบสถิติ ' || p.code || '-' || e,
    'seminar', t, t + interval '6 hours', 'ห้องประชุม', p.code, 1000,
    'published'
from (select code, row_number() over (order by code) as n from province) p,
    generate_series(1, :events) e,
    lateral (select timestamptz '2031-10-02 09:00+07' +
	(e * 7 % 360) * interval '1 day' as t) s;

insert into registration (event_id, participant_id, target_group, status,
    source, created_at, updated_at)
select ev.id,
    ('c0000000-0000-4000-8000-' || lpad(to_hex(1 + (ev.n * 7919 + r * 104729)
	% :people), 12, '0'))::uuid,
    (array['labour_volunteer', 'general', 'local_official',
	'informal_worker'])[1 + r % 4], 'confirmed', 'import', ev.starts_at,
    ev.starts_at
from (select id, starts_at, row_number() over (order by id) as n from event
    where fiscal_year_be = 2575) ev,
    generate_series(1, :regs) r
on conflict (event_id, participant_id) do nothing;

insert into checkin (event_id, registration_id, direction, state, result,
    scanned_at, nonce, status, answer)
select r.event_id, r.id, 'in', 'effective', 'checked_in',
    r.created_at + interval '10 minutes', 'bench-' || r.id, 201, '{}'
from registration r join event e on e.id = r.event_id
where e.fiscal_year_be = 2575 and (hashtext(r.id::text) % 10 + 10) % 10 < 6;

alter table registration enable trigger registration_feed_aiud;
alter table checkin enable trigger checkin_feed_aiu;
commit;
analyze participant;
analyze event;
analyze registration;
analyze checkin;
