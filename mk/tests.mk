# Check runners. Each program's fragment adds its own runner to TEST_RUNNERS;
# scripts/test.sh runs every runner, then the Node end-to-end tests.
RUNNER_OBJ := $(B)/tests/runner.o

# Unit tests of util/, proto/ and the app's functions (the hub protocol and
# URL coding are the emulator's and the local host's, tested here with the
# rest of proto/ and util/).
UNIT_TEST_OBJ := $(patsubst tests/%.c,$(B)/tests/%.o,\
    $(wildcard tests/util/check_*.c tests/proto/check_*.c tests/app/*.c \
               )) \
    $(B)/tests/unit_main.o $(RUNNER_OBJ)
HANDLER_FN_OBJ := $(filter-out $(B)/app/main.o,\
                    $(HANDLER_OBJ))

$(B)/tests/check_unit: $(UNIT_TEST_OBJ) $(HANDLER_FN_OBJ) $(TOKEN_OBJ) \
    $(B)/proto/hubproto.o $(B)/util/url.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CHECK) $(LIB_JWT) $(LIB_SSL) $(LIB_MHD) \
	    $(LIB_YAJL) $(LIB_JSON) -lpthread

# Black-box tests of bin/handler over real sockets, driven with libcurl.
HANDLER_IT_OBJ := $(B)/tests/integration/check_handler_http.o \
    $(B)/tests/integration/proc.o $(RUNNER_OBJ) $(UTIL_OBJ)

$(B)/tests/check_handler_http: $(HANDLER_IT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CHECK) $(LIB_CURL) $(LIB_JSON) -lpthread

# The custom-handler runtime with test functions of its own (no app).
AZF_TEST_OBJ := $(patsubst tests/%.c,$(B)/tests/%.o,\
    $(wildcard tests/azf/check_*.c)) $(RUNNER_OBJ)

$(B)/tests/check_azf: $(AZF_TEST_OBJ) $(AZF_OBJ) $(PROTO_OBJ) $(UTIL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_CHECK) $(LIB_MHD) $(LIB_YAJL) $(LIB_JSON) \
	    -lpthread

TEST_RUNNERS += $(B)/tests/check_unit $(B)/tests/check_handler_http \
                $(B)/tests/check_azf

.PHONY: test-runners
test-runners: $(TEST_RUNNERS)
