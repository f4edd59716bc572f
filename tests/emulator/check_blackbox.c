/* check_blackbox.c - bin/signalr-emulator over real sockets: started on
 * port 0 (the port read from its stdout) with tests/integration/proc.h,
 * driven with libcurl, stopped with SIGTERM. Every wait is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "emulator_suites.h"
#include "integration/proc.h"
#include "proto/token.h"
#include "util/clock.h"
#include "util/jsonx.h"

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
#define WAIT_MS 5000

struct emu {
    struct proc p;
    int port;
    char first_line[512];
};

/* What the emulator printed on stdout once it holds needle, within
 * WAIT_MS (new string); what it printed so far otherwise. */
static char *stdout_until(const struct emu *e, const char *needle)
{
    char *out = proc_stdout(&e->p);
    for (long waited = 0; !strstr(out, needle) && waited < WAIT_MS;
         waited += 20) {
        clock_sleep_ms(20);
        free(out);
        out = proc_stdout(&e->p);
    }
    return out;
}

/* Start with up to four extra arguments (NULL-terminated early). */
static void emu_start4(struct emu *e, const char *a1, const char *a2,
                       const char *a3, const char *a4)
{
    const char *argv[] = {
        proc_bin("signalr-emulator"), "--port", "0", a1, a2, a3, a4, NULL};
    ck_assert_int_eq(proc_start(&e->p, argv, NULL), 0);
    char *out = stdout_until(e, "listening on ");
    ck_assert_msg(strstr(out, "listening on ") != NULL,
                  "emulator did not start: %s", out);
    const char *p = strstr(out, "Port=");
    ck_assert_ptr_nonnull(p);
    e->port = (int)strtol(p + 5, NULL, 10);
    ck_assert_int_gt(e->port, 0);
    snprintf(e->first_line, sizeof e->first_line, "%.*s",
             (int)strcspn(out, "\n"), out);
    free(out);
}

static void emu_start(struct emu *e, const char *a1, const char *a2)
{
    emu_start4(e, a1, a2, NULL, NULL);
}

/* SIGTERM; returns the exit status, or -1 when it did not exit in time. */
static int emu_stop(struct emu *e)
{
    int rc = proc_stop(&e->p, WAIT_MS);
    proc_release(&e->p);
    return rc;
}

/* Everything the emulator wrote to stderr so far. */
static void emu_stderr(struct emu *e, char *out, size_t cap)
{
    char *err = proc_stderr(&e->p);
    snprintf(out, cap, "%s", err);
    free(err);
}

struct resp {
    long status;
    char body[8192];
    size_t len;
    char error_code[128];
    char acao[256]; /* Access-Control-Allow-Origin */
    char acac[16];  /* Access-Control-Allow-Credentials */
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t take = sz * n;
    if (take > sizeof r->body - 1 - r->len)
        take = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, take);
    r->len += take;
    r->body[r->len] = '\0';
    return sz * n;
}

static void header_value(const char *line, size_t n, const char *name,
                         char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
        const char *v = line + nl + 1;
        while (*v == ' ')
            v++;
        snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
    }
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    header_value(p, sz * n, "x-ms-error-code", r->error_code,
                 sizeof r->error_code);
    header_value(p, sz * n, "Access-Control-Allow-Origin", r->acao,
                 sizeof r->acao);
    header_value(p, sz * n, "Access-Control-Allow-Credentials", r->acac,
                 sizeof r->acac);
    return sz * n;
}

/* One request; token may be NULL; hdr is one extra header or NULL. */
static void req(struct emu *e, const char *method, const char *path,
                const char *token, const char *body, size_t body_len,
                const char *hdr, struct resp *r)
{
    char url[2048], auth[5000];
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", e->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    if (hdr)
        h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
                  curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static char *mint(const char *aud, const char *user)
{
    char *t = NULL;
    ck_assert_int_eq(
        token_mint(KEY, aud, "nameid", user, (long)time(NULL), 3600, &t), 0);
    return t;
}

static struct json_object *json_of(const struct resp *r)
{
    struct json_object *o = NULL;
    char err[128];
    ck_assert_msg(jsonx_parse(r->body, r->len, &o, err, sizeof err) == 0,
                  "not JSON (%s): %s", err, r->body);
    return o;
}

static void assert_json_error(const struct resp *r)
{
    struct json_object *o = json_of(r);
    ck_assert_ptr_nonnull(jsonx_str(o, "error"));
    json_object_put(o);
}

START_TEST(test_start_prints_connection_string_and_stops_on_sigterm)
{
    struct emu e;
    emu_start(&e, NULL, NULL);
    char want[256];
    snprintf(want, sizeof want,
             "Endpoint=http://localhost;Port=%d;AccessKey=%s;Version=1.0;",
             e.port, KEY);
    ck_assert_str_eq(e.first_line, want);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_bad_option_and_port_in_use_exit_1)
{
    const char *argv[] = {proc_bin("signalr-emulator"), "--port", "x", NULL};
    struct proc p;
    ck_assert_int_eq(proc_start(&p, argv, NULL), 0);
    ck_assert_int_eq(proc_wait(&p, WAIT_MS), 1);
    proc_release(&p);
    struct emu e;
    emu_start(&e, NULL, NULL);
    char port[16];
    snprintf(port, sizeof port, "%d", e.port);
    const char *argv2[] = {proc_bin("signalr-emulator"), "--port", port, NULL};
    ck_assert_int_eq(proc_start(&p, argv2, NULL), 0);
    ck_assert_int_eq(proc_wait(&p, WAIT_MS), 1);
    char *err = proc_stderr(&p);
    ck_assert_ptr_nonnull(strstr(err, "cannot listen"));
    free(err);
    proc_release(&p);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_negotiate_v1_and_v0)
{
    struct emu e;
    struct resp r;
    emu_start(&e, NULL, NULL);
    char *tok = mint("http://localhost/client/?hub=chat", "alice");
    req(&e, "POST", "/client/negotiate?hub=Chat&negotiateVersion=1", tok, NULL,
        0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    struct json_object *o = json_of(&r);
    ck_assert_int_eq(json_object_get_int(jsonx_get_ci(o, "negotiateVersion")),
                     1);
    const char *id = jsonx_str(o, "connectionId");
    const char *ct = jsonx_str(o, "connectionToken");
    ck_assert_uint_eq(strlen(id), 22);
    ck_assert_uint_eq(strlen(ct), 22);
    ck_assert_str_ne(id, ct);
    ck_assert_uint_eq(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                                 "qrstuvwxyz0123456789-_"),
                      22);
    struct json_object *ts = jsonx_get_ci(o, "availableTransports");
    ck_assert_uint_eq(json_object_array_length(ts), 3);
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(ts, 0), "transport"),
                     "WebSockets");
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(ts, 1), "transport"),
                     "ServerSentEvents");
    ck_assert_str_eq(jsonx_str(json_object_array_get_idx(ts, 2), "transport"),
                     "LongPolling");
    json_object_put(o);
    req(&e, "POST", "/client/negotiate?hub=chat", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    o = json_of(&r);
    ck_assert_int_eq(jsonx_has_ci(o, "negotiateVersion"), 0);
    ck_assert_int_eq(jsonx_has_ci(o, "connectionToken"), 0);
    ck_assert_uint_eq(strlen(jsonx_str(o, "connectionId")), 22);
    json_object_put(o);
    /* An unknown id cannot connect. */
    req(&e, "GET", "/client/?hub=chat&id=AAAAAAAAAAAAAAAAAAAAAA", tok, NULL, 0,
        NULL, &r);
    ck_assert_int_eq(r.status, 404);
    assert_json_error(&r);
    free(tok);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_negotiate_refusals)
{
    struct emu e;
    struct resp r;
    emu_start(&e, NULL, NULL);
    req(&e, "POST", "/client/negotiate?hub=chat", NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    assert_json_error(&r);
    char *other = mint("http://localhost/client/?hub=other", NULL);
    req(&e, "POST", "/client/negotiate?hub=chat", other, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    assert_json_error(&r);
    free(other);
    char *tok = mint("http://localhost/client/?hub=1bad", NULL);
    req(&e, "POST", "/client/negotiate?hub=1bad", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    assert_json_error(&r);
    req(&e, "POST", "/client/negotiate", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    free(tok);
    /* Nothing of a token or the key reaches the log. */
    char err[16384] = "";
    emu_stderr(&e, err, sizeof err);
    ck_assert_ptr_null(strstr(err, "eyJ"));
    ck_assert_ptr_null(strstr(err, KEY));
    ck_assert_ptr_nonnull(strstr(err, "401"));
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_cors_preflight_echoes_origin)
{
    struct emu e;
    struct resp r;
    emu_start(&e, NULL, NULL);
    req(&e, "OPTIONS", "/client/negotiate?hub=chat&negotiateVersion=1", NULL,
        NULL, 0, "Origin: http://localhost:3000", &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(r.acao, "http://localhost:3000");
    ck_assert_str_eq(r.acac, "true");
    req(&e, "POST", "/client/negotiate?hub=chat", NULL, NULL, 0,
        "Origin: http://localhost:3000", &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(r.acao, "http://localhost:3000");
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_rest_errors_and_existence)
{
    struct emu e;
    struct resp r;
    emu_start(&e, NULL, NULL);
    req(&e, "GET", "/api/health", NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char *tok = mint("http://localhost/api/hubs/chat/:send?api-version="
                     "2022-06-01",
                     "server1");
    static const char ok[] = "{\"Target\":\"newMessage\",\"Arguments\":[1]}";
    req(&e, "POST", "/api/hubs/chat/:send?api-version=2022-06-01", tok, ok,
        sizeof ok - 1, NULL, &r);
    ck_assert_int_eq(r.status, 202);
    req(&e, "POST", "/api/hubs/chat/:send?api-version=2022-06-01", NULL, ok,
        sizeof ok - 1, NULL, &r);
    ck_assert_int_eq(r.status, 401);
    assert_json_error(&r);
    static const char nojson[] = "{\"target\":";
    req(&e, "POST", "/api/hubs/chat/:send", tok, nojson, sizeof nojson - 1,
        NULL, &r);
    ck_assert_int_eq(r.status, 400);
    assert_json_error(&r);
    static const char notarget[] = "{\"arguments\":[]}";
    req(&e, "POST", "/api/hubs/chat/:send", tok, notarget, sizeof notarget - 1,
        NULL, &r);
    ck_assert_int_eq(r.status, 400);
    size_t big = 1024 * 1024 + 10;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    req(&e, "POST", "/api/hubs/chat/:send", tok, huge, big, NULL, &r);
    ck_assert_int_eq(r.status, 413);
    assert_json_error(&r);
    free(huge);
    free(tok);
    tok = mint("http://localhost/api/hubs/chat/connections/nope", NULL);
    req(&e, "HEAD", "/api/hubs/chat/connections/nope", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_code, "Warning.Connection.NotExisted");
    req(&e, "PUT", "/api/hubs/chat/connections/nope/groups/g", NULL, NULL, 0,
        NULL, &r);
    ck_assert_int_eq(r.status, 401);
    free(tok);
    tok =
        mint("http://localhost/api/hubs/chat/groups/g/connections/nope", NULL);
    req(&e, "PUT", "/api/hubs/chat/groups/g/connections/nope", tok, NULL, 0,
        NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_code, "Error.Connection.NotExisted");
    free(tok);
    tok = mint("http://localhost/api/hubs/chat/users/u1/groups/g", NULL);
    req(&e, "HEAD", "/api/hubs/chat/users/u1/groups/g", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_code, "Info.User.NotInGroup");
    req(&e, "PUT", "/api/hubs/chat/users/u1/groups/g?ttl=60", tok, NULL, 0,
        NULL, &r);
    ck_assert_int_eq(r.status, 200);
    req(&e, "HEAD", "/api/hubs/chat/users/u1/groups/g", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    req(&e, "PUT", "/api/hubs/chat/users/u1/groups/g?ttl=x", tok, NULL, 0, NULL,
        &r);
    ck_assert_int_eq(r.status, 400);
    free(tok);
    req(&e, "GET", "/api/nothing", NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    assert_json_error(&r);
    req(&e, "GET", "/elsewhere", NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 404);
    /* Still serving after all that. */
    req(&e, "HEAD", "/api/v1/health", NULL, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

struct chunk_src {
    const char *p;
    size_t left;
};

static size_t read_chunk(char *out, size_t sz, size_t n, void *ud)
{
    struct chunk_src *c = ud;
    size_t take = c->left < 7 ? c->left : 7; /* small pieces */
    if (take > sz * n)
        take = sz * n;
    memcpy(out, c->p, take);
    c->p += take;
    c->left -= take;
    return take;
}

START_TEST(test_rest_accepts_chunked_body)
{
    struct emu e;
    emu_start(&e, NULL, NULL);
    char *tok = mint("http://localhost/api/hubs/chat/:send?api-version="
                     "2022-06-01",
                     "server1");
    static const char body[] = "{\"Target\":\"newMessage\",\"Arguments\":"
                               "[\"hello\",{\"n\":1}]}";
    struct chunk_src src = {body, sizeof body - 1};
    char url[256], auth[4200];
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/api/hubs/chat/:send?api-version=2022-06-01",
             e.port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    ck_assert_int_eq(status, 202);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(tok);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

START_TEST(test_secondary_key_accepted)
{
    struct emu e;
    struct resp r;
    emu_start4(&e, "--access-key", "primary-key-0123456789", "--access-key",
               KEY);
    /* The connection string carries the first key only. */
    ck_assert_ptr_nonnull(
        strstr(e.first_line, "AccessKey=primary-key-0123456789;"));
    ck_assert_ptr_null(strstr(e.first_line, KEY));
    char *tok = mint("http://localhost/client/?hub=chat", NULL);
    req(&e, "POST", "/client/negotiate?hub=chat", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 200); /* signed with the secondary key */
    free(tok);
    ck_assert_int_eq(emu_stop(&e), 0);
    emu_start(&e, "--access-key", "primary-key-0123456789");
    tok = mint("http://localhost/client/?hub=chat", NULL);
    req(&e, "POST", "/client/negotiate?hub=chat", tok, NULL, 0, NULL, &r);
    ck_assert_int_eq(r.status, 401); /* that key is not configured here */
    free(tok);
    ck_assert_int_eq(emu_stop(&e), 0);
}
END_TEST

Suite *blackbox_suite(void)
{
    Suite *s = suite_create("blackbox");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc,
                   test_start_prints_connection_string_and_stops_on_sigterm);
    tcase_add_test(tc, test_bad_option_and_port_in_use_exit_1);
    tcase_add_test(tc, test_negotiate_v1_and_v0);
    tcase_add_test(tc, test_negotiate_refusals);
    tcase_add_test(tc, test_cors_preflight_echoes_origin);
    tcase_add_test(tc, test_rest_errors_and_existence);
    tcase_add_test(tc, test_rest_accepts_chunked_body);
    tcase_add_test(tc, test_secondary_key_accepted);
    suite_add_tcase(s, tc);
    return s;
}
