/* api/registrations.c with its request tables reachable (fuzz-json). */
#include "../../api/registrations.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_registrations[] = {
	{ "registration", registration_fields },
	{ NULL, NULL }
};
