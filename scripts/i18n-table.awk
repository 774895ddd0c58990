# Compiles api/i18n.tsv (key, English, Thai; tab-separated, sorted by key,
# "#" comments) into the C table api/i18n.c searches:
#	LC_ALL=C awk -f scripts/i18n-table.awk api/i18n.tsv > i18n_table.h
# Refuses (exit 1, file:line) a row without three non-empty fields, a key
# that is not lower-case dotted words, or keys out of order or repeated.

function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

function fail(msg) {
	printf("%s:%d: %s\n", FILENAME, FNR, msg) > "/dev/stderr"
	bad = 1
}

BEGIN {
	FS = "\t"
	print "/* Generated from api/i18n.tsv by scripts/i18n-table.awk. */"
	print "static const struct i18n_msg i18n_msgs[] = {"
}

/^#/ || /^[ \t]*$/ {
	next
}

{
	if (NF != 3 || $1 == "" || $2 == "" || $3 == "") {
		fail("want key, English and Thai, tab-separated")
		next
	}
	if ($1 !~ /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/)
		fail("key " $1 " is not lower-case dotted words")
	if (prev != "" && $1 <= prev)
		fail("key " $1 " is out of order or repeated (after " prev ")")
	prev = $1
	printf("\t{ %s,\n\t    %s,\n\t    %s },\n", cstr($1), cstr($2), cstr($3))
}

END {
	print "};"
	exit bad
}
