# bin/handler: the only program Azure runs. Links libmicrohttpd + json-c,
# never libcurl, libjwt or OpenSSL (its object list proves it).
HANDLER_OBJ := $(B)/handler/main.o $(B)/handler/server.o \
               $(B)/handler/routes.o $(B)/handler/stats.o $(B)/handler/fn.o \
               $(B)/handler/fn_negotiate.o $(B)/handler/fn_broadcast.o \
               $(B)/handler/fn_groups.o $(B)/handler/fn_status_update.o \
               $(B)/handler/fn_index.o $(B)/handler/fn_send_message.o \
               $(B)/handler/fn_presence.o \
               $(B)/handler/check.o \
               $(PROTO_OBJ) $(UTIL_OBJ)

PROGRAMS += $(BIN)/handler

$(BIN)/handler: $(HANDLER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_MHD) $(LIB_JSON) -lpthread
