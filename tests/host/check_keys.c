/* check_keys.c - function keys: levels, the host's matching rules and the
 * file-based secrets (created, read, edited by hand, refused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/keys.h"
#include "host_test.h"
#include "runner.h"
#include "util/clock.h"
#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/banned.h"

static char *dir;

static void setup(void)
{
    dir = runner_tmpdir("keys");
}

static void teardown(void)
{
    runner_rmtree(dir);
    free(dir);
}

static char *secrets_path(const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 16;
    char *p = malloc(n);
    snprintf(p, n, "%s/s/%s", dir, file);
    return p;
}

static struct keys *open_two(void)
{
    static const char *const fns[] = {"broadcast", "Groups"};
    char err[256], path[1024];
    snprintf(path, sizeof path, "%s/s", dir);
    struct keys *k = keys_open(path, fns, 2, err, sizeof err);
    ck_assert_msg(k != NULL, "%s", err);
    return k;
}

START_TEST(test_levels_parse_and_open_as_the_host_decides)
{
    ck_assert_int_eq(auth_level_parse("anonymous"), AUTH_ANONYMOUS);
    ck_assert_int_eq(auth_level_parse("Function"), AUTH_FUNCTION);
    ck_assert_int_eq(auth_level_parse("ADMIN"), AUTH_ADMIN);
    ck_assert_int_eq(auth_level_parse("system"), AUTH_SYSTEM);
    ck_assert_int_eq(auth_level_parse("user"), AUTH_USER);
    ck_assert_int_eq(auth_level_parse("everyone"), -1);
    ck_assert_int_eq(auth_level_parse(NULL), -1);
    ck_assert_str_eq(auth_level_name(AUTH_FUNCTION), "Function");
    /* anonymous needs nothing; Admin opens all; otherwise equal only */
    ck_assert(auth_level_opens(AUTH_ANONYMOUS, AUTH_ANONYMOUS));
    ck_assert(!auth_level_opens(AUTH_ANONYMOUS, AUTH_FUNCTION));
    ck_assert(auth_level_opens(AUTH_FUNCTION, AUTH_FUNCTION));
    ck_assert(auth_level_opens(AUTH_ADMIN, AUTH_FUNCTION));
    ck_assert(auth_level_opens(AUTH_ADMIN, AUTH_SYSTEM));
    ck_assert(!auth_level_opens(AUTH_SYSTEM, AUTH_FUNCTION));
    ck_assert(!auth_level_opens(AUTH_FUNCTION, AUTH_ADMIN));
    ck_assert(!auth_level_opens(AUTH_FUNCTION, AUTH_USER));
    /* the header wins, even empty */
    ck_assert_str_eq(keys_presented("h", "q"), "h");
    ck_assert_str_eq(keys_presented("", "q"), "");
    ck_assert_str_eq(keys_presented(NULL, "q"), "q");
    ck_assert_ptr_null(keys_presented(NULL, NULL));
}
END_TEST

START_TEST(test_secrets_are_created_in_the_host_format)
{
    struct keys *k = open_two();
    char err[256];
    struct json_object *host = NULL, *fn = NULL;
    char *hp = secrets_path("host.json"), *fp = secrets_path("groups.json");
    ck_assert_int_eq(jsonfile_read(hp, &host, err, sizeof err), 0);
    ck_assert_int_eq(jsonfile_read(fp, &fn, err, sizeof err), 0);
    struct json_object *m = jsonx_get_ci(host, "masterKey");
    ck_assert_str_eq(jsonx_str(m, "name"), "master");
    const char *master = jsonx_str(m, "value");
    ck_assert_uint_eq(strlen(master), 56); /* 40 bytes, base64 */
    ck_assert(strspn(master,
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
                     "yz0123456789-_=") == 56);
    ck_assert(!json_object_get_boolean(jsonx_get_ci(m, "encrypted")));
    struct json_object *fk = jsonx_get_ci(host, "functionKeys");
    ck_assert_int_eq(json_object_array_length(fk), 1);
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(fk, 0), "name"),
                     "default");
    ck_assert_int_eq(json_object_array_length(jsonx_get_ci(host, "systemKeys")),
                     0);
    ck_assert_str_eq(jsonx_str(host, "source"), "runtime");
    struct json_object *keys = jsonx_get_ci(fn, "keys");
    ck_assert_int_eq(json_object_array_length(keys), 1);
    const char *gk = jsonx_str(json_object_array_get_idx(keys, 0), "value");
    ck_assert_str_ne(gk, master);
    /* private: 0600 files in a 0700 folder */
    struct stat st;
    ck_assert_int_eq(stat(hp, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    char *m2 = keys_master(k), *g2 = keys_function_default(k, "groups");
    ck_assert_str_eq(m2, master);
    ck_assert_str_eq(g2, gk);
    ck_assert_ptr_null(keys_function_default(k, "nope"));
    free(m2);
    free(g2);
    keys_free(k);
    /* opened again: the same keys, not new ones */
    k = open_two();
    m2 = keys_master(k);
    ck_assert_str_eq(m2, master);
    free(m2);
    keys_free(k);
    json_object_put(host);
    json_object_put(fn);
    free(hp);
    free(fp);
}
END_TEST

START_TEST(test_each_kind_of_key_gives_its_level)
{
    struct keys *k = open_two();
    char *master = keys_master(k);
    char *b = keys_function_default(k, "broadcast");
    char *g = keys_function_default(k, "groups");
    char name[64];
    ck_assert_int_eq(keys_match(k, master, "broadcast", name, sizeof name),
                     AUTH_ADMIN);
    ck_assert_str_eq(name, "master");
    ck_assert_int_eq(keys_match(k, b, "broadcast", name, sizeof name),
                     AUTH_FUNCTION);
    ck_assert_str_eq(name, "default");
    /* another function's key: nothing for this one; case of the name
     * does not matter */
    ck_assert_int_eq(keys_match(k, g, "broadcast", name, sizeof name),
                     AUTH_ANONYMOUS);
    ck_assert_str_eq(name, "");
    ck_assert_int_eq(keys_match(k, g, "GROUPS", NULL, 0), AUTH_FUNCTION);
    /* a host endpoint (no function): function keys do nothing */
    ck_assert_int_eq(keys_match(k, b, NULL, NULL, 0), AUTH_ANONYMOUS);
    ck_assert_int_eq(keys_match(k, "wrong", "broadcast", NULL, 0),
                     AUTH_ANONYMOUS);
    ck_assert_int_eq(keys_match(k, "", "broadcast", NULL, 0), AUTH_ANONYMOUS);
    ck_assert_int_eq(keys_match(k, NULL, "broadcast", NULL, 0), AUTH_ANONYMOUS);
    /* a prefix of a key is not the key */
    master[10] = '\0';
    ck_assert_int_eq(keys_match(k, master, NULL, NULL, 0), AUTH_ANONYMOUS);
    free(master);
    free(b);
    free(g);
    keys_free(k);
}
END_TEST

START_TEST(test_keys_added_by_hand_are_picked_up)
{
    struct keys *k = open_two();
    char *hp = secrets_path("host.json");
    ht_write(dir, "s/host.json",
             "{\"masterKey\":{\"name\":\"master\",\"value\":\"M-new\","
             "\"encrypted\":false},\"functionKeys\":[{\"name\":\"ci\","
             "\"value\":\"host-ci\",\"encrypted\":false}],\"systemKeys\":["
             "{\"name\":\"signalr_extension\",\"value\":\"sys-1\"}]}");
    clock_sleep_ms(1100); /* the files are read again at most once a second */
    char name[64];
    ck_assert_int_eq(keys_match(k, "host-ci", "broadcast", name, sizeof name),
                     AUTH_FUNCTION);
    ck_assert_str_eq(name, "ci");
    ck_assert_int_eq(keys_match(k, "sys-1", NULL, name, sizeof name),
                     AUTH_SYSTEM);
    ck_assert_str_eq(name, "signalr_extension");
    ck_assert_int_eq(keys_match(k, "M-new", NULL, NULL, 0), AUTH_ADMIN);
    /* a file broken by hand: the keys read last stay */
    ht_write(dir, "s/host.json", "{not json");
    clock_sleep_ms(1100);
    ck_assert_int_eq(keys_match(k, "nothing", NULL, NULL, 0), AUTH_ANONYMOUS);
    ck_assert_int_eq(keys_match(k, "M-new", NULL, NULL, 0), AUTH_ADMIN);
    keys_free(k);
    free(hp);
}
END_TEST

START_TEST(test_bad_secrets_are_refused_naming_the_file)
{
    static const char *const fns[] = {"broadcast"};
    char err[256], path[1024];
    snprintf(path, sizeof path, "%s/s", dir);
    mkdir(path, 0700);
    ht_write(dir, "s/host.json",
             "{\"masterKey\":{\"name\":\"master\",\"value\":\"CfDJ8...\","
             "\"encrypted\":true},\"functionKeys\":[]}");
    ck_assert_ptr_null(keys_open(path, fns, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "host.json: masterKey"));
    ck_assert_ptr_nonnull(strstr(err, "encrypted"));
    ht_write(dir, "s/host.json",
             "{\"masterKey\":{\"name\":\"master\",\"value\":\"m\"},"
             "\"functionKeys\":[{\"name\":\"x\"}]}");
    ck_assert_ptr_null(keys_open(path, fns, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "functionKeys[0]: needs a name"));
    ck_assert_ptr_null(strstr(err, "\"m\""));
    ht_write(dir, "s/host.json", "{\"functionKeys\":[]}");
    ck_assert_ptr_null(keys_open(path, fns, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "masterKey.value: missing"));
    /* a folder that cannot be made */
    snprintf(path, sizeof path, "%s/s/host.json/sub", dir);
    ck_assert_ptr_null(keys_open(path, fns, 1, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "secrets folder"));
}
END_TEST

Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("keys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_levels_parse_and_open_as_the_host_decides);
    tcase_add_test(tc, test_secrets_are_created_in_the_host_format);
    tcase_add_test(tc, test_each_kind_of_key_gives_its_level);
    tcase_add_test(tc, test_keys_added_by_hand_are_picked_up);
    tcase_add_test(tc, test_bad_secrets_are_refused_naming_the_file);
    suite_add_tcase(s, tc);
    return s;
}
