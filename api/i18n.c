/*
 * Thai and English (issue 15, item 4). Every problem title and detail,
 * field error and import row error is a key of api/i18n.tsv (compiled
 * into i18n_table.h by scripts/i18n-table.awk), with its arguments; the
 * SQL and the C name keys, never text. The text is made here, in the
 * language the request asks for (Thai unless Accept-Language prefers
 * English), when a problem or an import report is written: answers
 * without messages never pay for it. A string that is not a key passes
 * as it is (make lint finds such literals).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngan.h"

struct i18n_msg {
	const char	*key;
	const char	*en;
	const char	*th;
};

#include "i18n_table.h"

#define I18N_NMSGS	(sizeof(i18n_msgs) / sizeof(i18n_msgs[0]))

struct text {
	char		*s;
	size_t		len;
	size_t		cap;
};

static int	qvalue(const char *, const char *, double *);
static void	text_add(struct text *, const char *, size_t);
static void	render_field(json_t *, const char *, const char *, int);

/*
 * The weight of one language-range's parameters (";q=0.5"), RFC 9110
 * section 12.4.2: 0 to 1 with at most three decimals. A malformed weight
 * counts as 0, so that range is ignored.
 */
static int
qvalue(const char *p, const char *end, double *q)
{
	double		scale;

	*q = 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return (1);
	if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return (0);
	p += 2;
	if (*p != '0' && *p != '1')
		return (0);
	*q = *p++ - '0';
	if (p < end && *p == '.') {
		p++;
		for (scale = 0.1; p < end && *p >= '0' && *p <= '9' &&
		    scale > 0.0001; p++, scale /= 10)
			*q += (*p - '0') * scale;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end || *q > 1)
		return (0);

	return (1);
}

/*
 * I18N_EN when Accept-Language h prefers English to Thai, else I18N_TH:
 * the highest weight of en or en-*, against that of th or th-* (or of *
 * when Thai is not named). A language we do not have ("fr"), q=0, a
 * tie, no header at all or one that is not printable ASCII gives Thai.
 */
int
i18n_lang_parse(const char *h)
{
	const char	*p, *end, *semi;
	double		q, q_en, q_th, q_any;
	size_t		len;

	if (h == NULL)
		return (I18N_TH);
	/* Bytes outside printable ASCII, or over 256 of them: ignored. */
	for (p = h; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') ||
		    (unsigned char)*p > 0x7e || p - h >= 256)
			return (I18N_TH);
	}

	q_en = q_th = q_any = -1;
	for (p = h; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		semi = memchr(p, ';', (size_t)(end - p));
		len = (size_t)((semi != NULL ? semi : end) - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (semi != NULL && !qvalue(semi + 1, end, &q))
			continue;
		if (semi == NULL)
			q = 1;
		if (len >= 2 && strncasecmp(p, "en", 2) == 0 &&
		    (len == 2 || p[2] == '-')) {
			if (q > q_en)
				q_en = q;
		} else if (len >= 2 && strncasecmp(p, "th", 2) == 0 &&
		    (len == 2 || p[2] == '-')) {
			if (q > q_th)
				q_th = q;
		} else if (len == 1 && *p == '*') {
			if (q > q_any)
				q_any = q;
		}
	}
	if (q_th < 0)
		q_th = q_any;

	return (q_en > 0 && q_en > q_th ? I18N_EN : I18N_TH);
}

const char *
i18n_code(int lang)
{
	return (lang == I18N_EN ? "en" : "th");
}

/* The message of key in lang, NULL when key is not in the catalogue. */
const char *
i18n_template(const char *key, int lang)
{
	size_t		lo, hi, mid;
	int		c;

	lo = 0;
	hi = I18N_NMSGS;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, i18n_msgs[mid].key);
		if (c == 0)
			return (lang == I18N_EN ? i18n_msgs[mid].en :
			    i18n_msgs[mid].th);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}

	return (NULL);
}

/* The catalogue's row i (for the unit tests and make lint); 0 past it. */
int
i18n_entry(size_t i, const char **key, const char **en, const char **th)
{
	if (i >= I18N_NMSGS)
		return (0);
	*key = i18n_msgs[i].key;
	*en = i18n_msgs[i].en;
	*th = i18n_msgs[i].th;
	return (1);
}

static void
text_add(struct text *t, const char *s, size_t len)
{
	char		*n;

	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		if ((n = realloc(t->s, t->cap)) == NULL)
			abort();
		t->s = n;
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

/*
 * The text of key in lang with its {name} placeholders filled from args
 * (strings and numbers; a missing one stays as written). A key not in
 * the catalogue is returned as it is. Caller must free.
 */
char *
i18n_render(const char *key, json_t *args, int lang)
{
	struct text	t = { NULL, 0, 0 };
	const char	*tpl, *p, *close;
	json_t		*v;
	char		name[64], num[32];
	size_t		len;

	if ((tpl = i18n_template(key, lang)) == NULL)
		tpl = key;
	text_add(&t, "", 0);
	for (p = tpl; *p != '\0'; p = close + 1) {
		if ((close = strchr(p, '{')) == NULL) {
			text_add(&t, p, strlen(p));
			break;
		}
		text_add(&t, p, (size_t)(close - p));
		p = close;
		if ((close = strchr(p, '}')) == NULL ||
		    (len = (size_t)(close - p - 1)) >= sizeof(name)) {
			text_add(&t, p, strlen(p));
			break;
		}
		memcpy(name, p + 1, len);
		name[len] = '\0';
		v = json_object_get(args, name);
		if (json_is_string(v)) {
			text_add(&t, json_string_value(v),
			    strlen(json_string_value(v)));
		} else if (json_is_integer(v)) {
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
			text_add(&t, num, strlen(num));
		} else if (json_is_real(v)) {
			(void)snprintf(num, sizeof(num), "%g",
			    json_real_value(v));
			text_add(&t, num, strlen(num));
		} else {
			text_add(&t, p, (size_t)(close - p + 1));
		}
	}

	return (t.s);
}

/* Replaces obj's field (a key) by its text, args from argsname (removed). */
static void
render_field(json_t *obj, const char *field, const char *argsname, int lang)
{
	const char	*key;
	char		*text;

	key = json_string_value(json_object_get(obj, field));
	if (key != NULL) {
		text = i18n_render(key, json_object_get(obj, argsname), lang);
		json_object_set_new(obj, field, json_string(text));
		free(text);
	}
	(void)json_object_del(obj, argsname);
}

/* Each {message, args} of errors (field or import row errors) as text. */
void
i18n_errors(json_t *errors, int lang)
{
	json_t		*e;
	size_t		i;

	json_array_foreach(errors, i, e) {
		if (json_is_object(e))
			render_field(e, "message", "args", lang);
	}
}

/*
 * A problem body (RFC 9457) as text: title, detail (its arguments in
 * detail_args) and errors[].message.
 */
void
i18n_problem(json_t *body, int lang)
{
	render_field(body, "title", "title_args", lang);
	render_field(body, "detail", "detail_args", lang);
	i18n_errors(json_object_get(body, "errors"), lang);
}

/* The import report's rows[].errors as text. */
void
i18n_import_report(json_t *report, int lang)
{
	json_t		*row;
	size_t		i;

	json_array_foreach(json_object_get(report, "rows"), i, row)
		i18n_errors(json_object_get(row, "errors"), lang);
}

#if !defined(NGAN_UNIT_TEST)
/*
 * An answer with a "detail" key (the neutral 202s of the participants'
 * own routes) as text, with the headers.
 */
void
i18n_answer(struct http_request *req, json_t *body)
{
	int		lang;

	lang = i18n_lang(req);
	render_field(body, "detail", "detail_args", lang);
	i18n_headers(req, lang);
}

/* The language req asks for. */
int
i18n_lang(struct http_request *req)
{
	const char	*h;

	if (!http_request_header(req, "accept-language", &h))
		return (I18N_TH);
	return (i18n_lang_parse(h));
}

/* Content-Language, and Vary: the answer depends on Accept-Language. */
void
i18n_headers(struct http_request *req, int lang)
{
	header_set(req, "content-language", i18n_code(lang));
	header_vary(req, "accept-language");
}
#endif
