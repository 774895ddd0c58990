-- /v1/agencies (api/agencies.c).

create function api.agency_json(a agency) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', a.id, 'name', a.name, 'kind', a.kind,
	    'province_code', a.province_code,
	    'province_name', (select name_th from province
		where code = a.province_code),
	    'created_at', api.ts(a.created_at),
	    'updated_at', api.ts(a.updated_at))
$$;

create function api.agencies_list(actor jsonb, p_kind text,
    p_province text, p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	last_at	timestamptz;
	last_id	uuid;
	n	int;
begin
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select a from agency a
		where (p_kind is null or a.kind = p_kind) and
		    (p_province is null or a.province_code = p_province) and
		    (p_cursor is null or (a.created_at, a.id) > (c_at, c_id))
		order by a.created_at, a.id
		limit p_limit + 1
	), numbered as (
		select a, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.agency_json(a) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((a).created_at order by rn) filter (where rn = p_limit))[1],
	    (array_agg((a).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

create function api.agency_get(actor jsonb, p_id uuid) returns api.result
language sql stable as $$
	select coalesce((select api.ok(200, api.agency_json(a),
	    '"' || a.version || '"') from agency a where a.id = p_id),
	    api.not_found('not_found.agency'))
$$;

create function api.agency_create(actor jsonb, body jsonb) returns api.result
language plpgsql as $$
declare
	a	agency;
begin
	if body->>'province_code' is not null and not exists (select 1
	    from province where code = body->>'province_code') then
		return api.field_error('province_code', 'not_found',
		    'place.province_unknown');
	end if;
	insert into agency (name, kind, province_code)
	values (body->>'name', body->>'kind', body->>'province_code')
	returning * into a;
	return api.ok(201, api.agency_json(a), '"' || a.version || '"',
	    '/v1/agencies/' || a.id);
end;
$$;
