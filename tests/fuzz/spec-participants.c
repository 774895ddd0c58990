/* api/participants.c with its request tables reachable (fuzz-json). */
#include "../../api/participants.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_participants[] = {
	{ "participant", participant_fields },
	{ NULL, NULL }
};
