/* api/products.c with its request tables reachable (fuzz-json). */
#include "../../api/products.c"
#include "fuzz.h"

const struct fuzz_spec fuzz_specs_products[] = {
	{ "product_create", product_create_fields },
	{ "product_patch", product_patch_fields },
	{ "images_order", order_fields },
	{ NULL, NULL }
};
