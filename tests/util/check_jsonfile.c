/* check_jsonfile.c - configuration files (src/util/jsonfile.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "runner.h"
#include "util/jsonfile.h"

static char *write_file(const char *dir, const char *text)
{
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    snprintf(path, n, "%s/f.json", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_jsonfile_strict_and_bom)
{
    char *dir = runner_tmpdir("jsonfile");
    char *path = write_file(dir, "\xEF\xBB\xBF{\"a\": 1}\n");
    struct json_object *o = NULL;
    char err[200];
    ck_assert_int_eq(jsonfile_read(path, &o, err, sizeof err), 0);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "a")), 1);
    json_object_put(o);
    free(path);
    path = write_file(dir, "{\"a\": 1, /* no */}");
    ck_assert_int_eq(jsonfile_read(path, &o, err, sizeof err), -1);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(jsonfile_load(path, 0, &o, err, sizeof err),
                     JSONFILE_SYNTAX);
    free(path);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_jsonfile_lenient)
{
    char *dir = runner_tmpdir("jsonfile");
    char *path = write_file(dir, "// settings\n{\"a\": [1, 2,], /* c */\n}\n");
    struct json_object *o = NULL;
    char err[200];
    ck_assert_int_eq(jsonfile_load(path, JSONFILE_LENIENT, &o, err, sizeof err),
                     0);
    struct json_object *a = json_object_object_get(o, "a");
    ck_assert_uint_eq(json_object_array_length(a), 2);
    json_object_put(o);
    free(path);
    path = write_file(dir, "{\"a\": 1} x");
    ck_assert_int_eq(jsonfile_load(path, JSONFILE_LENIENT, &o, err, sizeof err),
                     JSONFILE_SYNTAX);
    ck_assert_str_eq(err, "unexpected text after the JSON value");
    ck_assert_int_lt(jsonfile_parse("{\"a\": \"\0\"}", 10, JSONFILE_LENIENT, &o,
                                    err, sizeof err),
                     0);
    free(path);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(test_jsonfile_missing_and_too_large)
{
    struct json_object *o = NULL;
    char err[200];
    ck_assert_int_eq(
        jsonfile_read("/nonexistent/x/f.json", &o, err, sizeof err), 1);
    ck_assert_ptr_null(o);
    char *dir = runner_tmpdir("jsonfile");
    char *big = malloc(JSONFILE_MAX + 2);
    memset(big, ' ', JSONFILE_MAX + 1);
    big[JSONFILE_MAX + 1] = '\0';
    big[0] = '1';
    char *path = write_file(dir, big);
    ck_assert_int_eq(jsonfile_load(path, 0, &o, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "larger than"));
    free(big);
    free(path);
    runner_rmtree(dir);
    free(dir);
}
END_TEST

Suite *jsonfile_suite(void)
{
    Suite *s = suite_create("jsonfile");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_jsonfile_strict_and_bom);
    tcase_add_test(tc, test_jsonfile_lenient);
    tcase_add_test(tc, test_jsonfile_missing_and_too_large);
    suite_add_tcase(s, tc);
    return s;
}
