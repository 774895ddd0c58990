/* api/events.c with its request tables reachable (fuzz-json). */
#include "../../api/events.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_events[] = {
	{ "event_create", event_create_fields },
	{ "event_patch", event_patch_fields },
	{ "event_cancel", cancel_fields },
	{ NULL, NULL }
};
