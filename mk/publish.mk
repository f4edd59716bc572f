# make publish: dist/, the folder `func azure functionapp publish` ships.
#
# The published handler is one statically linked executable: it needs
# nothing from the image but the kernel (no loader, no glibc, no library),
# so it starts on every Azure Functions Linux image, Debian 11 (glibc 2.31)
# included. It links the handler's normal objects with glibc's libc.a,
# Debian's libjson-c.a and libyajl_s.a and a libmicrohttpd.a built without HTTPS from
# Debian's own source package (scripts/static-mhd.sh, cached in
# build/static/). The development build (bin/handler) stays dynamic.
PUBLISH_HANDLER := build/publish/handler
STATIC_DIR      := build/static
STATIC_MHD      := $(STATIC_DIR)/lib/libmicrohttpd.a
# json-c's archive from libjson-c-dev, found where pkg-config says it is.
STATIC_JSON     := $(shell pkg-config --variable=libdir json-c 2>/dev/null)/libjson-c.a
# yajl's archive from libyajl-dev (Debian names it libyajl_s.a).
STATIC_YAJL     := $(shell pkg-config --variable=libdir yajl 2>/dev/null)/libyajl_s.a

.PHONY: publish publish-handler
publish: publish-handler
	@$(MAKE) --no-print-directory SAN=0 bin/func-local
	@scripts/publish.sh $(PUBLISH_HANDLER) dist

$(STATIC_MHD):
	@scripts/static-mhd.sh $(STATIC_DIR)

# With SAN=1 the sanitizer objects are in build-san/: link the published
# handler from a normal build instead (a separate directory, so no race).
ifeq ($(SAN),1)
publish-handler:
	@$(MAKE) --no-print-directory SAN=0 $(PUBLISH_HANDLER)
else
publish-handler: $(PUBLISH_HANDLER)

$(PUBLISH_HANDLER): $(HANDLER_OBJ) $(STATIC_MHD)
	@mkdir -p $(dir $@)
	$(CC) -static -Wl,--gc-sections -o $@ $(HANDLER_OBJ) $(STATIC_MHD) \
	    $(STATIC_YAJL) $(STATIC_JSON) -lpthread
endif

# Tests: bin/func-local --check on broken copies of the app, and the bundle in
# an empty root and clean Debian 11 and 12 roots (tests/publish/).
PUBLISH_TEST_OBJ := $(B)/tests/publish/publish_main.o \
    $(B)/tests/publish/check_preflight.o $(B)/tests/publish/check_bundle.o \
    $(B)/tests/publish/pubtest.o $(B)/tests/integration/proc.o \
    $(B)/tests/runner.o $(UTIL_OBJ)

$(B)/tests/check_publish: $(PUBLISH_TEST_OBJ) | publish-handler
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PUBLISH_TEST_OBJ) $(LIB_CHECK) $(LIB_CURL) \
	    $(LIB_JSON) -lpthread

TEST_RUNNERS += $(B)/tests/check_publish
