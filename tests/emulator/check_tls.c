/* check_tls.c - bin/signalr-emulator with --tls-cert/--tls-key over real
 * sockets: the options refused with a clear line, HTTPS with a CA made for
 * the run by the openssl command (in a temporary folder, removed after),
 * the certificate checked by libcurl, a plain HTTP request on the TLS port
 * answered 400 while the emulator keeps serving. The real client over
 * WSS, SSE and long polling is tests/e2e/emulator-tls.test.mjs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "emulator_suites.h"
#include "integration/proc.h"
#include "util/clock.h"

#define WAIT_MS 10000
#define OPENSSL "/usr/bin/openssl"

static char dir[64];

static char *in_dir(const char *name)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

/* Run a command to its end; returns its exit status. */
static int run(const char *const argv[])
{
    struct proc p;
    ck_assert_int_eq(proc_start(&p, argv, NULL), 0);
    int rc = proc_wait(&p, WAIT_MS);
    proc_release(&p);
    return rc;
}

/* A CA, a localhost certificate it signed, and a key of nothing. */
static void make_certs(void)
{
    snprintf(dir, sizeof dir, "/tmp/check-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *ca[] = {OPENSSL,
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                        "-nodes",
                        "-keyout",
                        in_dir("ca.key"),
                        "-out",
                        in_dir("ca.pem"),
                        "-days",
                        "1",
                        "-subj",
                        "/CN=check_tls CA",
                        NULL};
    ck_assert_int_eq(run(ca), 0);
    const char *csr[] = {OPENSSL,
                         "req",
                         "-newkey",
                         "ec",
                         "-pkeyopt",
                         "ec_paramgen_curve:prime256v1",
                         "-nodes",
                         "-keyout",
                         in_dir("server.key"),
                         "-out",
                         in_dir("server.csr"),
                         "-subj",
                         "/CN=localhost",
                         NULL};
    ck_assert_int_eq(run(csr), 0);
    FILE *f = fopen(in_dir("server.ext"), "w");
    ck_assert_ptr_nonnull(f);
    fputs("subjectAltName=DNS:localhost,IP:127.0.0.1\n", f);
    fclose(f);
    const char *sign[] = {OPENSSL,
                          "x509",
                          "-req",
                          "-in",
                          in_dir("server.csr"),
                          "-CA",
                          in_dir("ca.pem"),
                          "-CAkey",
                          in_dir("ca.key"),
                          "-CAcreateserial",
                          "-out",
                          in_dir("server.pem"),
                          "-days",
                          "1",
                          "-extfile",
                          in_dir("server.ext"),
                          NULL};
    ck_assert_int_eq(run(sign), 0);
    const char *other[] = {
        OPENSSL, "genpkey",           "-algorithm",
        "ec",    "-pkeyopt",          "ec_paramgen_curve:prime256v1",
        "-out",  in_dir("other.key"), NULL};
    ck_assert_int_eq(run(other), 0);
}

static void remove_certs(void)
{
    static const char *const names[] = {
        "ca.key",     "ca.pem",     "ca.srl",     "server.key",
        "server.csr", "server.ext", "server.pem", "other.key"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(in_dir(names[i]));
    rmdir(dir);
}

/* The emulator with cert/key (either may be NULL: option left out) must
 * exit 1 with want in its stderr. */
static void refused(const char *cert, const char *key, const char *want)
{
    const char *argv[8] = {proc_bin("signalr-emulator"), "--port", "0"};
    int n = 3;
    if (cert) {
        argv[n++] = "--tls-cert";
        argv[n++] = cert;
    }
    if (key) {
        argv[n++] = "--tls-key";
        argv[n++] = key;
    }
    argv[n] = NULL;
    struct proc p;
    ck_assert_int_eq(proc_start(&p, argv, NULL), 0);
    ck_assert_int_eq(proc_wait(&p, WAIT_MS), 1);
    char *err = proc_stderr(&p);
    ck_assert_msg(strstr(err, want) != NULL, "want '%s' in: %s", want, err);
    free(err);
    proc_release(&p);
}

START_TEST(test_tls_options_refused_with_a_reason)
{
    make_certs();
    refused(in_dir("server.pem"), NULL, "--tls-cert and --tls-key go together");
    refused(NULL, in_dir("server.key"), "--tls-cert and --tls-key go together");
    refused(in_dir("missing.pem"), in_dir("server.key"),
            "--tls-cert: cannot load the certificate chain");
    refused(in_dir("server.pem"), in_dir("server.csr"),
            "--tls-key: cannot load the private key");
    refused(in_dir("server.pem"), in_dir("other.key"),
            "--tls-key is not the key of --tls-cert");
    remove_certs();
}
END_TEST

struct got {
    char body[4096];
    size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct got *g = ud;
    size_t take = sz * n;
    if (take > sizeof g->body - 1 - g->len)
        take = sizeof g->body - 1 - g->len;
    memcpy(g->body + g->len, p, take);
    g->len += take;
    g->body[g->len] = '\0';
    return sz * n;
}

/* GET url (ca: the CA file to trust, or NULL for the system's); returns
 * libcurl's result, the status in *status and the body in g. */
static CURLcode get(const char *url, const char *ca, long *status,
                    struct got *g)
{
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    memset(g, 0, sizeof *g);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, g);
    if (ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    return rc;
}

START_TEST(test_https_served_plain_http_answered_400)
{
    make_certs();
    const char *argv[] = {proc_bin("signalr-emulator"),
                          "--port",
                          "0",
                          "--tls-cert",
                          in_dir("server.pem"),
                          "--tls-key",
                          in_dir("server.key"),
                          NULL};
    struct proc p;
    ck_assert_int_eq(proc_start(&p, argv, NULL), 0);
    char *out = proc_stdout(&p);
    for (long w = 0; !strstr(out, "listening on") && w < WAIT_MS; w += 20) {
        clock_sleep_ms(20);
        free(out);
        out = proc_stdout(&p);
    }
    const char *ps = strstr(out, "Port=");
    ck_assert_msg(ps != NULL, "no connection string: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "Endpoint=https://localhost;Port="));
    ck_assert_ptr_nonnull(strstr(out, "listening on https://127.0.0.1:"));
    int port = (int)strtol(ps + 5, NULL, 10);
    free(out);

    char url[128];
    long status;
    struct got g;
    snprintf(url, sizeof url, "https://localhost:%d/api/health", port);
    ck_assert_int_eq(get(url, in_dir("ca.pem"), &status, &g), CURLE_OK);
    ck_assert_int_eq(status, 200);
    /* The system's CAs do not know the test CA. */
    ck_assert_int_eq(get(url, NULL, &status, &g),
                     CURLE_PEER_FAILED_VERIFICATION);
    snprintf(url, sizeof url, "http://localhost:%d/api/health", port);
    ck_assert_int_eq(get(url, NULL, &status, &g), CURLE_OK);
    ck_assert_int_eq(status, 400);
    ck_assert_ptr_nonnull(strstr(g.body, "this port speaks TLS"));
    snprintf(url, sizeof url, "https://localhost:%d/api/health", port);
    ck_assert_int_eq(get(url, in_dir("ca.pem"), &status, &g), CURLE_OK);
    ck_assert_int_eq(status, 200);

    ck_assert_int_eq(proc_stop(&p, WAIT_MS), 0);
    char *err = proc_stderr(&p);
    ck_assert_ptr_nonnull(strstr(err, "TLS: plain HTTP from 127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(err, "TLS: handshake with "));
    free(err);
    proc_release(&p);
    remove_certs();
}
END_TEST

Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tls_options_refused_with_a_reason);
    tcase_add_test(tc, test_https_served_plain_http_answered_400);
    suite_add_tcase(s, tc);
    return s;
}
