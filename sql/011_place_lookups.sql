-- Place lookups by index. The code columns are char(n); comparing them
-- with a text parameter casts the column, so every call scanned all 7,339
-- subdistricts (GET /v1/events with 50 items ran at 223 per second in
-- pgbench itself). Casting the parameter instead uses the primary keys.

create or replace function api.place_names(p_province text, p_district text,
    p_subdistrict text) returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'province_code', p_province,
	    'province_name', (select name_th from province
		where code = p_province::bpchar),
	    'district_code', p_district,
	    'district_name', (select name_th from district
		where code = p_district::bpchar),
	    'subdistrict_code', p_subdistrict,
	    'subdistrict_name', (select name_th from subdistrict
		where code = p_subdistrict::bpchar and
		district_code = p_district::bpchar))
$$;

-- Checks codes and that each sits in its parent; null when all is well,
-- else the field error. prefix names the fields ("venue." for events).
create or replace function api.place_error(p_prefix text, p_province text,
    p_district text, p_subdistrict text) returns api.result
language plpgsql stable as $$
begin
	if p_province is not null and not exists (select 1 from province
	    where code = p_province::bpchar) then
		return api.field_error(p_prefix || 'province_code',
		    'not_found', 'No province has this code.');
	end if;
	if p_district is not null then
		if not exists (select 1 from district where code = p_district::bpchar)
		then
			return api.field_error(p_prefix || 'district_code',
			    'not_found', 'No district has this code.');
		end if;
		if p_province is null or not exists (select 1 from district
		    where code = p_district::bpchar and
		    province_code = p_province::bpchar)
		then
			return api.field_error(p_prefix || 'district_code',
			    'mismatch', 'This district is not in the province.');
		end if;
	end if;
	if p_subdistrict is not null then
		if not exists (select 1 from subdistrict
		    where code = p_subdistrict::bpchar) then
			return api.field_error(p_prefix || 'subdistrict_code',
			    'not_found', 'No subdistrict has this code.');
		end if;
		if p_district is null or not exists (select 1 from subdistrict
		    where code = p_subdistrict::bpchar and
		    district_code = p_district::bpchar)
		then
			return api.field_error(p_prefix || 'subdistrict_code',
			    'mismatch',
			    'This subdistrict is not in the district.');
		end if;
	end if;
	return null;
end;
$$;

