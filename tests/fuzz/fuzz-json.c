/*
 * Request bodies: parse as json_body_or_error() does, then validate
 * against one of the real field_spec tables (the first byte picks it):
 * every body the route table (api/main.c) names.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static struct fuzz_spec		 all[128];
static size_t			 nall;

static void
spec_add(const char *name, const struct field_spec *fields)
{
	size_t		i;

	for (i = 0; i < nall; i++) {
		if (all[i].fields == fields)
			return;
	}
	if (nall == sizeof(all) / sizeof(all[0]))
		abort();
	all[nall].name = name;
	all[nall++].fields = fields;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t			 i, m;

	for (i = 0; i < ngan_routes_count; i++) {
		for (m = 0; m < ROUTE_METHODS; m++) {
			if (ngan_routes[i].calls[m].body != NULL)
				spec_add(ngan_routes[i].pattern,
				    ngan_routes[i].calls[m].body);
		}
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	json_t		*body, *errors, *e;
	size_t		 i;
	int		 n;

	if (size < 1 || nall == 0)
		return (0);

	body = json_loadb((const char *)data + 1, size - 1,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (body == NULL)
		return (0);

	errors = json_array();
	n = json_validate(body, all[data[0] % nall].fields, errors);
	if (n < 0 || (size_t)n != json_array_size(errors))
		abort();
	/* Every error names a field, a code and a message. */
	json_array_foreach(errors, i, e) {
		if (json_string_value(json_object_get(e, "field")) == NULL ||
		    json_string_value(json_object_get(e, "code")) == NULL ||
		    json_string_value(json_object_get(e, "message")) == NULL)
			abort();
	}
	/*
	 * What passes is an object of known fields only, and serialises for
	 * the SQL call.
	 */
	if (n == 0) {
		const struct field_spec	*f;
		const char		*key;
		json_t			*v;
		char			*s;

		if (!json_is_object(body))
			abort();
		json_object_foreach(body, key, v) {
			for (f = all[data[0] % nall].fields; f->name != NULL;
			    f++) {
				if (!strcmp(f->name, key))
					break;
			}
			if (f->name == NULL)
				abort();
		}
		if ((s = json_dumps(body, JSON_COMPACT)) == NULL)
			abort();
		free(s);
	}
	json_decref(errors);
	json_decref(body);

	return (0);
}
