# libFuzzer harnesses (clang). `make fuzz FUZZ_SECONDS=N` builds them into
# build-fuzz/ with ASan+UBSan and runs each for N seconds on a corpus seeded
# from the test vectors (scripts/fuzz.sh). A crash fails the target and
# leaves its input in build-fuzz/crashes/ (turn it into a regression test).
FZ        := build-fuzz
FZ_CC     := clang
FZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Itests -MMD -MP \
             -fsanitize=fuzzer-no-link,address,undefined \
             $(CFL_JSON) $(CFL_YAJL) $(CFL_MHD) $(CFL_JWT) $(CFL_SSL) \
             $(CFL_MSGPACK)
FZ_LD     := -fsanitize=fuzzer,address,undefined
FUZZ_SECONDS ?= 10

$(FZ)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FZ_CC) $(FZ_CFLAGS) -c $< -o $@

$(FZ)/obj/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FZ_CC) $(FZ_CFLAGS) -c $< -o $@

FZ_UTIL := $(patsubst $(B)/%,$(FZ)/obj/%,$(UTIL_OBJ))
FZ_PROTO := $(patsubst $(B)/%,$(FZ)/obj/%,$(PROTO_OBJ))
FZ_HANDLER := $(patsubst $(B)/%,$(FZ)/obj/%,\
    $(filter-out $(B)/app/main.o $(PROTO_OBJ) $(UTIL_OBJ),$(HANDLER_OBJ)))

FUZZERS := $(FZ)/fuzz_envelope $(FZ)/fuzz_connstr $(FZ)/fuzz_token \
           $(FZ)/fuzz_jsonx $(FZ)/fuzz_ncrontab $(FZ)/fuzz_hubproto \
           $(FZ)/fuzz_rest_route $(FZ)/fuzz_app $(FZ)/fuzz_cmdline \
           $(FZ)/fuzz_hubmsgpack $(FZ)/fuzz_qxml

$(FZ)/fuzz_envelope: $(FZ)/obj/fuzz/fuzz_envelope.o $(FZ_HANDLER) $(FZ_PROTO) $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_MHD) $(LIB_YAJL) $(LIB_JSON) -lpthread
$(FZ)/fuzz_connstr: $(FZ)/obj/fuzz/fuzz_connstr.o $(FZ_PROTO) $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_JSON) -lpthread
$(FZ)/fuzz_token: $(FZ)/obj/fuzz/fuzz_token.o $(FZ)/obj/proto/token.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_JWT) $(LIB_SSL) $(LIB_JSON) -lpthread
$(FZ)/fuzz_jsonx: $(FZ)/obj/fuzz/fuzz_jsonx.o $(FZ_PROTO) $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_JSON) -lpthread
$(FZ)/fuzz_ncrontab: $(FZ)/obj/fuzz/fuzz_ncrontab.o $(FZ)/obj/host/ncrontab.o
	$(FZ_CC) $(FZ_LD) -o $@ $^

$(FZ)/fuzz_hubproto: $(FZ)/obj/fuzz/fuzz_hubproto.o $(FZ)/obj/proto/hubproto.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_JSON) -lpthread
$(FZ)/fuzz_hubmsgpack: $(FZ)/obj/fuzz/fuzz_hubmsgpack.o \
    $(FZ)/obj/proto/hubmsgpack.o $(FZ)/obj/proto/hubproto.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_MSGPACK) $(LIB_SSL) $(LIB_JSON) -lpthread
# rest_route_parse is pure, but rest.o is linked with the rest of the
# emulator's library objects (rest_handle needs them).
FZ_EMU := $(patsubst $(B)/%,$(FZ)/obj/%,$(EMU_LIB_OBJ))
$(FZ)/fuzz_rest_route: $(FZ)/obj/fuzz/fuzz_rest_route.o $(FZ_EMU)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(EMU_LIBS) -lpthread
$(FZ)/fuzz_cmdline: $(FZ)/obj/fuzz/fuzz_cmdline.o $(FZ)/obj/host/hdesc.o \
    $(FZ)/obj/host/forward.o $(FZ)/obj/host/curlpool.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_CURL) $(LIB_JSON) -lpthread
$(FZ)/fuzz_app: $(FZ)/obj/fuzz/fuzz_app.o $(FZ)/obj/host/app.o \
    $(FZ)/obj/host/hdesc.o $(FZ)/obj/host/authlevel.o \
    $(FZ)/obj/host/route.o $(FZ)/obj/host/ncrontab.o $(FZ)/obj/host/qopts.o \
    $(FZ)/obj/host/storconn.o $(FZ)/obj/proto/kvpairs.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_SSL) $(LIB_JSON) -lpthread
$(FZ)/fuzz_qxml: $(FZ)/obj/fuzz/fuzz_qxml.o $(FZ)/obj/host/qxml.o \
    $(FZ)/obj/host/storconn.o $(FZ)/obj/proto/kvpairs.o $(FZ_UTIL)
	$(FZ_CC) $(FZ_LD) -o $@ $^ $(LIB_EXPAT) $(LIB_SSL) $(LIB_JSON) -lpthread

.PHONY: fuzzers fuzz
fuzzers: $(FUZZERS)

fuzz: fuzzers
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZERS)

CLEAN_EXTRA += $(FZ)

-include $(shell find $(FZ) -name '*.d' -type f 2>/dev/null)
