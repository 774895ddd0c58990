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

# Pure code that unit tests link without Kore.
UNIT_SRCS=	tests/unit/unit.c

.PHONY: all build run test stop bench lint clean deps valgrind fuzz soak

all: build

build: $(BUILD)/ngan.so $(BUILD)/ngan-passwd $(BUILD)/ngan-pii \
	    $(BUILD)/unit-tests

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
	@NGAN_BUILD=$(BUILD) NGAN_SANITIZE=$(SANITIZE) bash scripts/test.sh

# Unit tests under valgrind (an unsanitized build): no errors, no leaks.
valgrind: deps build
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    $(BUILD)/unit-tests

stop:
	@bash scripts/stop.sh

bench: deps build
	@bash bench/run.sh

lint:
	@bash scripts/lint.sh

clean:
	rm -rf build build-san build-fuzz
