/* check_main.c - the emulator's Check runner: one list of suites. */
#include "emulator_suites.h"
#include "runner.h"

RUNNER_MAIN(strmap_suite, hub_suite, rest_route_suite, ws_suite,
            upstream_emu_suite, conn_suite, upclient_suite, tier_suite,
            restpage_suite, hubmsgpack_suite, replay_suite, blackbox_suite,
            tls_suite)
