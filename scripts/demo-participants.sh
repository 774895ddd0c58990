#!/usr/bin/env bash
# Demo participants and registrations for the events of
# sql/demo/002_events.sql: about 300 generated people (Thai titles and
# names, valid 13-digit national ids, 08 phones, homes in the districts and
# subdistricts the seed articles name) and their registrations.
#
#   demo-participants.sh          SQL on stdout (needs NGAN_PII_KEY or
#                                 NGAN_PII_KEY_FILE, and build/ngan-pii
#                                 or NGAN_PII_TOOL)
#   demo-participants.sh --ids    the demo national ids, clear, one a line
#   demo-participants.sh --pii    "NATIONAL_ID<TAB>PHONE" lines, as fed to
#                                 ngan-pii (no phone: the id alone)
#
# Deterministic: the people come from a fixed seed, so --ids prints the same
# list every time (tests search database dumps for them). The SQL holds no
# clear id or phone: they go through ngan-pii (HMAC, sealed copy, last
# digits). Idempotent: fixed UUIDs from the index (participants
# d0000000-...-<index>, registrations f0000000-...-<event><index>) and ON
# CONFLICT DO NOTHING. scripts/migrate.sh --demo runs it when NGAN_PII_KEY
# is set. Plain bash and POSIX awk (mawk on a fresh Debian).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd_root

mode=sql
case ${1:-} in
'') ;;
--ids) mode=ids ;;
--pii) mode=pii ;;
*) die "usage: demo-participants.sh [--ids|--pii]" ;;
esac

# One line per person ("P") and per registration ("R"), tab-separated:
#   P idx title first last nid phone prov dist sub occupation group s40
#     at version
#   R event idx group status source at cancelled_at
# Times are SQL expressions (a Bangkok date plus an interval).
generate() {
	awk -F, -v OFS='\t' '
function rnd() {
	# Park-Miller: exact in the doubles every awk uses.
	seed = (seed * 16807) % 2147483647
	return seed
}
function ri(n) { return rnd() % n }
function pick(list,   a, n) {
	n = split(list, a, ";")
	return a[ri(n) + 1]
}
function nid(dist, i,   s, k, sum, mid) {
	mid = (i * 7919 + 4021) % 100000
	s = (ri(10) < 6 ? "3" : "1") dist sprintf("%05d%02d", mid, ri(100))
	sum = 0
	for (k = 1; k <= 12; k++)
		sum += substr(s, k, 1) * (14 - k)
	return s ((11 - sum % 11) % 10)
}
# A moment in the window: day offset within days, office hours.
function at(base, days,   d, m) {
	d = ri(days)
	m = 8 * 60 + 30 + ri(8 * 60)
	return sprintf("%s|%d|%02d:%02d", base, d, int(m / 60), m % 60)
}
function ts(spec,   a) {
	split(spec, a, "|")
	return sprintf("('\''%s 00:00+07'\''::timestamptz + " \
	    "interval '\''%d days %s'\'')", a[1], a[2], a[3])
}
function later(spec, days,   a) {
	split(spec, a, "|")
	return a[1] "|" (a[2] + days) "|" a[3]
}
# One person of group g living in (dist, sd), who first registered at
# spec from src; prints the P line and answers the index.
function person(dist, sd, g, occs, s40pct, spec, src, north,
    male, t, f, l, ph) {
	idx++
	male = ri(2)
	if (g == "health_staff" && ri(10) < 7)
		male = 0
	if (male)
		t = "นาย"
	else
		t = ri(100) < 60 ? "นาง" : "นางสาว"
	# No two demo people share a name: searches find one.
	do {
		f = pick(male ? MALE : FEMALE)
		l = pick(north ? NORTH : CENTRAL)
	} while ((f, l) in USED)
	USED[f, l] = 1
	ph = ri(10) == 0 ? "" : sprintf("08%08d", ri(100000000))
	print "P", idx, t, f, l, nid(dist, idx), ph, substr(dist, 1, 2), dist,
	    sd, pick(occs), g, (ri(100) < s40pct ? "true" : "false"), ts(spec),
	    (src == "import" ? "import" : "1.0")
	return idx
}
function reg(ev, i, g, status, src, spec, cancelled) {
	print "R", ev, i, g, status, src, ts(spec),
	    (cancelled == "" ? "" : ts(cancelled))
}
# A block of n people of group g for event ev, homes taken in turn from
# the "dist:sub" places in plist ("dist:*": any subdistrict of dist); all
# confirmed but every CANCEL_EVERY-th, cancelled three days later.
function block(ev, n, g, plist, occs, s40pct, base, days, src, north,
    p, np, k, a, spec, i, st, cx) {
	np = split(plist, p, " ")
	for (k = 0; k < n; k++) {
		split(p[k % np + 1], a, ":")
		if (a[2] == "*")
			a[2] = subs(a[1])
		spec = at(base, days)
		i = person(a[1], a[2], g, occs, s40pct, spec, src, north)
		st = "confirmed"
		cx = ""
		if (CANCEL_EVERY > 0 && (k + 1) % CANCEL_EVERY == 0) {
			st = "cancelled"
			cx = later(spec, 3)
		}
		reg(ev, i, g, st, src, spec, cx)
		first[g, ev, ++count[g, ev]] = i
	}
}
# Any subdistrict of a district (from the admin-areas CSV).
function subs(dist) { return SUB[dist, ri(NSUB[dist]) + 1] }
# "dist:*" for each district of a list.
function anywhere(list,   a, n, k, s) {
	n = split(list, a, " ")
	s = ""
	for (k = 1; k <= n; k++)
		s = s (k > 1 ? " " : "") a[k] ":*"
	return s
}

NR > 1 && $3 ~ /^[0-9][0-9][0-9][0-9]$/ &&
    $5 ~ /^[0-9][0-9][0-9][0-9][0-9][0-9]$/ {
	SUB[$3, ++NSUB[$3]] = $5
}

END {
	seed = 25630107
	MALE = "สมชาย;สมศักดิ์;ประเสริฐ;บุญมา;สุรชัย;วิชัย;ณรงค์;สมบัติ;อนุชา;ธนากร;" \
	    "กิตติศักดิ์;ชัยวัฒน์;ประยูร;สุทธิพงษ์;วีระพงษ์;ศักดิ์ชัย;อำนาจ;บุญส่ง;ทองดี;จำรัส;" \
	    "เกรียงไกร;พงศกร;ปรีชา;มานพ;สมพงษ์;อุดม;ไพโรจน์;เอกชัย;ธีรวัฒน์;วัชระ;" \
	    "สุริยา;สมาน;ชาตรี;นิรันดร์;บุญธรรม;เสถียร;อดิศักดิ์;ธวัชชัย;สุพจน์;วรวุฒิ"
	FEMALE = "สมศรี;บุญเรือน;มาลี;สุภาพ;ประภาพร;วันเพ็ญ;จันทร์เพ็ญ;นงลักษณ์;อรุณี;สุดารัตน์;" \
	    "กาญจนา;พิมพ์ใจ;ศรีนวล;บัวผัน;คำปุ่น;แสงเดือน;รัชนี;วิไลวรรณ;ปราณี;สุนีย์;" \
	    "อัมพร;ทองใบ;ลำดวน;จิราพร;ณัฐธิดา;ศิริพร;พรทิพย์;เยาวลักษณ์;อุไรวรรณ;ดวงใจ;" \
	    "นิตยา;สายสุนีย์;บุษบา;กนกวรรณ;ปิยะนุช;สุกัญญา;วาสนา;ละเอียด;บังอร;อำไพ"
	NORTH = "ใจมา;ปัญญาวงศ์;อินทร์แก้ว;แก้วมูล;คำปัน;ศรีวิชัย;ไชยวงศ์;สุริยะ;ธรรมวงศ์;อินต๊ะ;" \
	    "กันทะวงศ์;ปัญโญ;วงศ์ใหญ่;จันทร์ต๊ะ;ขัติยะ;ยานะ;สุทธิ;ต๊ะวงศ์;คำมา;บุญเรือง;" \
	    "แสนคำ;เขื่อนแก้ว;ชัยมงคล;อุ่นเรือน;ทาแก้ว;มูลเมือง;ปินตา;อินทะจักร;ศรีสุข;วงค์ชัย"
	CENTRAL = "สุขสวัสดิ์;ทองคำ;ศรีสวัสดิ์;บุญประเสริฐ;แสงทอง;มีสุข;พึ่งบุญ;ทองมา;เจริญสุข;นาคสวัสดิ์;" \
	    "ประเสริฐศรี;รักษาทรัพย์;สุวรรณรัตน์;อ่อนละมัย;จันทร์หอม;ศรีประเสริฐ;ทองอยู่;ปานทอง;บุญมี;เพชรรัตน์"
	WORK = "เกษตรกร;ค้าขาย;รับจ้างทั่วไป;ธุรกิจส่วนตัว"
	GOV = "ข้าราชการ;พนักงานราชการ"

	# 1. Lamphun 2017: 55 people from the ten subdistricts the article
	#    names (its สันต้นธง is ต้นธง, 510107), imported.
	L = "5101:510106 5101:510107 5101:510113 5101:510112 5101:510102 " \
	    "5101:510101 5107:510115 5107:510114 5102:510203 5102:510201"
	B = "2017-11-15"
	block(1, 10, "local_official", L, "พนักงานส่วนท้องถิ่น", 0, B, 21, "import", 1)
	block(1, 8, "health_staff", L, "เจ้าหน้าที่สาธารณสุข", 0, B, 21, "import", 1)
	block(1, 15, "labour_volunteer", L, WORK, 30, B, 21, "import", 1)
	block(1, 12, "community_leader", L, "ผู้ใหญ่บ้าน;ผู้ช่วยผู้ใหญ่บ้าน;เกษตรกร", 30, B, 21, "import", 1)
	block(1, 10, "informal_worker", L, "รับจ้างทั่วไป;ค้าขาย;เกษตรกร;หัตถกรรม", 70, B, 21, "import", 1)

	# 2. Phichit 2018: labour volunteers and their mentors, อำเภอเมือง.
	B = "2018-08-15"
	block(2, 40, "labour_volunteer", "6601:*", WORK, 30, B, 19, "import", 0)
	block(2, 10, "volunteer_mentor", "6601:*", GOV, 0, B, 19, "import", 0)

	# 3. Lampang 2020: the quotas exactly (100 + 14 + 14), อำเภอเมือง.
	B = "2019-12-02"
	block(3, 100, "labour_volunteer", "5201:*", WORK, 30, B, 32, "import", 1)
	block(3, 14, "volunteer_mentor", "5201:*", GOV, 0, B, 32, "import", 1)
	block(3, 14, "anti_trafficking_officer", "5201:*", GOV, 0, B, 32, "import", 1)

	# 4. Phayao 2021: nine districts; two cancel, five walk in.
	P = anywhere("5601 5602 5603 5604 5605 5606 5607 5608 5609")
	B = "2021-02-01"
	block(4, 12, "labour_volunteer", P, WORK, 40, B, 21, "api", 1)
	block(4, 9, "network_leader", P, "ผู้นำกลุ่มอาชีพ", 60, B, 21, "api", 1)
	CANCEL_EVERY = 9
	block(4, 19, "informal_worker", P,
	    "เกษตรกร;ปลูกผักปลอดสาร;จักสาน;เย็บผ้า;หัตถกรรม", 70, B, 21, "api", 1)
	CANCEL_EVERY = 0
	# (walk-ins gave no subdistrict)
	for (k = 1; k <= 5; k++) {
		spec = sprintf("2021-02-25|0|08:%02d", 5 + 8 * k)
		i = person(substr(P, 1 + 7 * (k - 1), 4), "", "informal_worker",
		    "เกษตรกร", 70, spec, "walk_in", 1)
		reg(4, i, "informal_worker", "confirmed", "walk_in", spec, "")
	}

	# 5. Samut Prakan 2022: traders and farmers from the five districts.
	S = "1101:* 1106:* 1102:* 1104:* 1105:*"
	block(5, 14, "informal_worker", S, "ค้าขาย;เกษตรกร", 70, "2022-08-08", 9, "api", 0)
	block(5, 6, "network_leader", S, "ผู้นำกลุ่มอาชีพ", 50, "2022-08-08", 9, "api", 0)

	# 6. Lampang 2027 (open): 40 volunteers, the 14 mentors (quota full)
	#    and 6 officers of 2020 again, then 3 new mentors waitlisted.
	B = "2026-10-01"
	for (k = 1; k <= 40; k++)
		reg(6, first["labour_volunteer", 3, k], "labour_volunteer",
		    "confirmed", "api", at(B, 45), "")
	for (k = 1; k <= 14; k++)
		reg(6, first["volunteer_mentor", 3, k], "volunteer_mentor",
		    "confirmed", "api", at(B, 40), "")
	for (k = 1; k <= 6; k++)
		reg(6, first["anti_trafficking_officer", 3, k],
		    "anti_trafficking_officer", "confirmed", "api", at(B, 45), "")
	for (k = 1; k <= 3; k++) {
		spec = sprintf("2026-11-%02d|0|1%d:%02d", 16 + 2 * k, k, 7 * k)
		i = person("5201", subs("5201"), "volunteer_mentor", GOV, 0, spec,
		    "api", 1)
		reg(6, i, "volunteer_mentor", "waitlisted", "api", spec, "")
	}
}
' sql/data/thai-admin-areas.csv
}

# SQL from the generated lines (file 1) and ngan-pii's answers (file 2),
# which hold the only traces of the ids and phones that reach the SQL.
people_sql() {
	awk -F'\t' '
function q(s) { gsub(/'\''/, "'\'''\''", s); return "'\''" s "'\''" }
function n(s) { return s == "" ? "null" : q(s) }
function hex(s) {
	return s == "" ? "null" : "decode('\''" s "'\'', '\''hex'\'')"
}
FNR == 1 { file++ }
file == 1 && $1 == "P" { np++; P[np] = $0; next }
file == 1 && $1 == "R" { nr++; R[nr] = $0; next }
file == 2 { ns++; S[ns] = $0; next }
END {
	if (np != ns) {
		print "demo-participants: " np " people but " ns \
		    " sealed lines" > "/dev/stderr"
		exit 1
	}
	print "-- Generated by scripts/demo-participants.sh: do not edit."
	print "insert into participant (id, title_th, first_name, last_name,"
	print "    national_id_hmac, national_id_enc, national_id_last3, phone_enc,"
	print "    phone_last4, province_code, district_code, subdistrict_code,"
	print "    occupation, target_group, section40, pdpa_consent_at,"
	print "    pdpa_consent_version, created_at, updated_at) values"
	for (k = 1; k <= np; k++) {
		split(P[k], p, "\t")
		split(S[k], s, "\t")
		if (s[1] !~ /^[0-9a-f]+$/ || length(s[1]) != 64 || s[2] == "" ||
		    s[3] !~ /^[0-9][0-9][0-9]$/ || (p[7] != "") != (s[4] != "")) {
			print "demo-participants: bad ngan-pii line " k > "/dev/stderr"
			exit 1
		}
		printf "    (%s, %s, %s, %s,\n     %s,\n     %s,\n     %s, %s, %s,\n" \
		    "     %s, %s, %s, %s, %s, %s,\n     %s, %s, %s, %s)%s\n",
		    q(sprintf("d0000000-0000-4000-8000-%012d", p[2])), q(p[3]),
		    q(p[4]), q(p[5]), hex(s[1]), hex(s[2]), q(s[3]), hex(s[4]),
		    n(s[5]), q(p[8]), q(p[9]), n(p[10]), q(p[11]), q(p[12]),
		    p[13], p[14], q(p[15]), p[14], p[14], (k < np ? "," : "")
	}
	print "on conflict do nothing;"
	print ""
	# Only for people present: one kept by an earlier run under another
	# id (same national id) would otherwise break the foreign key.
	print "insert into registration (id, event_id, participant_id, target_group,"
	print "    status, source, created_at, updated_at, cancelled_at)"
	print "select v.id::uuid, v.event_id::uuid, v.participant_id::uuid,"
	print "    v.target_group, v.status, v.source, v.created_at, v.updated_at,"
	print "    v.cancelled_at::timestamptz"
	print "from (values"
	for (k = 1; k <= nr; k++) {
		split(R[k], r, "\t")
		printf "    (%s, %s, %s, %s, %s, %s,\n     %s,\n     %s,\n     %s)%s\n",
		    q(sprintf("f0000000-0000-4000-8000-%02d%010d", r[2], r[3])),
		    q(sprintf("e0000000-0000-4000-8000-%012d", r[2])),
		    q(sprintf("d0000000-0000-4000-8000-%012d", r[3])), q(r[4]),
		    q(r[5]), q(r[6]), r[7], (r[8] == "" ? r[7] : r[8]),
		    (r[8] == "" ? "null" : r[8]), (k < nr ? "," : "")
	}
	print ") as v(id, event_id, participant_id, target_group, status, source,"
	print "    created_at, updated_at, cancelled_at)"
	print "where exists (select 1 from participant p"
	print "    where p.id = v.participant_id::uuid)"
	print "on conflict do nothing;"
}
' "$@"
}

case $mode in
ids)
	generate | awk -F'\t' '$1 == "P" { print $6 }'
	exit 0
	;;
pii)
	generate | awk -F'\t' '$1 == "P" { print ($7 == "" ? $6 : $6 "\t" $7) }'
	exit 0
	;;
esac

NGAN_PII_KEY=$(secret NGAN_PII_KEY)
[ -n "$NGAN_PII_KEY" ] || die "NGAN_PII_KEY (or NGAN_PII_KEY_FILE) is not set"
tool=${NGAN_PII_TOOL:-build/ngan-pii}
[ -x "$tool" ] || die "$tool missing: run make build"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
umask 077
generate >"$tmp/gen.tsv"
awk -F'\t' '$1 == "P" { print ($7 == "" ? $6 : $6 "\t" $7) }' "$tmp/gen.tsv" |
    NGAN_PII_KEY=$NGAN_PII_KEY "$tool" >"$tmp/sealed.tsv"
people_sql "$tmp/gen.tsv" "$tmp/sealed.tsv"
