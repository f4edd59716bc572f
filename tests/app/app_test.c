/* app_test.c - calling the app's functions in tests (see app_test.h). */
#include "app_test.h"

#include <stdlib.h>
#include <string.h>

#include "app/stats.h"
#include "azf/dispatch.h"

#define APP_TEST_MAX 64

static TCase *(*cases[APP_TEST_MAX])(void);
static size_t ncases;

void app_test_register(TCase *(*make)(void))
{
    if (ncases < APP_TEST_MAX)
        cases[ncases++] = make;
}

Suite *app_tests_suite(void)
{
    Suite *s = suite_create("app");
    for (size_t i = 0; i < ncases; i++)
        suite_add_tcase(s, cases[i]());
    return s;
}

static const char *connstr_now;

static const char *setting(const char *name)
{
    return strcmp(name, "AzureSignalRConnectionString") == 0 ? connstr_now
                                                             : getenv(name);
}

char *app_test_dispatch(const char *root, struct stats *st, const char *connstr,
                        const char *name, const char *text, size_t len,
                        const char *id, int *status)
{
    char err[256];
    struct dispatch_config cfg = {
        .app_root = root, .app_data = st, .setting = setting};
    struct dispatcher *d = dispatcher_new(&cfg, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    connstr_now = connstr;
    char *out = dispatch(d, name, text, len, id, status);
    dispatcher_free(d);
    return out;
}

struct json_object *app_test_call(const char *name, const char *envelope,
                                  int *status)
{
    struct stats *st = stats_new();
    char *out = app_test_dispatch(".", st, APP_TEST_CONNSTR, name, envelope,
                                  strlen(envelope), "test", status);
    stats_free(st);
    struct json_object *r = json_tokener_parse(out);
    ck_assert_msg(r != NULL, "the reply is not JSON: %s", out);
    free(out);
    return r;
}
