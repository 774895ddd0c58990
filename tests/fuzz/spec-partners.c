/* api/partners.c with its request tables reachable (fuzz-json). */
#include "../../api/partners.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_partners[] = {
	{ "partner_client", partner_fields },
	{ "partner_client_patch", partner_patch_fields },
	{ NULL, NULL }
};
