/*
 * Request bodies: parse as json_body_or_error() does, then validate
 * against one of the real field_spec tables (the first byte picks it).
 * The tables come from spec-<resource>.c; the Makefile lists the
 * resources in FUZZ_SPECS (X(events) X(users) ...).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define X(res)	extern const struct fuzz_spec fuzz_specs_##res[];
FUZZ_SPECS
#undef X

#define X(res)	fuzz_specs_##res,
static const struct fuzz_spec *const resources[] = { FUZZ_SPECS };
#undef X

static const struct fuzz_spec	*all[64];
static size_t			 nall;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const struct fuzz_spec	*s;
	size_t			 i;

	for (i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		for (s = resources[i]; s->name != NULL; s++) {
			if (nall < sizeof(all) / sizeof(all[0]))
				all[nall++] = s;
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
	n = json_validate(body, all[data[0] % nall]->fields, errors);
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
			for (f = all[data[0] % nall]->fields; f->name != NULL;
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
