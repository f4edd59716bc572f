/* check_token_ws.c - token and audience cases from the vectors
 * (jwt-client-token.txt, rest-publish.txt) as the emulator applies them,
 * and WebSocket frame building (src/emulator/ws.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "emulator/ws.h"
#include "emulator_suites.h"
#include "proto/token.h"
#include "runner.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define VEC_NOW 1700000100L /* inside the vectors' lifetime */

/* The n-th (0-based) HS256 token in a vector file; caller frees. */
static char *vector_token(const char *file, int n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/vectors-signalr/%s", runner_spec_dir(),
             file);
    char *text = runner_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    const char *p = text;
    char *tok = NULL;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.");
        ck_assert_ptr_nonnull(p);
        if (i < n)
            p++;
    }
    size_t len = strcspn(p, " \r\n");
    tok = strndup(p, len);
    free(text);
    return tok;
}

START_TEST(test_client_vector_signature_and_audience)
{
    char *tok = vector_token("jwt-client-token.txt", 0);
    const char *keys[] = {KEY};
    struct token_claims c;
    char err[200];
    ck_assert_int_eq(token_verify(tok, keys, 1, VEC_NOW, 300, &c, err,
                                  sizeof err), 0);
    ck_assert_str_eq(c.user_id, "user1");
    /* SDK form: no port in aud; the request has one. */
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/client/", "chat"), 1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/client/", "CHAT"), 1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/client/", "other"), 0);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/chat/:send", NULL), 0);
    token_claims_release(&c);
    free(tok);
}
END_TEST

START_TEST(test_client_vector_expired_tampered_wrong_key)
{
    char *tok = vector_token("jwt-client-token.txt", 0);
    const char *keys[] = {KEY};
    const char *wrong[] = {"not-the-key"};
    const char *two[] = {"not-the-key", KEY};
    struct token_claims c;
    char err[200];
    /* The vector's lifetime ended in 2023. */
    ck_assert_int_eq(token_verify(tok, keys, 1, 1800000000L, 300, &c, err,
                                  sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "eyJ"));
    ck_assert_int_eq(token_verify(tok, wrong, 1, VEC_NOW, 300, &c, err,
                                  sizeof err), -1);
    /* The secondary key is tried too. */
    ck_assert_int_eq(token_verify(tok, two, 2, VEC_NOW, 300, &c, err,
                                  sizeof err), 0);
    token_claims_release(&c);
    size_t n = strlen(tok);
    tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(token_verify(tok, keys, 1, VEC_NOW, 300, &c, err,
                                  sizeof err), -1);
    free(tok);
}
END_TEST

START_TEST(test_rest_vectors_sdk_and_docs_audiences)
{
    const char *keys[] = {KEY};
    struct token_claims c;
    char err[200];
    char *a = vector_token("rest-publish.txt", 0); /* SDK: query in aud */
    ck_assert_int_eq(token_verify(a, keys, 1, VEC_NOW, 300, &c, err,
                                  sizeof err), 0);
    ck_assert_str_eq(c.user_id, "server1");
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/chat/:send", NULL), 1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/hubs/other/:send", NULL), 0);
    token_claims_release(&c);
    free(a);
    char *b = vector_token("rest-publish.txt", 1); /* docs: port, no query */
    ck_assert_int_eq(token_verify(b, keys, 1, VEC_NOW, 300, &c, err,
                                  sizeof err), 0);
    ck_assert_ptr_null(c.user_id);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat", NULL), 1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat/", NULL), 1);
    ck_assert_int_eq(token_aud_match(c.aud, "http://localhost:8888",
                                     "/api/v1/hubs/chat/users/u", NULL), 0);
    token_claims_release(&c);
    free(b);
}
END_TEST

START_TEST(test_ws_frame_headers)
{
    struct msg *f = ws_frame_text("{}\x1e", 3);
    ck_assert_uint_eq(f->len, 5);
    ck_assert_int_eq((unsigned char)f->data[0], 0x81); /* FIN + text */
    ck_assert_int_eq((unsigned char)f->data[1], 3);    /* unmasked, len */
    ck_assert_int_eq(memcmp(f->data + 2, "{}\x1e", 3), 0);
    msg_unref(f);
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    f = ws_frame_text(big, 300);
    ck_assert_uint_eq(f->len, 304);
    ck_assert_int_eq((unsigned char)f->data[1], 126);
    ck_assert_int_eq(((unsigned char)f->data[2] << 8) |
                         (unsigned char)f->data[3], 300);
    msg_unref(f);
    f = ws_frame_text(big, 70000);
    ck_assert_uint_eq(f->len, 70010);
    ck_assert_int_eq((unsigned char)f->data[1], 127);
    msg_unref(f);
    free(big);
}
END_TEST

START_TEST(test_ws_accept_key_rfc6455)
{
    char out[32];
    /* RFC 6455 §1.3 example. */
    ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out,
                                   sizeof out), 0);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ck_assert_int_eq(ws_accept_key("short", out, sizeof out), -1);
    ck_assert_int_eq(ws_accept_key(NULL, out, sizeof out), -1);
}
END_TEST

Suite *token_vectors_suite(void)
{
    Suite *s = suite_create("token_vectors");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_client_vector_signature_and_audience);
    tcase_add_test(tc, test_client_vector_expired_tampered_wrong_key);
    tcase_add_test(tc, test_rest_vectors_sdk_and_docs_audiences);
    suite_add_tcase(s, tc);
    return s;
}

Suite *ws_suite(void)
{
    Suite *s = suite_create("ws");
    TCase *tc = tcase_create("frames");
    tcase_add_test(tc, test_ws_frame_headers);
    tcase_add_test(tc, test_ws_accept_key_rfc6455);
    suite_add_tcase(s, tc);
    return s;
}
