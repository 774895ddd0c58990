/* api/agencies.c with its request tables reachable (fuzz-json). */
#include "../../api/agencies.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_agencies[] = {
	{ "agency", agency_fields },
	{ NULL, NULL }
};
