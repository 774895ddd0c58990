/*
 * The OAuth endpoints' parsers (api/oauth.c), what a client sends before
 * any grant runs: the first byte picks one. A form-encoded body: on
 * success an object of non-empty strings, each valid UTF-8 without
 * control characters and at most 4096 bytes, no more than 32; on failure
 * nothing and a reason. A JSON body of parameters, checked the same way.
 * HTTP Basic credentials: on success a non-empty id and a secret that fit
 * their buffers. A scope, and NGAN_PUBLIC_URL: an accepted URL is
 * accepted again as written out, unchanged.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

static void
params_hold(json_t *o)
{
	const char	*key, *v;
	json_t		*value;

	if (!json_is_object(o) || json_object_size(o) > 32)
		abort();
	json_object_foreach(o, key, value) {
		if ((v = json_string_value(value)) == NULL || *v == '\0' ||
		    *key == '\0' || strlen(v) > 4096 || !utf8_valid(v) ||
		    !utf8_valid(key))
			abort();
		for (; *v != '\0'; v++) {
			if ((unsigned char)*v < 0x20 || *v == 0x7f)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	const char	*why;
	json_t		*o;
	char		*s, id[65], secret[201], out[512], again[512];

	if (size < 1)
		return (0);
	if ((s = malloc(size + 6)) == NULL)
		abort();

	switch (data[0] % 5) {
	case 0:
		if (oauth_form_parse((const char *)data + 1, size - 1, &o,
		    &why)) {
			params_hold(o);
			json_decref(o);
		} else if (o != NULL || why == NULL) {
			abort();
		}
		break;
	case 1:
		memcpy(s, "Basic ", 6);
		memcpy(s + 6, data + 1, size - 1);
		s[size + 5] = '\0';
		if (oauth_basic_parse(s, id, sizeof(id), secret,
		    sizeof(secret)) && (id[0] == '\0' || strlen(id) >= 65 ||
		    strlen(secret) >= 201))
			abort();
		break;
	case 2:
		o = json_loadb((const char *)data + 1, size - 1,
		    JSON_REJECT_DUPLICATES, NULL);
		if (o != NULL && oauth_params_check(o, &why))
			params_hold(o);
		json_decref(o);
		break;
	case 3:
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		(void)oauth_scope_valid(s, 8);
		break;
	default:
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (oauth_public_url_check(s, out, sizeof(out), &why)) {
			if (why != NULL || !oauth_public_url_check(out, again,
			    sizeof(again), &why) || strcmp(out, again))
				abort();
		} else if (why == NULL) {
			abort();
		}
		break;
	}
	free(s);

	return (0);
}
