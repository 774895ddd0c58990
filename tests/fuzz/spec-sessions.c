/* api/sessions.c with its request tables reachable (fuzz-json). */
#include "../../api/sessions.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_sessions[] = {
	{ "session_create", session_create_fields },
	{ "session_patch", session_patch_fields },
	{ NULL, NULL }
};
