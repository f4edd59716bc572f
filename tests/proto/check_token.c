/* check_token.c - minting and verifying tokens, and the token vectors
 * (tests/vectors/signalr/tokens.txt, signalr-connection-info-jwt.json) as
 * the emulator and the local host apply them. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jwt.h>

#include "proto/token.h"
#include "runner.h"
#include "util/jsonx.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define KEY2 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#define T0 1735689600L

#define VEC_NOW 1700000100L /* inside the lifetime of signalr/tokens.txt */

/* The two client tokens of signalr-connection-info-jwt.json (hub
 * "notifications", issued at T0, anonymous and with user "user-123"), read
 * before each test. */
static char *anon_token;
static char *user_token;

static void load_tokens(void)
{
    struct json_object *v = runner_vector("signalr-connection-info-jwt.json");
    anon_token = strdup(jsonx_str(v, "accessToken"));
    user_token = strdup(
        jsonx_str(json_object_object_get(v, "withUserId"), "accessToken"));
    json_object_put(v);
    ck_assert(anon_token && user_token);
}

static void free_tokens(void)
{
    free(anon_token);
    free(user_token);
}

/* The token of the line "label: <token>" of signalr/tokens.txt; caller
 * frees. */
static char *vector_token(const char *label)
{
    char path[512], line[64];
    snprintf(path, sizeof path, "%s/signalr/tokens.txt", runner_data_dir());
    char *text = runner_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    snprintf(line, sizeof line, "\n%s: ", label);
    const char *p = strstr(text, line);
    ck_assert_msg(p != NULL, "no token %s in %s", label, path);
    p += strlen(line);
    char *tok = strndup(p, strcspn(p, " \r\n"));
    free(text);
    return tok;
}

static const char *const one_key[] = {KEY};

static int verify(const char *tok, long now, struct token_claims *c, char *err,
                  size_t n)
{
    return token_verify(tok, one_key, 1, now, 300, c, err, n);
}

START_TEST(test_token_verifies_the_binding_vectors)
{
    struct token_claims c;
    char err[200];
    ck_assert_int_eq(verify(anon_token, T0 + 60, &c, err, sizeof err), 0);
    ck_assert_ptr_null(c.user_id);
    ck_assert_str_eq(c.aud, "http://localhost/client/?hub=notifications");
    ck_assert_int_eq(c.exp, T0 + 3600);
    token_claims_release(&c);
    ck_assert_int_eq(verify(user_token, T0 + 60, &c, err, sizeof err), 0);
    ck_assert_str_eq(c.user_id, "user-123");
    token_claims_release(&c);
}
END_TEST

START_TEST(test_token_lifetime_is_enforced_with_skew)
{
    struct token_claims c;
    char err[200];
    ck_assert_int_eq(verify(anon_token, T0 + 3600 + 299, &c, err, sizeof err),
                     0);
    token_claims_release(&c);
    ck_assert_int_eq(verify(anon_token, T0 + 3600 + 301, &c, err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "expired"));
    ck_assert_int_eq(verify(anon_token, T0 - 301, &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not valid before"));
}
END_TEST

START_TEST(test_token_refuses_tampering_wrong_key_and_none)
{
    struct token_claims c;
    char err[200];
    char *t = strdup(anon_token);
    t[40] = t[40] == 'A' ? 'B' : 'A'; /* payload byte */
    ck_assert_int_eq(verify(t, T0, &c, err, sizeof err), -1);
    free(t);
    t = strdup(anon_token);
    size_t n = strlen(t);
    t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A'; /* signature byte */
    ck_assert_int_eq(verify(t, T0, &c, err, sizeof err), -1);
    free(t);
    static const char *const other[] = {"another-key"};
    ck_assert_int_eq(
        token_verify(anon_token, other, 1, T0, 300, &c, err, sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "another-key"));
    /* {"alg":"none","typ":"JWT"}.{"exp":9999999999,"aud":"x"}. */
    ck_assert_int_eq(verify("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                            "eyJleHAiOjk5OTk5OTk5OTksImF1ZCI6IngifQ.",
                            T0, &c, err, sizeof err),
                     -1);
    ck_assert_int_eq(verify("", T0, &c, err, sizeof err), -1);
    ck_assert_int_eq(verify("a.b", T0, &c, err, sizeof err), -1);
    ck_assert_int_eq(verify("a.b.c.d", T0, &c, err, sizeof err), -1);
    char *huge = malloc(5000);
    memset(huge, 'a', 4999);
    huge[4999] = '\0';
    ck_assert_int_eq(verify(huge, T0, &c, err, sizeof err), -1);
    free(huge);
}
END_TEST

START_TEST(test_token_mint_roundtrip_and_second_key)
{
    char *tok = NULL;
    struct token_claims c;
    char err[200];
    ck_assert_int_eq(token_mint(KEY2, "http://localhost/client/?hub=chat",
                                TOKEN_CLAIM_UID, "alice", T0, 3600, &tok),
                     0);
    ck_assert_int_eq(verify(tok, T0, &c, err, sizeof err), -1);
    static const char *const both[] = {KEY, KEY2};
    ck_assert_int_eq(token_verify(tok, both, 2, T0, 300, &c, err, sizeof err),
                     0);
    ck_assert_str_eq(c.user_id, "alice");
    ck_assert_int_eq(c.nbf, T0);
    ck_assert_int_eq(c.iat, T0);
    ck_assert_int_eq(c.exp, T0 + 3600);
    token_claims_release(&c);
    free(tok);
    /* An empty user id still yields the claim, as in the SDK. */
    ck_assert_int_eq(token_mint(KEY, "a", TOKEN_CLAIM_UID, "", T0, 60, &tok),
                     0);
    ck_assert_int_eq(verify(tok, T0, &c, err, sizeof err), 0);
    ck_assert_str_eq(c.user_id, "");
    token_claims_release(&c);
    free(tok);
}
END_TEST

START_TEST(test_token_accepts_hs512_and_requires_exp)
{
    jwt_t *j = NULL;
    struct token_claims c;
    char err[200];
    jwt_new(&j);
    jwt_add_grant(j, "aud", "http://localhost/client/?hub=chat");
    jwt_add_grant_int(j, "exp", T0 + 10);
    jwt_set_alg(j, JWT_ALG_HS512, (const unsigned char *)KEY, strlen(KEY));
    char *s = jwt_encode_str(j);
    ck_assert_int_eq(verify(s, T0, &c, err, sizeof err), 0);
    token_claims_release(&c);
    free(s);
    jwt_free(j);
    jwt_new(&j);
    jwt_add_grant(j, "aud", "x");
    jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)KEY, strlen(KEY));
    s = jwt_encode_str(j);
    ck_assert_int_eq(verify(s, T0, &c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "exp"));
    free(s);
    jwt_free(j);
}
END_TEST

START_TEST(test_token_audience_forms)
{
    /* SDK client form: no port, hub lower-cased. */
    ck_assert(token_aud_match("http://localhost/client/?hub=notifications",
                              "http://localhost:8888", "/client/",
                              "Notifications"));
    /* Docs form: with the port. */
    ck_assert(token_aud_match("http://localhost:8888/client/?hub=chat",
                              "http://localhost:8888", "/client", "chat"));
    ck_assert(!token_aud_match("http://localhost/client/?hub=chat",
                               "http://localhost:8888", "/client/", "other"));
    ck_assert(!token_aud_match("http://evil.example/client/?hub=chat",
                               "http://localhost:8888", "/client/", "chat"));
    ck_assert(!token_aud_match("http://localhost/client/", "http://localhost",
                               "/client/", "chat"));
    /* REST: SDK form keeps the query, docs form drops it and keeps the port. */
    ck_assert(token_aud_match(
        "http://localhost/api/hubs/chat/:send?api-version=2022-06-01",
        "http://localhost:8888", "/api/hubs/chat/:send", NULL));
    ck_assert(token_aud_match("http://localhost:8888/api/v1/hubs/chat",
                              "http://localhost:8888", "/api/v1/hubs/chat",
                              NULL));
    ck_assert(!token_aud_match("http://localhost/api/hubs/other/:send",
                               "http://localhost:8888", "/api/hubs/chat/:send",
                               NULL));
    ck_assert(!token_aud_match(NULL, "http://localhost", "/", NULL));
    ck_assert(!token_aud_match("not a url", "http://localhost", "/", NULL));
}
END_TEST

START_TEST(test_client_vector_signature_and_audience)
{
    char *tok = vector_token("client");
    const char *keys[] = {KEY};
    struct token_claims c;
    char err[200];
    ck_assert_int_eq(
        token_verify(tok, keys, 1, VEC_NOW, 300, &c, err, sizeof err), 0);
    ck_assert_str_eq(c.user_id, "user1");
    /* SDK form: no port in aud; the request has one. */
    ck_assert_int_eq(
        token_aud_match(c.aud, "http://localhost:8888", "/client/", "chat"), 1);
    ck_assert_int_eq(
        token_aud_match(c.aud, "http://localhost:8888", "/client/", "CHAT"), 1);
    ck_assert_int_eq(
        token_aud_match(c.aud, "http://localhost:8888", "/client/", "other"),
        0);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/chat/:send", NULL),
                     0);
    token_claims_release(&c);
    free(tok);
}
END_TEST

START_TEST(test_client_vector_expired_tampered_wrong_key)
{
    char *tok = vector_token("client");
    const char *keys[] = {KEY};
    const char *wrong[] = {"not-the-key"};
    const char *two[] = {"not-the-key", KEY};
    struct token_claims c;
    char err[200];
    /* The vector's lifetime ended in 2023. */
    ck_assert_int_eq(
        token_verify(tok, keys, 1, 1800000000L, 300, &c, err, sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "eyJ"));
    ck_assert_int_eq(
        token_verify(tok, wrong, 1, VEC_NOW, 300, &c, err, sizeof err), -1);
    /* The secondary key is tried too. */
    ck_assert_int_eq(
        token_verify(tok, two, 2, VEC_NOW, 300, &c, err, sizeof err), 0);
    token_claims_release(&c);
    size_t n = strlen(tok);
    tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(
        token_verify(tok, keys, 1, VEC_NOW, 300, &c, err, sizeof err), -1);
    free(tok);
}
END_TEST

START_TEST(test_rest_vectors_sdk_and_docs_audiences)
{
    const char *keys[] = {KEY};
    struct token_claims c;
    char err[200];
    char *a = vector_token("rest-sdk"); /* SDK: query in aud */
    ck_assert_int_eq(
        token_verify(a, keys, 1, VEC_NOW, 300, &c, err, sizeof err), 0);
    ck_assert_str_eq(c.user_id, "server1");
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/chat/:send", NULL),
                     1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/other/:send", NULL),
                     0);
    token_claims_release(&c);
    free(a);
    char *b = vector_token("rest-docs"); /* docs: port, no query */
    ck_assert_int_eq(
        token_verify(b, keys, 1, VEC_NOW, 300, &c, err, sizeof err), 0);
    ck_assert_ptr_null(c.user_id);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat", NULL),
                     1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat/", NULL),
                     1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat/users/u", NULL),
                     0);
    token_claims_release(&c);
    free(b);
}
END_TEST

Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, load_tokens, free_tokens);
    tcase_add_test(tc, test_token_verifies_the_binding_vectors);
    tcase_add_test(tc, test_token_lifetime_is_enforced_with_skew);
    tcase_add_test(tc, test_token_refuses_tampering_wrong_key_and_none);
    tcase_add_test(tc, test_token_mint_roundtrip_and_second_key);
    tcase_add_test(tc, test_token_accepts_hs512_and_requires_exp);
    tcase_add_test(tc, test_token_audience_forms);
    suite_add_tcase(s, tc);
    tc = tcase_create("vectors");
    tcase_add_test(tc, test_client_vector_signature_and_audience);
    tcase_add_test(tc, test_client_vector_expired_tampered_wrong_key);
    tcase_add_test(tc, test_rest_vectors_sdk_and_docs_audiences);
    suite_add_tcase(s, tc);
    return s;
}
