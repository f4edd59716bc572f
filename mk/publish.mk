# make publish: dist/, the folder `func azure functionapp publish` ships.
#
# The published handler is its own link of the handler's objects, always
# from the normal (non-sanitizer) build, with an RPATH of $ORIGIN/lib so it
# finds the libraries scripts/publish.sh bundles in dist/bin/lib. DT_RPATH
# (--disable-new-dtags), not DT_RUNPATH, because only the executable's RPATH
# is also searched for the libraries those libraries need (gnutls and the
# rest under libmicrohttpd); see docs/deploy.md.
PUBLISH_HANDLER := build/publish/handler

.PHONY: publish publish-handler
publish: publish-handler
	@scripts/publish.sh $(PUBLISH_HANDLER) dist

# With SAN=1 the sanitizer objects are in build-san/: link the published
# handler from a normal build instead (a separate directory, so no race).
ifeq ($(SAN),1)
publish-handler:
	@$(MAKE) --no-print-directory SAN=0 $(PUBLISH_HANDLER)
else
publish-handler: $(PUBLISH_HANDLER)

$(PUBLISH_HANDLER): $(HANDLER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/lib' \
	    -o $@ $^ $(LIB_MHD) $(LIB_JSON) -lpthread
endif

# Tests: bin/handler --check on broken copies of the app, and the bundle in
# a clean Debian 12 root (tests/publish/).
PUBLISH_TEST_OBJ := $(B)/tests/publish/publish_main.o \
    $(B)/tests/publish/check_preflight.o $(B)/tests/publish/check_bundle.o \
    $(B)/tests/publish/pubtest.o $(B)/tests/integration/proc.o \
    $(B)/tests/runner.o $(UTIL_OBJ)

# An executable that needs a library of its own through $ORIGIN/lib: the
# "missing library" case of --check (and its passing twin).
PUBFIX_DIR := $(B)/tests/publish/fixture
$(PUBFIX_DIR)/lib/libpubfix.so: tests/publish/fixture_lib.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -fPIC -shared -Wl,-soname,libpubfix.so -o $@ $<

$(PUBFIX_DIR)/needs-lib: tests/publish/fixture_exe.c \
    $(PUBFIX_DIR)/lib/libpubfix.so
	$(CC) -O2 -o $@ $< -L$(PUBFIX_DIR)/lib -lpubfix \
	    -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/lib'

$(B)/tests/check_publish: $(PUBLISH_TEST_OBJ) $(PUBFIX_DIR)/needs-lib \
    | publish-handler
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PUBLISH_TEST_OBJ) $(LIB_CHECK) $(LIB_CURL) \
	    $(LIB_JSON) -lpthread

TEST_RUNNERS += $(B)/tests/check_publish
