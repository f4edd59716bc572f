# One Makefile, three programs. `make` builds, `make test` runs every test,
# `make run` brings the local stack up, `make deps` installs what is missing.
# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# into build-san/ so it never mixes with the normal objects.

CC      ?= cc
STD     := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wwrite-strings \
           -Wshadow -Wno-unused-parameter
OPT     ?= -O2 -g

ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer
SANFL   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
B       := build-san
BIN     := build-san/bin
else
SANFL   :=
B       := build
BIN     := bin
endif

PKG_MHD   := $(shell pkg-config --cflags --libs libmicrohttpd 2>/dev/null)
CFL_MHD   := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
LIB_MHD   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
CFL_JSON  := $(shell pkg-config --cflags json-c 2>/dev/null)
LIB_JSON  := $(shell pkg-config --libs json-c 2>/dev/null)
CFL_JWT   := $(shell pkg-config --cflags libjwt 2>/dev/null)
LIB_JWT   := $(shell pkg-config --libs libjwt 2>/dev/null)
CFL_CURL  := $(shell pkg-config --cflags libcurl 2>/dev/null)
LIB_CURL  := $(shell pkg-config --libs libcurl 2>/dev/null)
CFL_SSL   := $(shell pkg-config --cflags libcrypto 2>/dev/null)
LIB_SSL   := $(shell pkg-config --libs libcrypto 2>/dev/null)
# yajl: the handler's one-pass envelope reader (src/azf/envelope.c).
CFL_YAJL  := $(shell pkg-config --cflags yajl 2>/dev/null)
LIB_YAJL  := $(shell pkg-config --libs yajl 2>/dev/null || echo -lyajl)
# msgpack-c: the MessagePack hub protocol (src/proto/hubmsgpack.c).
CFL_MSGPACK := $(shell pkg-config --cflags msgpack 2>/dev/null)
LIB_MSGPACK := $(shell pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc)
CFL_CHECK := $(shell pkg-config --cflags check 2>/dev/null)
LIB_CHECK := $(shell pkg-config --libs check 2>/dev/null)
# wslay ships no .pc file in Debian 12.
LIB_WSLAY := $(shell pkg-config --libs libwslay 2>/dev/null || echo -lwslay)

CFLAGS  := $(STD) $(WARN) $(OPT) $(SANFL) -MMD -MP -Isrc \
           $(CFL_MHD) $(CFL_JSON) $(CFL_YAJL) $(CFL_JWT) $(CFL_CURL) \
           $(CFL_SSL) $(CFL_MSGPACK)
LDFLAGS := $(SANFL)

# --- shared code -----------------------------------------------------------
UTIL_OBJ  := $(B)/util/buf.o $(B)/util/xalloc.o $(B)/util/log.o \
             $(B)/util/jsonx.o $(B)/util/utf8.o $(B)/util/jsonfile.o \
             $(B)/util/arena.o $(B)/util/clock.o
# Protocol code with no dependency beyond libc and json-c: the handler may
# link it.
PROTO_OBJ := $(B)/proto/connstr.o $(B)/proto/kvpairs.o $(B)/proto/names.o \
             $(B)/proto/invoke.o
# Protocol code that needs libjwt/OpenSSL: local host and emulator only.
TOKEN_OBJ := $(B)/proto/token.o $(B)/proto/upstream.o

PROGRAMS :=
TEST_RUNNERS :=
CLEAN_EXTRA :=

.PHONY: all
all: programs

include mk/handler.mk
-include mk/emulator.mk
-include mk/host.mk
-include mk/publish.mk
include mk/tests.mk
-include mk/fuzz.mk

.PHONY: programs
programs: $(PROGRAMS)

$(B)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFL_CHECK) -Itests -c $< -o $@

# --- installation of what is missing ---------------------------------------
.PHONY: deps
deps:
	@scripts/deps.sh

.PHONY: deps-check
deps-check:
	@scripts/deps.sh --if-missing

# --- the local stack ---------------------------------------------------------
.PHONY: run
run: deps-check
	@$(MAKE) --no-print-directory programs www-lib
	@TIER="$(TIER)" UNITS="$(UNITS)" MESSAGES_PER_DAY="$(MESSAGES_PER_DAY)" \
	    scripts/run.sh

.PHONY: www-lib
www-lib:
	@mkdir -p www/lib
	@cp node_modules/@microsoft/signalr/dist/browser/signalr.min.js www/lib/ 2>/dev/null || true

# --- tests -------------------------------------------------------------------
# `make test` (what CI runs): every test on the normal build, then again on
# the ASan+UBSan build, then each fuzzer for FUZZ_TEST_SECONDS, then the
# black-box and end-to-end tests under valgrind, then the 60 s soaks.
# `make check`: the normal build's tests only (the quick loop).
# `make test SAN=1`: the sanitizer build's tests only.
FUZZ_TEST_SECONDS ?= 5

.PHONY: test check
ifeq ($(SAN),1)
test: check
else
test: check
	@echo "== sanitizer build (ASan + UBSan)"
	@$(MAKE) --no-print-directory SAN=1 check
	@echo "== fuzzers ($(FUZZ_TEST_SECONDS) s each)"
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)
	@echo "== valgrind memcheck"
	@scripts/memcheck.sh
	@echo "== soak: 60 s at saturation, then SIGTERM under load"
	@scripts/soak.sh
endif

check: deps-check
	@$(MAKE) --no-print-directory programs test-runners www-lib
	@BUILD=$(B) BINDIR=$(BIN) scripts/test.sh

.PHONY: memcheck
memcheck: deps-check
	@$(MAKE) --no-print-directory programs test-runners www-lib
	@scripts/memcheck.sh

.PHONY: bench
bench: deps-check
	@scripts/deps.sh --if-missing --bench
	@$(MAKE) --no-print-directory programs publish-handler
	@scripts/bench.sh

.PHONY: format
format:
	@scripts/format.sh

.PHONY: clean
clean:
	rm -rf build build-san bin dist $(CLEAN_EXTRA)

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
