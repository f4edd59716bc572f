# bin/signalr-emulator: the local Azure SignalR Service (serverless mode).
# One thread: epoll + libmicrohttpd (external poll) + wslay, and libcurl's
# multi interface for upstream calls.
EMU_LIB_OBJ := $(B)/emulator/strmap.o $(B)/emulator/hub.o \
               $(B)/emulator/msg.o $(B)/emulator/ws.o \
               $(B)/emulator/loop.o $(B)/emulator/http.o \
               $(B)/emulator/conn.o $(B)/emulator/auth.o \
               $(B)/emulator/client.o $(B)/emulator/rest.o \
               $(B)/emulator/emu.o $(B)/emulator/upconf.o \
               $(B)/emulator/upmsg.o $(B)/emulator/upclient.o \
               $(B)/emulator/tier.o $(B)/emulator/clientres.o \
               $(B)/emulator/restpage.o $(B)/emulator/tls.o \
               $(B)/emulator/replay.o \
               $(B)/emulator/hubout.o $(B)/proto/hubmsgpack.o \
               $(B)/proto/hubproto.o $(B)/util/url.o $(B)/util/listen.o \
               $(PROTO_OBJ) $(TOKEN_OBJ) $(UTIL_OBJ)
EMU_OBJ := $(B)/emulator/main.o $(EMU_LIB_OBJ)
# libssl: HTTPS/WSS on the emulator's port (tls.c); the emulator only.
LIB_TLS  := $(shell pkg-config --libs libssl 2>/dev/null || echo -lssl -lcrypto)
EMU_LIBS := $(LIB_MHD) $(LIB_WSLAY) $(LIB_JWT) $(LIB_TLS) $(LIB_SSL) \
            $(LIB_JSON) $(LIB_CURL) $(LIB_MSGPACK)

PROGRAMS += $(BIN)/signalr-emulator

$(BIN)/signalr-emulator: $(EMU_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(EMU_LIBS)

# Unit tests of the modules and black-box tests of the binary (libcurl,
# the process helpers of tests/integration/proc.c).
EMU_TEST_OBJ := $(patsubst tests/%.c,$(B)/tests/%.o,\
    $(wildcard tests/emulator/*.c)) $(B)/tests/integration/proc.o \
    $(B)/tests/runner.o

$(B)/tests/check_emulator: $(EMU_TEST_OBJ) $(EMU_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CHECK) $(EMU_LIBS) -lpthread

TEST_RUNNERS += $(B)/tests/check_emulator
