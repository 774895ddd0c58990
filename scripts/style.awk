# Kore's house style (OpenBSD style(9)), the parts clang-format 14 cannot
# say without undoing Kore's tab-aligned declarations. Prints
# "file:line: why" for each breach; exits 1 if there was one.
function breach(why) {
	printf "%s:%d: %s\n", FILENAME, FNR, why
	bad = 1
}
function width(s,    i, c, w) {
	w = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\t")
			w = w + 8 - w % 8
		else if (c < "\200" || c >= "\300")
			w++	# count UTF-8 lead bytes only
	}
	return w
}
FNR == 1 { in_comment = 0 }
{
	line = $0
	if (line ~ /[ \t]+$/)
		breach("trailing white space")
	if (width(line) > 80)
		breach("longer than 80 columns")
	# Indentation is tabs; a continuation adds up to four spaces.
	if (line ~ /^\t* {5,}[^ *]/ || line ~ /^ +\t/)
		breach("indent with tabs (continuations: tabs and 4 spaces)")
	if (line ~ /^ {1,3}[^ *]/ && line !~ /^ \*/)
		breach("indent with tabs")
	if (line ~ /\/\*/)
		in_comment = 1
	if (!in_comment) {
		code = line
		gsub(/"([^"\\]|\\.)*"/, "\"\"", code)
		line = code
		if (line ~ /(^|[^:"])\/\/[^"]*$/)
			breach("use /* */ comments")
		if (line ~ /[ \t]return [^(;]/)
			breach("return (value); with parentheses")
		# A definition starts at column 0 with its name, the type
		# being on the line above.
		if (FILENAME !~ /\.h$/ && line ~ /^(static |const |struct |unsigned |int |void |char |size_t |ssize_t |u_int[0-9]+_t |long )[^=;]*[a-z_0-9]+\(/ && line !~ /;[ \t]*$/ && line !~ /^(static|const)[^(]*\t/)
			breach("return type on its own line in definitions")
		if (line ~ /^[a-z_]+\(.*\)[ \t]*\{[ \t]*$/)
			breach("function brace on its own line")
		if (line ~ /[^ \t(]\{[ \t]*$/ && line !~ /[=,][ \t]*\{/)
			breach("space before {")
		if (line ~ /\<(if|for|while|switch)\(/)
			breach("space after keyword")
	}
	if (line ~ /\*\//)
		in_comment = 0
}
END { exit bad }
