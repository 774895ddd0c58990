/* api/users.c with its request tables reachable (fuzz-json). */
#include "../../api/users.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_users[] = {
	{ "user_create", user_create_fields },
	{ "user_patch", user_patch_fields },
	{ NULL, NULL }
};
