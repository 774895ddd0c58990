/* api/checkins.c with its request tables reachable (fuzz-json). */
#include "../../api/checkins.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_checkins[] = {
	{ "scan", scan_fields },
	{ "batch", batch_fields },
	{ "annul", annul_fields },
	{ NULL, NULL }
};
