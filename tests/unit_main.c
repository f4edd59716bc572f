/* unit_main.c - the runner for util/, proto/, the runtime and the app's
 * functions. */
#include "runner.h"

Suite *buf_suite(void);
Suite *jsonx_suite(void);
Suite *connstr_suite(void);
Suite *names_suite(void);
Suite *token_suite(void);
Suite *invoke_suite(void);
Suite *fn_suite(void);
Suite *function_json_suite(void);
Suite *stats_suite(void);
Suite *app_tests_suite(void);
Suite *upstream_suite(void);
Suite *utf8_suite(void);
Suite *url_suite(void);
Suite *hubproto_suite(void);
Suite *jsonfile_suite(void);
Suite *clock_suite(void);

RUNNER_MAIN(buf_suite, jsonx_suite, connstr_suite, names_suite, token_suite,
            invoke_suite, fn_suite, function_json_suite, stats_suite,
            app_tests_suite, upstream_suite, utf8_suite, url_suite,
            hubproto_suite, jsonfile_suite, clock_suite)
