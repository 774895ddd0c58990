-- make bench: 60 more published events (copies of the demo's January
-- 2027 seminar a day apart, with quotas), so the public list of 50
-- (GET /v1/events?limit=50 and the peer's 50-row select) holds 50 rows.
insert into event (id, agency_id, title, project_name, description, kind,
    starts_at, ends_at, venue_name, venue_room, province_code,
    district_code, subdistrict_code, presiding_official, capacity,
    registration_opens_at, registration_closes_at, status)
select gen_random_uuid(), e.agency_id, e.title || ' (รุ่นที่ ' || n || ')',
    e.project_name, e.description, e.kind,
    e.starts_at + make_interval(days => n), e.ends_at + make_interval(days => n),
    e.venue_name, e.venue_room, e.province_code, e.district_code,
    e.subdistrict_code, e.presiding_official, e.capacity,
    e.registration_opens_at, e.registration_closes_at, 'published'
from event e, generate_series(1, 60) n
where e.id = 'e0000000-0000-4000-8000-000000000006';

insert into event_quota (event_id, target_group, seats)
select c.id, q.target_group, q.seats
from event c
join event_quota q on q.event_id = 'e0000000-0000-4000-8000-000000000006'
where c.title like '% (รุ่นที่ %)';
