/* check_token.c - minting and verifying tokens; vectors from the spec. */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jwt.h>

#include "proto/token.h"
#include "util/jsonx.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define KEY2 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#define T0 1735689600L

/* vectors/signalr-connection-info-jwt.json */
static const char anon_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MzU2ODk2MDAsImV4cCI6MT"
    "czNTY5MzIwMCwiaWF0IjoxNzM1Njg5NjAwLCJhdWQiOiJodHRwOi8vbG9jYWxob3N0L2Ns"
    "aWVudC8_aHViPW5vdGlmaWNhdGlvbnMifQ.ib66afDCm_FWdV27AIGMKzU0W2cy2o11VBpR-"
    "xdlxY0";
static const char user_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhc3JzLnMudWlkIjoidXNlci0xMjMiLC"
    "JuYmYiOjE3MzU2ODk2MDAsImV4cCI6MTczNTY5MzIwMCwiaWF0IjoxNzM1Njg5NjAwLCJh"
    "dWQiOiJodHRwOi8vbG9jYWxob3N0L2NsaWVudC8_aHViPW5vdGlmaWNhdGlvbnMifQ.49rE"
    "odk0qaB74VUkULgtA9D_dSH856VUhiudgsLS6Bw";
/* vectors-signalr/jwt-client-token.txt (nameid user1, iat 1700000000) */
static const char nameid_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1laWQiOiJ1c2VyMSIsIm5iZiI6MT"
    "cwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3MDAwMDAwMDAsImF1ZCI6Imh0"
    "dHA6Ly9sb2NhbGhvc3QvY2xpZW50Lz9odWI9Y2hhdCJ9.GLpzQf5bOoSKaGo9K7Juqik9ba6"
    "AmmKpDfLK6kNhfnQ";

static const char *const one_key[] = {KEY};

static int verify(const char *tok, long now, struct token_claims *c,
                  char *err, size_t n)
{
    return token_verify(tok, one_key, 1, now, 300, c, err, n);
}

START_TEST(test_token_verifies_spec_vectors)
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
    ck_assert_int_eq(verify(nameid_token, 1700000100L, &c, err, sizeof err),
                     0);
    ck_assert_str_eq(c.user_id, "user1");
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
    ck_assert_int_eq(token_verify(anon_token, other, 1, T0, 300, &c, err,
                                  sizeof err),
                     -1);
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

Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_token_verifies_spec_vectors);
    tcase_add_test(tc, test_token_lifetime_is_enforced_with_skew);
    tcase_add_test(tc, test_token_refuses_tampering_wrong_key_and_none);
    tcase_add_test(tc, test_token_mint_roundtrip_and_second_key);
    tcase_add_test(tc, test_token_accepts_hs512_and_requires_exp);
    tcase_add_test(tc, test_token_audience_forms);
    suite_add_tcase(s, tc);
    return s;
}
