/*
 * publish_main.c - the publish runner: `func-local --check` on broken app
 * copies (check_preflight.c), then the dist/ bundle built by
 * scripts/publish.sh, in an empty root and bare Debian 11 and 12 roots
 * (check_bundle.c).
 */
#include "runner.h"

Suite *preflight_suite(void);
Suite *bundle_suite(void);

RUNNER_MAIN(preflight_suite, bundle_suite)
