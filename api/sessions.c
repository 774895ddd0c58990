/*
 * /v1/events/{id}/sessions: the opening, lectures, panels and breakout
 * groups of an event, each within the event's times. Plain routes
 * (main.c): what their bodies may hold.
 */

#include "ngan.h"

static const char *const session_kinds[] = {
	"opening", "lecture", "panel", "workshop", NULL
};

static const struct field_spec speaker_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "affiliation", FIELD_STRING, FIELD_NULLABLE, 0, 300 },
	{ NULL }
};

#define SESSION_FIELDS(req)						\
	{ "title", FIELD_STRING, req, 1, 500 },				\
	{ "kind", FIELD_STRING, req, 1, 16, session_kinds },		\
	{ "starts_at", FIELD_TIME, req },				\
	{ "ends_at", FIELD_TIME, req },					\
	{ "room", FIELD_STRING, FIELD_NULLABLE, 0, 200 },		\
	{ "speakers", FIELD_OBJECT_ARRAY, 0, 0, 50, NULL, NULL,		\
	    speaker_fields },						\
	{ "capacity", FIELD_INT, FIELD_NULLABLE, 1, 100000 }

const struct field_spec session_create_fields[] = {
	SESSION_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

const struct field_spec session_patch_fields[] = {
	SESSION_FIELDS(0),
	{ NULL }
};
