/*
 * What the pure sources need from Kore when they are built without it:
 * the unit tests include router.c and json.c directly.
 */

#ifndef NGAN_UNIT_STUBS_H
#define NGAN_UNIT_STUBS_H

#include "ngan.h"

#endif
