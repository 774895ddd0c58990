/* api/auth.c with its request tables reachable (fuzz-json). */
#include "../../api/auth.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_auth[] = {
	{ "token", token_fields },
	{ "revoke", revoke_fields },
	{ NULL, NULL }
};
