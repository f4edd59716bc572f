# bin/func-local: the local Functions host. Links libcurl (handler calls,
# SignalR and Queue REST), libjwt + OpenSSL (tokens, Shared Key),
# libmicrohttpd, json-c and expat (the Queue service's XML).
LIB_EXPAT := $(shell pkg-config --libs expat 2>/dev/null || echo -lexpat)
HOST_LIB_OBJ := $(B)/host/app.o $(B)/host/route.o $(B)/host/payload.o \
                $(B)/host/result.o $(B)/host/sigout.o $(B)/host/sigrest.o \
                $(B)/host/conninfo.o $(B)/host/invoker.o $(B)/host/curlpool.o \
                $(B)/host/worker.o $(B)/host/dispatch.o $(B)/host/timer.o \
                $(B)/host/front.o $(B)/host/ncrontab.o \
                $(B)/host/authlevel.o $(B)/host/keys.o $(B)/host/easyauth.o \
                $(B)/host/sigtrigger.o $(B)/host/hdesc.o \
                $(B)/host/forward.o $(B)/host/select.o \
                $(B)/proto/hubproto.o $(B)/proto/hubmsgpack.o $(B)/util/url.o \
                $(B)/host/storconn.o $(B)/host/sharedkey.o $(B)/host/qxml.o \
                $(B)/host/qclient.o $(B)/host/qopts.o $(B)/host/qcodec.o \
                $(B)/host/qpayload.o $(B)/host/qout.o $(B)/host/qlisten.o \
                $(B)/util/listen.o \
                $(PROTO_OBJ) $(TOKEN_OBJ) $(UTIL_OBJ)
HOST_OBJ := $(B)/host/main.o $(B)/host/preflight.o $(B)/host/qcli.o \
            $(HOST_LIB_OBJ)
HOST_LIBS := $(LIB_MHD) $(LIB_CURL) $(LIB_JWT) $(LIB_SSL) $(LIB_JSON) \
             $(LIB_MSGPACK) $(LIB_EXPAT) -lpthread

PROGRAMS += $(BIN)/func-local

$(BIN)/func-local: $(HOST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(HOST_LIBS)

# Unit tests of the host's modules (and the NCRONTAB parser's own suite).
# runner.o is named directly: tests.mk (RUNNER_OBJ) is read after this file.
HOST_TEST_OBJ := $(patsubst tests/%.c,$(B)/tests/%.o,\
    $(wildcard tests/host/check_*.c)) $(B)/tests/host/host_main.o \
    $(B)/tests/runner.o

$(B)/tests/check_host: $(HOST_TEST_OBJ) $(HOST_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CHECK) $(HOST_LIBS)

TEST_RUNNERS += $(B)/tests/check_host
