/* api/groups.c with its request tables reachable (fuzz-json). */
#include "../../api/groups.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_groups[] = {
	{ "group_create", group_create_fields },
	{ "group_patch", group_patch_fields },
	{ NULL, NULL }
};
