/*
 * Paths and query strings: route_find() over the real route table
 * (api/main.c) and query_parse()/url_decode() as api_dispatch() calls
 * them, then each parameter against the query spec rows of the route
 * found, as call_checks() does. The first byte splits path from query.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void	query_check(const struct route *, const char *, const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	char			 params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1];
	char			*names[NGAN_QUERY_MAX], *values[NGAN_QUERY_MAX];
	char			*path, *qs, allow[96];
	const char		*p;
	const struct route	*rt;
	size_t			 cut;
	int			 known, n, i;

	if (size < 1)
		return (0);
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;

	/* Kore hands over NUL-terminated strings. */
	path = strndup((const char *)data, cut);
	qs = strndup((const char *)data + cut, size - cut);
	if (path == NULL || qs == NULL)
		abort();

	rt = route_find(ngan_routes, ngan_routes_count, path, params, &known);
	if (rt != NULL) {
		/* Every {param} the route names is a UUID. */
		for (i = 0, p = rt->pattern; (p = strchr(p, '{')) != NULL;
		    p++, i++) {
			if (i >= ROUTE_PARAMS_MAX || !uuid_valid(params[i]))
				abort();
		}
		(void)route_allow_header(rt, allow, sizeof(allow));
	}

	n = query_parse(qs, names, values, NGAN_QUERY_MAX);
	if (n > NGAN_QUERY_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || values[i] == NULL)
			abort();
		/* Decoded parameters are valid UTF-8 without NUL. */
		if (!utf8_valid(names[i]) || !utf8_valid(values[i]))
			abort();
		if (rt != NULL)
			query_check(rt, names[i], values[i]);
		free(names[i]);
		free(values[i]);
	}

	free(path);
	free(qs);
	return (0);
}

/* What a query spec row lets through is what its type says. */
static void
query_check(const struct route *rt, const char *name, const char *value)
{
	const struct field_spec	*s;
	const char		*why;
	long long		 n;
	int			 m, k;

	for (m = 0; m < ROUTE_METHODS; m++) {
		for (s = rt->calls[m].query; s != NULL && s->name != NULL;
		    s++) {
			if (strcmp(s->name, name) != 0)
				continue;
			why = query_value_check(s, value);
			if (why != NULL) {
				if (*why == '\0')
					abort();
				continue;
			}
			if (s->type == FIELD_UUID && !uuid_valid(value))
				abort();
			if (s->type == FIELD_INT) {
				n = strtoll(value, NULL, 10);
				if (n < s->min || n > s->max)
					abort();
			}
			if (s->type == FIELD_STRING && s->check == NULL &&
			    s->choices != NULL) {
				for (k = 0; s->choices[k] != NULL; k++) {
					if (!strcmp(s->choices[k], value))
						break;
				}
				if (s->choices[k] == NULL)
					abort();
			}
		}
	}
}
