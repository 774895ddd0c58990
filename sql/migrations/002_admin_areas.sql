-- Thai administrative areas (provinces, districts, subdistricts) with
-- official codes, from thai-admin-areas.csv (npm thai-address-database
-- 0.0.30, ISC licence). A subdistrict code can appear under two districts
-- in this data (areas moved), so a subdistrict is keyed by code and
-- district. Rows the source left without codes are kept by name only.

create table province (
	code		char(2) primary key check (code ~ '^[0-9]{2}$'),
	name_th		text not null
);

create table district (
	code		char(4) primary key check (code ~ '^[0-9]{4}$'),
	province_code	char(2) not null references province(code),
	name_th		text not null
);
create index district_province_idx on district(province_code);

create table subdistrict (
	code		char(6) not null check (code ~ '^[0-9]{6}$'),
	district_code	char(4) not null references district(code),
	name_th		text not null,
	postcode	text,
	primary key (code, district_code)
);
create index subdistrict_district_idx on subdistrict(district_code);

create table admin_area_uncoded (
	province_code	char(2) not null references province(code),
	district_code	text,
	district_th	text not null,
	subdistrict_th	text not null,
	postcode	text
);

create temporary table admin_area_raw (
	province_code	text,
	province	text,
	district_code	text,
	district	text,
	subdistrict_code text,
	subdistrict	text,
	postcode	text
) on commit drop;

\copy admin_area_raw from 'sql/data/thai-admin-areas.csv' with (format csv, header true, encoding 'UTF8')

insert into province (code, name_th)
select distinct province_code, province from admin_area_raw;

insert into district (code, province_code, name_th)
select distinct on (district_code) district_code, province_code, district
from admin_area_raw
where district_code ~ '^[0-9]{4}$'
order by district_code, province_code;

insert into subdistrict (code, district_code, name_th, postcode)
select distinct on (subdistrict_code, district_code) subdistrict_code,
    district_code, subdistrict, nullif(postcode, '')
from admin_area_raw
where subdistrict_code ~ '^[0-9]{6}$' and district_code ~ '^[0-9]{4}$'
order by subdistrict_code, district_code, postcode;

insert into admin_area_uncoded (province_code, district_code, district_th,
    subdistrict_th, postcode)
select province_code, nullif(district_code, 'false'), district, subdistrict,
    nullif(postcode, '')
from admin_area_raw
where subdistrict_code !~ '^[0-9]{6}$' or district_code !~ '^[0-9]{4}$';
