# ngan: build, run and test. See README.md.

CC?=		cc
BUILD=		build
# Read when a compiler runs, not when make starts: on a fresh machine
# "deps" installs kore (and this file) after make has read the Makefile.
KORE_FEATURES=	`cat /usr/share/kore/features`

CFLAGS+=	-std=c99 -D_GNU_SOURCE -O2 -g -fPIC -fstack-protector-all
CFLAGS+=	-Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes
CFLAGS+=	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual
CFLAGS+=	-Wsign-compare -Wtype-limits -Wno-unused-parameter
# Spec tables leave trailing members out on purpose (they are zero).
CFLAGS+=	-Wno-missing-field-initializers
CFLAGS+=	$(KORE_FEATURES) -Iapi -I$(I18N_DIR)
# Certificates (api/certificate_pdf.c): Cairo, Pango and fontconfig, read
# when a compiler runs as KORE_FEATURES is; their headers as system ones,
# so our warnings stay errors without theirs.
PANGO_CFLAGS=	`pkg-config --cflags pangocairo fontconfig | \
		    sed 's/-I/-isystem /g'`
PANGO_LIBS=	`pkg-config --libs pangocairo fontconfig`
CFLAGS+=	$(PANGO_CFLAGS)
LDLIBS+=	-ljansson -ljwt -lsodium -lqrencode -lz -lcrypto -lpq
LDLIBS+=	$(PANGO_LIBS)

# make SANITIZE=address,undefined test: module, tools and unit tests built
# with the sanitizers into build-san/ (never mixed with build/); kore
# itself is not instrumented, so scripts/test.sh preloads the runtimes and
# -DNGAN_SANITIZE widens the seccomp filter for them (api/main.c).
ifneq ("$(SANITIZE)", "")
BUILD=		build-san
CFLAGS+=	-fsanitize=$(SANITIZE) -fno-omit-frame-pointer
CFLAGS+=	-fno-sanitize-recover=all -DNGAN_SANITIZE
LDFLAGS+=	-fsanitize=$(SANITIZE)
endif

SRCS!=		ls api/*.c
SRCS?=		$(wildcard api/*.c)
OBJS=		$(SRCS:api/%.c=$(BUILD)/obj/%.o)
HDRS=		$(wildcard api/*.h)

# The messages (api/i18n.tsv) as the sorted C table api/i18n.c searches;
# one copy whatever BUILD is (the table is the same for every build).
I18N_DIR=	build/gen
I18N_TABLE=	$(I18N_DIR)/i18n_table.h

$(I18N_TABLE): api/i18n.tsv scripts/i18n-table.awk
	@mkdir -p $(I18N_DIR)
	LC_ALL=C awk -f scripts/i18n-table.awk api/i18n.tsv > $@.tmp
	mv $@.tmp $@

# Unit tests of the pure code, without Kore: one file a module
# (tests/unit/test_<module>.c includes api/<module>.c), and unit.c runs
# them all; one binary.
UNIT_SRCS!=	ls tests/unit/*.c
UNIT_SRCS?=	$(wildcard tests/unit/*.c)

.PHONY: all build module run test stop bench lint clean deps assets \
	valgrind fuzz fuzz-build soak backup restore cluster cluster-test \
	cluster-stop

all: build

build: module assets

# The C side alone (the container's build stage; assets come from npm).
module: $(BUILD)/ngan.so $(BUILD)/ngan-passwd $(BUILD)/ngan-pii \
	    $(BUILD)/ngan-outbox $(BUILD)/ngan-certzip $(BUILD)/unit-tests

# GET /docs: Swagger UI from the npm package pinned in tests/ (make deps
# installs it), copied next to our page so it is served with no network.
SWAGGER_UI=	tests/node_modules/swagger-ui-dist
VENDOR=		assets/vendor/swagger-ui-bundle.js assets/vendor/swagger-ui.css

# GET /scan: the scanner app decodes QR codes with jsQR where the
# browser has no BarcodeDetector; the same pinned-npm way.
JSQR=		tests/node_modules/jsqr/dist/jsQR.js
SCAN_VENDOR=	assets/scan/vendor/jsQR.js

assets: $(VENDOR) $(SCAN_VENDOR)

$(SCAN_VENDOR): $(JSQR)
	@mkdir -p assets/scan/vendor
	cp $(JSQR) $@

$(JSQR):
	@echo "$@ missing: run make deps (npm ci in tests/)" >&2; exit 1

assets/vendor/%: $(SWAGGER_UI)/%
	@mkdir -p assets/vendor
	cp $< $@

$(SWAGGER_UI)/%:
	@echo "$@ missing: run make deps (npm ci in tests/)" >&2; exit 1

# npm's files, not ours: make must not delete them as intermediates.
.SECONDARY: $(VENDOR:assets/vendor/%=$(SWAGGER_UI)/%)

$(BUILD)/obj/%.o: api/%.c $(HDRS) $(I18N_TABLE)
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

# Delivers the outbox (issue 19): a process of its own, as libcurl
# blocks (tools/ngan-outbox.c says why); shares the config, PII and
# message texts of the server.
OUTBOX_SRCS=	tools/ngan-outbox.c tools/outbox-email.c \
		tools/outbox-webhook.c api/config.c api/pii.c api/messages.c \
		api/addr.c api/es256.c api/pseudonym.c
$(BUILD)/ngan-outbox: $(OUTBOX_SRCS) tools/outbox.h $(HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OUTBOX_SRCS) -lsodium -ljansson \
	    -lpq -lcurl -lqrencode -lz -lcrypto

# Builds the ZIPs of certificates (issue 20): a process of its own, as
# drawing thousands of PDFs would stall a Kore worker (tools/ngan-certzip.c
# says why); draws them as the server does, writes the ZIP with libarchive.
CERTZIP_SRCS=	tools/ngan-certzip.c api/certificate_pdf.c api/pdf.c \
		api/config.c
$(BUILD)/ngan-certzip: $(CERTZIP_SRCS) $(HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CERTZIP_SRCS) -lsodium -ljansson \
	    -lpq -larchive -lqrencode $(PANGO_LIBS)

$(BUILD)/unit-tests: $(UNIT_SRCS) tests/unit/unit.h $(SRCS) $(HDRS) \
	    $(I18N_TABLE)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -DNGAN_UNIT_TEST -Itests/unit $(LDFLAGS) -o $@ \
	    $(UNIT_SRCS) $(LDLIBS)

# libFuzzer targets (tests/fuzz/): make fuzz runs each for FUZZ_SECONDS.
# The JSON and route targets walk the route table (api/main.c) for the
# body and query specs its rows name. A new target (tests/fuzz/fuzz-NAME.c
# with corpus/NAME/ and NAME.dict) is its name in FUZZ_TARGETS.
FUZZ_TARGETS=	json csv jwt route pii image addr oauth etag base45
FUZZ_SECONDS?=	60
FUZZ_CC?=	clang
FUZZ_SAN=	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS=	-std=c99 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		-Wall -Wextra -Werror -Wno-unused-parameter \
		-Wno-missing-field-initializers $(KORE_FEATURES) -Iapi \
		-I$(I18N_DIR) \
		$(PANGO_CFLAGS) -Itests/fuzz $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OBJS=	$(SRCS:api/%.c=build-fuzz/obj/%.o) \
		build-fuzz/obj/kore_stubs.o

build-fuzz/obj/%.o: api/%.c $(HDRS) $(I18N_TABLE)
	@mkdir -p build-fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/obj/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(SRCS) $(HDRS)
	@mkdir -p build-fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build-fuzz/fuzz-%: build-fuzz/obj/fuzz-%.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_TARGETS:%=build-fuzz/fuzz-%)

fuzz: deps fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

deps:
	@sh scripts/deps.sh

run: deps build
	@bash scripts/run.sh

test: deps build
	@NGAN_BUILD=$(BUILD) NGAN_SANITIZE=$(SANITIZE) bash scripts/test.sh

# Unit tests under valgrind (an unsanitized build): no errors, no leaks
# (but the font caches of Pango and fontconfig: tests/unit/valgrind.supp).
valgrind: deps build
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    --suppressions=tests/unit/valgrind.supp $(BUILD)/unit-tests

stop:
	@bash scripts/stop.sh

# A base backup of make run's database (var/pg); its WAL is archived all
# the time. make restore TO='2026-12-07 14:30' starts a copy recovered to
# that moment on a free port (scripts/backup.sh; README, "Backups").
backup:
	@bash scripts/backup.sh backup

restore:
	@bash scripts/backup.sh restore "$(TO)"

# Two server processes behind nginx, a primary and a hot standby for
# partner reads, all on this machine (scripts/cluster.sh; README, "More
# than one machine"). cluster-test runs tests/cluster/ against a new one.
cluster: build
	@sh scripts/deps.sh nginx
	@bash scripts/cluster.sh run

cluster-test: build
	@sh scripts/deps.sh nginx
	@bash scripts/cluster.sh test

cluster-stop:
	@bash scripts/cluster.sh stop

bench: deps build
	@bash bench/run.sh

# A mixed workload at a fixed rate for SOAK_SECONDS (300): no errors, p99
# per route, worker memory growth under 10% (bench/soak.sh).
soak: deps build
	@bash bench/soak.sh

# Needs tests/node_modules (Redocly CLI, Spectral): hence deps.
lint: deps
	@bash scripts/lint.sh

clean:
	rm -rf build build-san build-fuzz assets/vendor assets/scan/vendor
