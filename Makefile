# ngan: build, run and test. See README.md.

CC?=		cc
BUILD=		build
KORE_FEATURES!=	cat /usr/share/kore/features 2>/dev/null
KORE_FEATURES?=	$(shell cat /usr/share/kore/features 2>/dev/null)

CFLAGS+=	-std=c99 -D_GNU_SOURCE -O2 -g -fPIC -fstack-protector-all
CFLAGS+=	-Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes
CFLAGS+=	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual
CFLAGS+=	-Wsign-compare -Wtype-limits -Wno-unused-parameter
# Spec tables leave trailing members out on purpose (they are zero).
CFLAGS+=	-Wno-missing-field-initializers
CFLAGS+=	$(KORE_FEATURES) -Iapi
LDLIBS+=	-ljansson -ljwt -lsodium -lqrencode -lz -lcrypto -lpq

ifneq ("$(SANITIZE)", "")
CFLAGS+=	-fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS+=	-fsanitize=$(SANITIZE)
endif

SRCS!=		ls api/*.c
SRCS?=		$(wildcard api/*.c)
OBJS=		$(SRCS:api/%.c=$(BUILD)/obj/%.o)
HDRS=		$(wildcard api/*.h)

# Pure code that unit tests link without Kore.
UNIT_SRCS=	tests/unit/unit.c

.PHONY: all build module run test stop bench lint clean deps assets

all: build

build: module assets

# The C side alone (the container's build stage; assets come from npm).
module: $(BUILD)/ngan.so $(BUILD)/ngan-passwd $(BUILD)/ngan-pii \
	    $(BUILD)/unit-tests

# GET /docs: Swagger UI from the npm package pinned in tests/ (make deps
# installs it), copied next to our page so it is served with no network.
SWAGGER_UI=	tests/node_modules/swagger-ui-dist
VENDOR=		assets/vendor/swagger-ui-bundle.js assets/vendor/swagger-ui.css

assets: $(VENDOR)

assets/vendor/%: $(SWAGGER_UI)/%
	@mkdir -p assets/vendor
	cp $< $@

$(SWAGGER_UI)/%:
	@echo "$@ missing: run make deps (npm ci in tests/)" >&2; exit 1

# npm's files, not ours: make must not delete them as intermediates.
.SECONDARY: $(VENDOR:assets/vendor/%=$(SWAGGER_UI)/%)

$(BUILD)/obj/%.o: api/%.c $(HDRS)
	@mkdir -p $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ngan.so: $(OBJS)
	$(CC) -shared $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/ngan-passwd: tools/ngan-passwd.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lsodium

# Seals national ids and phones for demo data; shares api/pii.c.
$(BUILD)/ngan-pii: tools/ngan-pii.c api/pii.c $(HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tools/ngan-pii.c api/pii.c -lsodium

$(BUILD)/unit-tests: tests/unit/*.c $(SRCS) $(HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -DNGAN_UNIT_TEST -Itests/unit $(LDFLAGS) -o $@ \
	    $(UNIT_SRCS) $(LDLIBS)

deps:
	@sh scripts/deps.sh

run: deps build
	@bash scripts/run.sh

test: deps build
	@bash scripts/test.sh

stop:
	@bash scripts/stop.sh

bench: deps build
	@bash bench/run.sh

lint:
	@bash scripts/lint.sh

clean:
	rm -rf $(BUILD) assets/vendor
