/* check_easyauth.c - the local App Service Authentication: the session
 * cookie, the principal headers and the /.auth endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "host/easyauth.h"
#include "host_test.h"
#include "util/jsonx.h"
#include "util/banned.h"

#define NOW 1796323261L

static struct easyauth *ea;

static void setup(void)
{
    ea = easyauth_new("secret-key", 10);
}

static void teardown(void)
{
    easyauth_free(ea);
}

/* Sign in as user; the Cookie header a browser would send back, into
 * cookie. */
static void sign_in(const char *user, char *cookie, size_t len)
{
    struct easyauth_reply r;
    easyauth_route(ea, "GET", "/.auth/login/dev", user, "/api/index", NULL,
                   NULL, NOW, &r);
    ck_assert_int_eq(r.status, 302);
    ck_assert_str_eq(r.location, "/api/index");
    ck_assert_ptr_nonnull(r.set_cookie);
    ck_assert_ptr_nonnull(strstr(r.set_cookie, "; HttpOnly"));
    ck_assert_ptr_nonnull(strstr(r.set_cookie, "; Path=/"));
    ck_assert_ptr_nonnull(strstr(r.set_cookie, "; Max-Age=28800"));
    size_t n = strcspn(r.set_cookie, ";");
    snprintf(cookie, len, "other=1; %.*s; last=2", (int)n, r.set_cookie);
    easyauth_reply_release(&r);
}

START_TEST(test_a_session_names_its_user_until_it_expires)
{
    char cookie[512], user[EASYAUTH_USER_MAX + 1];
    sign_in("alice.smith@example.com", cookie, sizeof cookie);
    ck_assert(easyauth_session(ea, cookie, NOW + 1, user, NULL));
    ck_assert_str_eq(user, "alice.smith@example.com");
    ck_assert(
        easyauth_session(ea, cookie, NOW + EASYAUTH_SESSION_S - 1, user, NULL));
    ck_assert(
        !easyauth_session(ea, cookie, NOW + EASYAUTH_SESSION_S, user, NULL));
    ck_assert(!easyauth_session(ea, NULL, NOW, user, NULL));
    ck_assert(!easyauth_session(ea, "other=1", NOW, user, NULL));
    /* another key (another host's secrets) does not accept it */
    struct easyauth *other = easyauth_new("another-key", 11);
    ck_assert(!easyauth_session(other, cookie, NOW, user, NULL));
    easyauth_free(other);
}
END_TEST

START_TEST(test_a_forged_or_edited_cookie_is_nobody)
{
    char cookie[512], user[EASYAUTH_USER_MAX + 1];
    sign_in("alice", cookie, sizeof cookie);
    /* the user swapped, the expiry pushed, the MAC cut, garbage */
    char *v = strstr(cookie, EASYAUTH_COOKIE "=") + strlen(EASYAUTH_COOKIE) + 1;
    char forged[512];
    snprintf(forged, sizeof forged, EASYAUTH_COOKIE "=bobby%s", v + 5);
    ck_assert(!easyauth_session(ea, forged, NOW, user, NULL));
    char *dot = strchr(v, '.');
    snprintf(forged, sizeof forged, EASYAUTH_COOKIE "=alice.9%s", dot + 1);
    ck_assert(!easyauth_session(ea, forged, NOW, user, NULL));
    snprintf(forged, sizeof forged, "%.*s",
             (int)(strrchr(cookie, '.') - cookie + 3), cookie);
    ck_assert(!easyauth_session(ea, forged, NOW, user, NULL));
    ck_assert(!easyauth_session(ea, EASYAUTH_COOKIE "=alice", NOW, user, NULL));
    ck_assert(!easyauth_session(ea, EASYAUTH_COOKIE "=..", NOW, user, NULL));
    ck_assert(!easyauth_session(ea, EASYAUTH_COOKIE "=a b.9999999999.x", NOW,
                                user, NULL));
    ck_assert(!easyauth_session(ea, EASYAUTH_COOKIE "=", NOW, user, NULL));
}
END_TEST

START_TEST(test_login_refuses_bad_names_and_foreign_redirects)
{
    static const char *const bad_users[] = {"", "a b", "x\r\nSet-Cookie: y",
                                            "<script>", NULL};
    struct easyauth_reply r;
    for (int i = 0; bad_users[i]; i++) {
        easyauth_route(ea, "GET", "/.auth/login/dev", bad_users[i], NULL, NULL,
                       NULL, NOW, &r);
        ck_assert_int_eq(r.status, 400);
        ck_assert_ptr_null(r.set_cookie);
        ck_assert_ptr_nonnull(strstr(r.body, "user=NAME"));
        easyauth_reply_release(&r);
    }
    easyauth_route(ea, "GET", "/.auth/login/dev", NULL, NULL, NULL, NULL, NOW,
                   &r);
    ck_assert_int_eq(r.status, 400);
    easyauth_reply_release(&r);
    char longname[EASYAUTH_USER_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert(!easyauth_valid_user(longname));
    longname[EASYAUTH_USER_MAX] = '\0';
    ck_assert(easyauth_valid_user(longname));
    static const char *const bad_to[] = {
        "https://evil.example/", "//evil.example/", "/\\evil",
        "/ok\r\nX: y",           "relative",        NULL};
    for (int i = 0; bad_to[i]; i++) {
        easyauth_route(ea, "GET", "/.auth/login/dev", "alice", bad_to[i], NULL,
                       NULL, NOW, &r);
        ck_assert_int_eq(r.status, 400);
        ck_assert_ptr_null(r.set_cookie);
        ck_assert_ptr_null(r.location);
        easyauth_reply_release(&r);
    }
    /* no redirect asked for: App Service's done page */
    easyauth_route(ea, "GET", "/.auth/login/dev", "alice", NULL, NULL, NULL,
                   NOW, &r);
    ck_assert_int_eq(r.status, 302);
    ck_assert_str_eq(r.location, "/.auth/login/done");
    easyauth_reply_release(&r);
    easyauth_route(ea, "GET", "/.auth/login/aad", "alice", NULL, NULL, NULL,
                   NOW, &r);
    ck_assert_int_eq(r.status, 404);
    easyauth_reply_release(&r);
    easyauth_route(ea, "DELETE", "/.auth/me", NULL, NULL, NULL, NULL, NOW, &r);
    ck_assert_int_eq(r.status, 405);
    easyauth_reply_release(&r);
}
END_TEST

START_TEST(test_me_and_logout)
{
    char cookie[512];
    struct easyauth_reply r;
    easyauth_route(ea, "GET", "/.auth/me", NULL, NULL, NULL, NULL, NOW, &r);
    ck_assert_int_eq(r.status, 401);
    easyauth_reply_release(&r);
    sign_in("alice", cookie, sizeof cookie);
    easyauth_route(ea, "GET", "/.auth/me", NULL, NULL, NULL, cookie, NOW, &r);
    ck_assert_int_eq(r.status, 200);
    struct json_object *me = NULL;
    char err[128];
    ck_assert_int_eq(jsonx_parse(r.body, strlen(r.body), &me, err, sizeof err),
                     0);
    struct json_object *e = json_object_array_get_idx(me, 0);
    ck_assert_str_eq(jsonx_str(e, "user_id"), "alice");
    ck_assert_str_eq(jsonx_str(e, "provider_name"), "dev");
    struct json_object *c = jsonx_get_ci(e, "user_claims");
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(c, 1), "val"),
                     "alice");
    char exp[32];
    snprintf(exp, sizeof exp, "%s", jsonx_str(e, "expires_on"));
    json_object_put(me);
    easyauth_reply_release(&r);
    /* asked later, the same expiry: the session's, not now + 8 h */
    easyauth_route(ea, "GET", "/.auth/me", NULL, NULL, NULL, cookie, NOW + 600,
                   &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, exp));
    easyauth_reply_release(&r);
    easyauth_route(ea, "GET", "/.auth/logout", NULL, NULL, "/api/index", cookie,
                   NOW, &r);
    ck_assert_int_eq(r.status, 302);
    ck_assert_str_eq(r.location, "/api/index");
    ck_assert_ptr_nonnull(strstr(r.set_cookie, EASYAUTH_COOKIE "=;"));
    ck_assert_ptr_nonnull(strstr(r.set_cookie, "Max-Age=0"));
    easyauth_reply_release(&r);
    easyauth_route(ea, "GET", "/.auth/logout", NULL, NULL, "//evil", cookie,
                   NOW, &r);
    ck_assert_int_eq(r.status, 400);
    easyauth_reply_release(&r);
}
END_TEST

START_TEST(test_principal_headers_as_app_service_sets_them)
{
    ck_assert(easyauth_reserved_header("X-MS-CLIENT-PRINCIPAL-ID"));
    ck_assert(easyauth_reserved_header("x-ms-client-principal"));
    ck_assert(easyauth_reserved_header("x-ms-client-principal-name"));
    ck_assert(easyauth_reserved_header("X-MS-TOKEN-AAD-ID-TOKEN"));
    ck_assert(!easyauth_reserved_header("x-ms-client"));
    ck_assert(!easyauth_reserved_header("Cookie"));
    struct easyauth_headers h;
    easyauth_headers("alice", &h);
    ck_assert_str_eq(h.name[0], "X-MS-CLIENT-PRINCIPAL-ID");
    ck_assert_str_eq(h.value[0], "alice");
    ck_assert_str_eq(h.name[1], "X-MS-CLIENT-PRINCIPAL-NAME");
    ck_assert_str_eq(h.value[1], "alice");
    ck_assert_str_eq(h.name[2], "X-MS-CLIENT-PRINCIPAL-IDP");
    ck_assert_str_eq(h.value[2], "dev");
    ck_assert_str_eq(h.name[3], "X-MS-CLIENT-PRINCIPAL");
    unsigned char raw[1024];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)h.value[3],
                            (int)strlen(h.value[3]));
    ck_assert_int_gt(n, 0);
    struct json_object *p = NULL;
    char err[128];
    size_t len = strlen((char *)raw); /* DecodeBlock pads with NULs */
    ck_assert_int_eq(jsonx_parse((char *)raw, len, &p, err, sizeof err), 0);
    ck_assert_str_eq(jsonx_str(p, "auth_typ"), "dev");
    ck_assert_str_eq(
        jsonx_str(p, "name_typ"),
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name");
    struct json_object *c = jsonx_get_ci(p, "claims");
    ck_assert_int_eq(json_object_array_length(c), 2);
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(c, 0), "val"),
                     "alice");
    json_object_put(p);
    easyauth_headers_release(&h);
}
END_TEST

static int configure(const char *json, char *err, size_t errlen)
{
    struct json_object *cfg = NULL;
    ck_assert_int_eq(jsonx_parse(json, strlen(json), &cfg, err, errlen), 0);
    int rc = easyauth_configure(ea, cfg, err, errlen);
    json_object_put(cfg);
    return rc;
}

START_TEST(test_required_paths_follow_the_file_based_settings)
{
    char err[256];
    /* no settings: nothing required */
    ck_assert_int_eq(easyauth_configure(ea, NULL, err, sizeof err), 0);
    ck_assert(!easyauth_required(ea, "/api/user/negotiate"));
    ck_assert_int_eq(configure("{\"globalValidation\":{\"requireAuthentication"
                               "\":true,\"unauthenticatedClientAction\":"
                               "\"AllowAnonymous\"}}",
                               err, sizeof err),
                     0);
    ck_assert(!easyauth_required(ea, "/api/user/negotiate"));
    ck_assert_int_eq(
        configure("{\"globalValidation\":{\"requireAuthentication\":true,"
                  "\"unauthenticatedClientAction\":\"Return401\","
                  "\"excludedPaths\":[\"/api/negotiate\",\"/api/index/*\"]}}",
                  err, sizeof err),
        0);
    ck_assert(easyauth_required(ea, "/api/user/negotiate"));
    ck_assert(easyauth_required(ea, "/api/negotiate/x"));
    ck_assert(easyauth_required(ea, "/api/indexes"));
    ck_assert(!easyauth_required(ea, "/api/negotiate"));
    ck_assert(!easyauth_required(ea, "/API/Negotiate"));
    ck_assert(!easyauth_required(ea, "/api/index"));
    ck_assert(!easyauth_required(ea, "/api/index/app.js"));
    ck_assert(!easyauth_required(ea, "/.auth/login/dev"));
    /* what is not served locally is refused, naming the field */
    ck_assert_int_eq(configure("{\"globalValidation\":{\"requireAuthentication"
                               "\":true,\"unauthenticatedClientAction\":"
                               "\"RedirectToLoginPage\"}}",
                               err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "unauthenticatedClientAction"));
    ck_assert_int_eq(configure("{\"globalValidation\":{\"requireAuthentication"
                               "\":\"yes\"}}",
                               err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "requireAuthentication"));
    struct easyauth *fresh = easyauth_new("k", 1);
    struct easyauth *keep = ea;
    ea = fresh;
    ck_assert_int_eq(configure("{\"globalValidation\":{\"requireAuthentication"
                               "\":true,\"excludedPaths\":[\"api\"]}}",
                               err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "excludedPaths[0]"));
    ea = keep;
    easyauth_free(fresh);
}
END_TEST

Suite *easyauth_suite(void)
{
    Suite *s = suite_create("easyauth");
    TCase *tc = tcase_create("easyauth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_a_session_names_its_user_until_it_expires);
    tcase_add_test(tc, test_a_forged_or_edited_cookie_is_nobody);
    tcase_add_test(tc, test_login_refuses_bad_names_and_foreign_redirects);
    tcase_add_test(tc, test_me_and_logout);
    tcase_add_test(tc, test_principal_headers_as_app_service_sets_them);
    tcase_add_test(tc, test_required_paths_follow_the_file_based_settings);
    suite_add_tcase(s, tc);
    return s;
}
