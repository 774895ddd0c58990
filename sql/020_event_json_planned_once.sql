-- An event's JSON and its place names, as plpgsql. As SQL functions
-- with subqueries they could not be inlined, so each was parsed and
-- planned again in every transaction that called it from plpgsql (as
-- check-in's helpers were, see 019): pg_stat_user_functions counted
-- api.event_json at 0.53 ms and api.place_names at 0.21 ms a call for
-- GET /v1/events/{id}, whose whole statement took about 1.4 ms. plpgsql
-- keeps their plans per connection. The same JSON as 013 and 011.

create or replace function api.place_names(p_province text, p_district text,
    p_subdistrict text) returns jsonb
language plpgsql stable as $$
begin
	return jsonb_build_object(
	    'province_code', p_province,
	    'province_name', (select name_th from province
		where code = p_province::bpchar),
	    'district_code', p_district,
	    'district_name', (select name_th from district
		where code = p_district::bpchar),
	    'subdistrict_code', p_subdistrict,
	    'subdistrict_name', (select name_th from subdistrict
		where code = p_subdistrict::bpchar and
		district_code = p_district::bpchar));
end;
$$;

create or replace function api.event_json(e event) returns jsonb
language plpgsql stable as $$
begin
	return jsonb_build_object(
	    'id', e.id, 'title', e.title, 'project_name', e.project_name,
	    'description', e.description, 'kind', e.kind,
	    'starts_at', api.ts(e.starts_at), 'ends_at', api.ts(e.ends_at),
	    'venue', jsonb_build_object('name', e.venue_name,
		'room', e.venue_room) || api.place_names(e.province_code,
		e.district_code, e.subdistrict_code),
	    'agency_id', e.agency_id,
	    'agency_name', (select name from agency where id = e.agency_id),
	    'co_organizer_ids', coalesce((select jsonb_agg(c.agency_id
		order by c.agency_id) from event_co_organizer c
		where c.event_id = e.id), '[]'),
	    'presiding_official', e.presiding_official,
	    'capacity', e.capacity,
	    'quotas', coalesce((select jsonb_agg(jsonb_build_object(
		'target_group', q.target_group, 'seats', q.seats)
		order by q.target_group) from event_quota q
		where q.event_id = e.id), '[]'),
	    'registration_opens_at', api.ts(e.registration_opens_at),
	    'registration_closes_at', api.ts(e.registration_closes_at),
	    'status', e.status, 'fiscal_year_be', e.fiscal_year_be,
	    'min_sessions', e.min_sessions, 'min_minutes', e.min_minutes,
	    'counts', (select jsonb_build_object(
		'confirmed', count(*) filter (where r.status = 'confirmed'),
		'waitlisted', count(*) filter (where r.status = 'waitlisted'))
		from registration r where r.event_id = e.id),
	    'created_at', api.ts(e.created_at),
	    'updated_at', api.ts(e.updated_at));
end;
$$;
