# bin/handler: the only program Azure runs. Links libmicrohttpd, yajl and json-c,
# never libcurl, libjwt or OpenSSL (its object list proves it).
#
# Two parts, as a reader sees them in src/: the custom-handler runtime
# (src/azf, also built as build/libazf.a for any C app to link) and this
# app's functions (src/app: one C file per function, found by pattern, each
# registering itself; nothing else to edit when adding one).
AZF_OBJ := $(B)/azf/registry.o $(B)/azf/catalog.o $(B)/azf/inv.o \
           $(B)/azf/envelope.o $(B)/azf/dispatch.o $(B)/azf/server.o \
           $(B)/azf/main.o
APP_OBJ := $(patsubst src/%.c,$(B)/%.o,$(wildcard src/app/*.c))
HANDLER_OBJ := $(APP_OBJ) $(AZF_OBJ) $(PROTO_OBJ) $(UTIL_OBJ)

PROGRAMS += $(BIN)/handler $(B)/libazf.a

$(BIN)/handler: $(HANDLER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_MHD) $(LIB_YAJL) $(LIB_JSON) -lpthread

# The runtime as a library: the API is src/azf/azf.h; link an app's own
# objects (its functions register themselves) with -lazf, libmicrohttpd,
# yajl and json-c.
$(B)/libazf.a: $(AZF_OBJ) $(PROTO_OBJ) $(UTIL_OBJ)
	@rm -f $@
	ar rcs $@ $^

# make function NAME=<name> TRIGGER=<http|timer|queue|signalr>: a new
# function (folder + C file + test) with a working body.
# NAME and TRIGGER reach the script through the environment, never
# through the recipe's shell text.
.PHONY: function
function: export NAME := $(NAME)
function: export TRIGGER := $(TRIGGER)
function:
	@scripts/new-function.sh "$$NAME" "$$TRIGGER"
