/* emulator_suites.h - the suites of check_emulator, one per module. */
#ifndef TESTS_EMULATOR_SUITES_H
#define TESTS_EMULATOR_SUITES_H

#include <check.h>

Suite *strmap_suite(void);
Suite *hub_suite(void);
Suite *rest_route_suite(void);
Suite *ws_suite(void);
Suite *blackbox_suite(void);
Suite *upstream_emu_suite(void);
Suite *conn_suite(void);
Suite *upclient_suite(void);
Suite *tier_suite(void);
Suite *restpage_suite(void);
Suite *hubmsgpack_suite(void);
Suite *tls_suite(void);
Suite *replay_suite(void);

#endif
