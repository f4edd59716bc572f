/* pubtest.c - helpers of the publish tests (see pubtest.h). */
#include "publish/pubtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "integration/proc.h"
#include "runner.h"
#include "util/buf.h"

void pubtest_tmpdir(char *dir, size_t len)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, len, "%s/signalr-c-publish.XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    return remove(path);
}

void pubtest_rmtree(const char *dir)
{
    if (dir && *dir && access(dir, F_OK) == 0)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void pubtest_mkdirs(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p,
                  strerror(errno));
}

void pubtest_copy(const char *from, const char *to, mode_t mode)
{
    char chunk[65536];
    ssize_t n;
    int in = open(from, O_RDONLY);
    ck_assert_msg(in >= 0, "open %s: %s", from, strerror(errno));
    unlink(to);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(out >= 0, "create %s: %s", to, strerror(errno));
    while ((n = read(in, chunk, sizeof chunk)) > 0)
        ck_assert_int_eq(write(out, chunk, (size_t)n), n);
    ck_assert_int_eq(n, 0);
    close(in);
    ck_assert_int_eq(fchmod(out, mode), 0);
    ck_assert_int_eq(close(out), 0);
}

void pubtest_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "write %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

void pubtest_app_copy(char *dir, size_t len, const char *exe)
{
    char from[PATH_MAX], to[PATH_MAX];
    pubtest_tmpdir(dir, len);
    snprintf(to, sizeof to, "%s/host.json", dir);
    pubtest_copy("host.json", to, 0644);
    snprintf(to, sizeof to, "%s/local.settings.json", dir);
    pubtest_copy("local.settings.json", to, 0644);
    DIR *d = opendir(".");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        snprintf(from, sizeof from, "%s/function.json", e->d_name);
        if (e->d_name[0] == '.' || access(from, R_OK) != 0)
            continue;
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        pubtest_mkdirs(to);
        snprintf(to, sizeof to, "%s/%s/function.json", dir, e->d_name);
        pubtest_copy(from, to, 0644);
    }
    closedir(d);
    snprintf(to, sizeof to, "%s/bin", dir);
    pubtest_mkdirs(to);
    snprintf(to, sizeof to, "%s/bin/handler", dir);
    pubtest_copy(exe, to, 0755);
}

struct json_object *pubtest_json_load(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    struct json_object *v = json_object_from_file(p);
    ck_assert_msg(v != NULL, "cannot load %s", p);
    return v;
}

void pubtest_json_save(const char *dir, const char *rel, struct json_object *v)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    ck_assert_int_eq(
        json_object_to_file_ext(
            p, v, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
        0);
}

struct json_object *pubtest_binding(struct json_object *fj, const char *name)
{
    struct json_object *b = json_object_object_get(fj, "bindings");
    for (size_t i = 0; i < json_object_array_length(b); i++) {
        struct json_object *x = json_object_array_get_idx(b, i);
        const char *n =
            json_object_get_string(json_object_object_get(x, "name"));
        if (n && strcmp(n, name) == 0)
            return x;
    }
    return NULL;
}

int pubtest_run(const char *const argv[], const char *const env[],
                int timeout_ms, char **out, char **err)
{
    struct proc p;
    ck_assert_int_eq(proc_start(&p, argv, env), 0);
    int st = proc_wait(&p, timeout_ms);
    if (st < 0)
        proc_stop(&p, 2000);
    if (out)
        *out = proc_stdout(&p);
    if (err)
        *err = proc_stderr(&p);
    proc_release(&p);
    ck_assert_msg(st >= 0, "%s did not finish in %d ms", argv[0], timeout_ms);
    return st;
}

unsigned pubtest_count_lines(const char *text, const char *prefix)
{
    unsigned n = 0;
    size_t plen = strlen(prefix);
    for (const char *l = text; l && *l;) {
        if (strncmp(l, prefix, plen) == 0)
            n++;
        l = strchr(l, '\n');
        if (l)
            l++;
    }
    return n;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    return buf_append(ud, p, sz * n) < 0 ? 0 : sz * n;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t k = sz * n < u->left ? sz * n : u->left;
    memcpy(dst, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

char *pubtest_post(int port, const char *path, const char *body, long *status)
{
    char url[256];
    struct buf b;
    struct upload up = {body, strlen(body)};
    struct curl_slist *hs = NULL;
    buf_init(&b, 16u << 20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *h = curl_easy_init();
    hs = curl_slist_append(hs, "Transfer-Encoding: chunked");
    hs = curl_slist_append(hs, "Content-Type: application/json; charset=utf-8");
    hs = curl_slist_append(hs, "X-Azure-Functions-InvocationId: "
                               "7e57c0de-0000-4000-8000-000000000001");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    ck_assert_msg(rc == CURLE_OK, "POST %s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return buf_take(&b, NULL);
}
