/*
 * check_bundle.c - the dist/ bundle scripts/publish.sh builds from the
 * published handler (build/publish/handler, linked by mk/publish.mk): its
 * layout, its glibc floor, its own --check, what .funcignore lets through,
 * and the proof that it runs where none of our libraries are installed: in
 * a root holding nothing but glibc, and in a Debian 12 minbase root made by
 * debootstrap (tests/publish/minbase-root.sh), it starts and answers the
 * shared broadcast vector.
 *
 * The roots need root (chroot, a private mount namespace for /proc, which
 * the loader reads to expand $ORIGIN); without it those tests say SKIP.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "integration/proc.h"
#include "publish/pubtest.h"
#include "runner.h"

#define PUBLISHED_HANDLER "build/publish/handler"
#define GLIBC_MAX "2.36" /* Debian 12, the Functions Linux images' base */
#define RUN_MS 60000
#define READY_MS 15000

static char tmp[1024];   /* holds dist/ and the glibc-only root */
static char dist[1100];   /* the bundle */
static char minbase[1024]; /* the cached minbase root, "" if none */
static char minbase_why[512];  /* why there is none */
static char inside[128];       /* the bundle's path inside the minbase root */

static void bundle_setup(void)
{
    char *out = NULL, *err = NULL;
    pubtest_tmpdir(tmp, sizeof tmp);
    snprintf(dist, sizeof dist, "%s/dist", tmp);
    const char *argv[] = {"/bin/bash", "scripts/publish.sh", PUBLISHED_HANDLER,
                          dist, NULL};
    int st = pubtest_run(argv, NULL, RUN_MS, &out, &err);
    ck_assert_msg(st == 0, "publish.sh failed (%d):\n%s%s", st, out, err);
    free(out);
    free(err);

    /* The minbase root: made once (a minute or two), then reused. */
    const char *mb[] = {"/bin/bash", "tests/publish/minbase-root.sh", NULL};
    st = pubtest_run(mb, NULL, 1000 * 1000, &out, &err);
    minbase[0] = '\0';
    if (st == 0)
        snprintf(minbase, sizeof minbase, "%.*s",
                 (int)strcspn(out, "\n"), out);
    else
        snprintf(minbase_why, sizeof minbase_why, "%.500s", err);
    snprintf(inside, sizeof inside, "/tmp/signalr-c-bundle.%d",
             (int)getpid());
    free(out);
    free(err);
}

static void bundle_teardown(void)
{
    char p[PATH_MAX + 128];
    if (minbase[0]) {
        snprintf(p, sizeof p, "%s%s", minbase, inside);
        pubtest_rmtree(p);
    }
    pubtest_rmtree(tmp);
}

/* Run a shell command line (with "$1".. = args) to completion. */
static int sh(const char *script, const char *a1, const char *a2, char **out)
{
    char *err = NULL;
    const char *argv[] = {"/bin/sh", "-c", script, "sh", a1, a2, NULL};
    int st = pubtest_run(argv, NULL, RUN_MS, out, &err);
    free(err);
    return st;
}

static void assert_file(const char *rel, mode_t want_bits)
{
    char p[PATH_MAX + 64];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dist, rel);
    ck_assert_msg(stat(p, &st) == 0, "dist/%s is missing", rel);
    ck_assert_msg((st.st_mode & want_bits) == want_bits,
                  "dist/%s has mode %04o", rel, st.st_mode & 07777);
}

static void assert_absent(const char *rel)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dist, rel);
    ck_assert_msg(access(p, F_OK) != 0, "dist/%s should not be shipped", rel);
}

START_TEST(test_bundle_layout)
{
    char *out = NULL;
    assert_file("host.json", 0444);
    assert_file(".funcignore", 0444);
    /* Every function folder of the app, and nothing else at the top. */
    DIR *d = opendir(".");
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    unsigned nfn = 0;
    while ((e = readdir(d))) {
        char fj[NAME_MAX + 32];
        snprintf(fj, sizeof fj, "%s/function.json", e->d_name);
        if (e->d_name[0] != '.' && access(fj, R_OK) == 0) {
            assert_file(fj, 0444);
            nfn++;
        }
    }
    closedir(d);
    ck_assert_uint_ge(nfn, 6);
    assert_file("www/index.html", 0444);
    assert_file("www/lib/signalr.min.js", 0444);
    /* The bit the host needs to start it, as zip will carry it. */
    assert_file("bin/handler", 0755);
    assert_file("bin/lib/libmicrohttpd.so.12", 0444);
    assert_file("bin/lib/libjson-c.so.5", 0444);
    assert_file("bin/lib/libgnutls.so.30", 0444);
    assert_file("bin/lib/copyright/libmicrohttpd12", 0444);
    assert_file("bin/lib/copyright/libjson-c5", 0444);
    static const char *const never[] = {
        "src", "tests", "mk", "scripts", "docs", "bench", "node_modules",
        "build", "Makefile", "local.settings.json", "package.json",
        "bin/func-local", "bin/signalr-emulator", "bin/lib/libc.so.6",
        "bin/lib/libm.so.6", "bin/lib/ld-linux-x86-64.so.2"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        assert_absent(never[i]);
    /* The handler finds bin/lib through an RPATH relative to itself; the
     * libraries are the only copies of anything beyond glibc. */
    ck_assert_int_eq(sh("readelf -d \"$1/bin/handler\"", dist, NULL, &out), 0);
    ck_assert_msg(strstr(out, "(RPATH)") && strstr(out, "[$ORIGIN/lib]"),
                  "no RPATH $ORIGIN/lib:\n%s", out);
    free(out);
}
END_TEST

START_TEST(test_bundle_needs_no_newer_glibc_than_debian_12)
{
    char *out = NULL;
    ck_assert_int_eq(
        sh("for f in \"$1\"/bin/handler \"$1\"/bin/lib/*.so*; do "
           "objdump -T \"$f\" || exit 1; done | grep -o 'GLIBC_[0-9][0-9.]*' "
           "| sed 's/GLIBC_//' | sort -uV | tail -1",
           dist, NULL, &out),
        0);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_msg(*out, "no GLIBC symbol versions found");
    /* Compare as versions: 2.x with x <= 36. */
    ck_assert_msg(strncmp(out, "2.", 2) == 0 && strtol(out + 2, NULL, 10) <=
                                                   strtol(GLIBC_MAX + 2,
                                                          NULL, 10),
                  "the bundle needs GLIBC_%s, newer than %s", out, GLIBC_MAX);
    free(out);
}
END_TEST

START_TEST(test_bundle_passes_its_own_check)
{
    char *out = NULL, *err = NULL, *n = NULL;
    char exe[PATH_MAX + 32], expect[64];
    snprintf(exe, sizeof exe, "%s/bin/handler", dist);
    const char *argv[] = {exe, "--check", "--app", dist, NULL};
    const char *env[] = {"AzureSignalRConnectionString=",
                         "FUNCTIONS_APP_ROOT_PATH=", NULL};
    int st = pubtest_run(argv, env, RUN_MS, &out, &err);
    ck_assert_msg(st == 0, "exit %d:\n%s%s", st, out, err);
    /* Every library it needs beyond glibc comes from the bundle. */
    ck_assert_int_eq(sh("ls \"$1\"/bin/lib/*.so* | wc -l", dist, NULL, &n), 0);
    snprintf(expect, sizeof expect, "(%ld from the app folder)",
             strtol(n, NULL, 10));
    ck_assert_msg(strstr(out, expect) != NULL, "want %s:\n%s", expect, out);
    free(n);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_funcignore_ships_only_what_runs)
{
    /* Lay out the repository's files (tracked ones, plus what builds
     * produce) as empty files in a scratch git repository and ask git which
     * ones .funcignore (gitignore syntax, as func reads it) lets through. */
    char scratch[PATH_MAX], repo[PATH_MAX], *out = NULL;
    ck_assert_ptr_nonnull(realpath(".", repo));
    pubtest_tmpdir(scratch, sizeof scratch);
    ck_assert_int_eq(
        sh("set -e; cd \"$2\"; git init -q .; "
           "( cd \"$1\" && git -c safe.directory=\"$1\" ls-files; "
           "  printf '%s\\n' bin/handler bin/func-local bin/signalr-emulator "
           "  bin/lib/libjson-c.so.5 build/handler/main.o "
           "  build-san/bin/handler dist/host.json node_modules/ws/index.js "
           "  www/lib/signalr.min.js docs/deploy.md ) | sort -u | "
           "while read -r f; do mkdir -p \"$(dirname \"$f\")\"; : > \"$f\"; "
           "done; "
           "git ls-files --others --exclude-from=\"$1/.funcignore\" | sort",
           repo, scratch, &out),
        0);
    pubtest_rmtree(scratch);
    unsigned kept = 0;
    int host = 0, handler = 0, fn = 0, lib = 0, www = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), kept++) {
        size_t n = strlen(l);
        int is_fn = n > 14 && strcmp(l + n - 14, "/function.json") == 0 &&
                    strchr(l, '/') == l + n - 14;
        ck_assert_msg(strcmp(l, "host.json") == 0 ||
                          strcmp(l, "bin/handler") == 0 || is_fn ||
                          strncmp(l, "bin/lib/", 8) == 0 ||
                          strncmp(l, "www/", 4) == 0,
                      ".funcignore lets '%s' through", l);
        host |= strcmp(l, "host.json") == 0;
        handler |= strcmp(l, "bin/handler") == 0;
        fn += is_fn;
        lib |= strncmp(l, "bin/lib/", 8) == 0;
        www |= strcmp(l, "www/lib/signalr.min.js") == 0;
    }
    ck_assert(host && handler && lib && www);
    ck_assert_int_ge(fn, 6);
    free(out);
}
END_TEST

/* Start `chroot root cmd` in a private mount namespace with /proc mounted
 * (the loader reads /proc/self/exe to expand $ORIGIN; Azure has it). The
 * process dies with the test process, whatever happens to the test. */
static pid_t start_in_root(const char *root, const char *cmd, int port,
                           const char *approot, const char *log)
{
    char portenv[64], rootenv[256];
    snprintf(portenv, sizeof portenv, "%d", port);
    snprintf(rootenv, sizeof rootenv, "%s", approot);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("FUNCTIONS_CUSTOMHANDLER_PORT", portenv, 1);
        setenv("FUNCTIONS_APP_ROOT_PATH", rootenv, 1);
        unsetenv("AzureSignalRConnectionString");
        execl("/usr/bin/unshare", "unshare", "--mount", "--propagation",
              "private", "/bin/sh", "-c",
              "mount -t proc proc \"$1/proc\" && exec /usr/sbin/chroot "
              "\"$1\" \"$2\"",
              "sh", root, cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Replay the shared broadcast vector against a handler on port and compare
 * its Outputs with the expected ones. */
static void replay_broadcast(int port)
{
    char p[PATH_MAX];
    long status = 0;
    snprintf(p, sizeof p, "%s/broadcast-request.json",
             runner_data_dir());
    struct json_object *req = json_object_from_file(p);
    ck_assert_msg(req != NULL, "cannot read %s", p);
    snprintf(p, sizeof p, "%s/broadcast-expected-response.json",
             runner_data_dir());
    struct json_object *exp = json_object_from_file(p);
    ck_assert_msg(exp != NULL, "cannot read %s", p);
    char *body = pubtest_post(
        port,
        json_object_get_string(json_object_object_get(req, "path")),
        json_object_to_json_string_ext(json_object_object_get(req, "body"),
                                       JSON_C_TO_STRING_PLAIN),
        &status);
    ck_assert_int_eq(status, 200);
    struct json_object *got = json_tokener_parse(body);
    ck_assert_msg(got != NULL, "reply is not JSON: %s", body);
    struct json_object *want = json_object_object_get(
        json_object_object_get(exp, "body"), "Outputs");
    struct json_object *outs = json_object_object_get(got, "Outputs");
    ck_assert_msg(json_object_equal(
                      json_object_object_get(outs, "signalRMessages"),
                      json_object_object_get(want, "signalRMessages")),
                  "signalRMessages differ: %s", body);
    struct json_object *res = json_object_object_get(outs, "res");
    ck_assert_int_eq(
        json_object_get_int(json_object_object_get(res, "statusCode")), 200);
    struct json_object *rb = json_tokener_parse(
        json_object_get_string(json_object_object_get(res, "body")));
    ck_assert(json_object_get_boolean(json_object_object_get(rb, "sent")));
    ck_assert(json_object_is_type(json_object_object_get(got, "Logs"),
                                  json_type_array));
    json_object_put(rb);
    json_object_put(got);
    json_object_put(req);
    json_object_put(exp);
    free(body);
}

/* Start the bundle's handler inside root (at approot there), wait for it,
 * replay the vector, stop it. */
static void run_bundle_in(const char *root, const char *approot)
{
    char cmd[256], log[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "%s/bin/handler", approot);
    snprintf(log, sizeof log, "%s/handler-in-root.log", tmp);
    for (int attempt = 0; attempt < 3; attempt++) {
        int port = proc_free_port();
        pid_t pid = start_in_root(root, cmd, port, approot, log);
        int ready = proc_wait_http(port, READY_MS) == 0;
        if (ready)
            replay_broadcast(port);
        kill(pid, SIGTERM);
        int st = 0;
        for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) == 0; i++)
            usleep(10000);
        if (waitpid(pid, &st, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
        if (ready) {
            /* SIGTERM is a clean stop: exit 0. */
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                          "handler in %s did not stop cleanly", root);
            return;
        }
        char *l = runner_slurp(log, NULL);
        int port_taken = l && strstr(l, "already in use");
        ck_assert_msg(port_taken, "the bundled handler did not start in %s:\n%s",
                      root, l ? l : "");
        free(l);
    }
    ck_abort_msg("no free port after 3 attempts");
}

/* Root, and a kernel/container that lets us make a mount namespace and
 * mount /proc in it; otherwise say why the test is skipped. */
static int have_root(void)
{
    char probe[1200], *out = NULL;
    if (geteuid() != 0) {
        fprintf(stderr, "bundle: SKIP: chroot needs root\n");
        return 0;
    }
    snprintf(probe, sizeof probe, "%s/probe", tmp);
    pubtest_mkdirs(probe);
    int st = sh("unshare --mount --propagation private /bin/sh -c "
                "'mount -t proc proc \"$1\"' sh \"$1\" 2>&1",
                probe, NULL, &out);
    if (st != 0)
        fprintf(stderr, "bundle: SKIP: cannot mount /proc in a private mount "
                        "namespace here: %s\n",
                out);
    free(out);
    return st == 0;
}

START_TEST(test_bundle_answers_in_a_glibc_only_root)
{
    /* The strictest reading of "the image has glibc and nothing else": a
     * root holding only glibc's libraries (this machine's 2.36) and the
     * bundle. */
    if (!have_root())
        return;
    char root[PATH_MAX + 32], *out = NULL;
    snprintf(root, sizeof root, "%s/glibc-root", tmp);
    ck_assert_int_eq(
        sh("set -e; r=\"$1\"; mkdir -p \"$r/proc\" \"$r/lib64\" "
           "\"$r/lib/x86_64-linux-gnu\"; "
           "for l in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 "
           "librt.so.1 ld-linux-x86-64.so.2; do "
           "cp -L \"/lib/x86_64-linux-gnu/$l\" \"$r/lib/x86_64-linux-gnu/\"; "
           "done; ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "
           "\"$r/lib64/\"; cp -a \"$2\" \"$r/app\"; ls \"$r/lib/x86_64-linux-gnu\" | wc -l",
           root, dist, &out),
        0);
    ck_assert_int_eq(strtol(out, NULL, 10), 6);
    free(out);
    run_bundle_in(root, "/app");
}
END_TEST

START_TEST(test_bundle_answers_in_a_debian_12_minbase_root)
{
    if (!have_root())
        return;
    if (!minbase[0]) {
        fprintf(stderr, "bundle: SKIP: no Debian minbase root: %s\n",
                minbase_why);
        return;
    }
    char *out = NULL, app[PATH_MAX + 128];
    /* The root has none of our libraries and none of our -dev packages, so
     * only the bundle can supply them. */
    ck_assert_int_eq(sh("find -L \"$1/usr/lib\" \"$1/lib\" -maxdepth 3 "
                        "\\( -name 'libmicrohttpd.so*' -o -name "
                        "'libjson-c.so*' \\) 2>/dev/null; "
                        "dpkg-query --admindir=\"$1/var/lib/dpkg\" -W "
                        "-f '${Package}\\n' | grep -e '-dev$' -e microhttpd "
                        "-e json-c; true",
                        minbase, NULL, &out),
                     0);
    ck_assert_msg(*out == '\0', "the minbase root has our libraries:\n%s",
                  out);
    free(out);
    ck_assert_int_eq(sh("dpkg-query --admindir=\"$1/var/lib/dpkg\" -W "
                        "-f '${Version}' libc6",
                        minbase, NULL, &out),
                     0);
    ck_assert_msg(strncmp(out, "2.36", 4) == 0, "minbase libc6 is %s", out);
    free(out);

    snprintf(app, sizeof app, "%s%s", minbase, inside);
    pubtest_rmtree(app);
    ck_assert_int_eq(sh("cp -a \"$1\" \"$2\"", dist, app, NULL), 0);
    /* In the root, every library beyond glibc resolves from the bundle. */
    ck_assert_int_eq(
        sh("unshare --mount --propagation private /bin/sh -c "
           "'mount -t proc proc \"$1/proc\" && exec /usr/sbin/chroot \"$1\" "
           "/lib64/ld-linux-x86-64.so.2 --list \"$2/bin/handler\"' sh "
           "\"$1\" \"$2\"",
           minbase, inside, &out),
        0);
    unsigned bundled = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char name[128], path[PATH_MAX];
        if (sscanf(l, " %127s => %4095s", name, path) != 2)
            continue;
        if (strncmp(name, "libc.so", 7) == 0 ||
            strncmp(name, "libm.so", 7) == 0 ||
            strncmp(name, "libpthread.so", 13) == 0 ||
            strncmp(name, "libdl.so", 8) == 0 ||
            strncmp(name, "librt.so", 8) == 0)
            continue;
        ck_assert_msg(strncmp(path, inside, strlen(inside)) == 0,
                      "%s resolves outside the bundle: %s", name, path);
        bundled++;
    }
    ck_assert_uint_ge(bundled, 2);
    free(out);
    run_bundle_in(minbase, inside);
    pubtest_rmtree(app);
}
END_TEST

Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("dist");
    tcase_add_unchecked_fixture(tc, bundle_setup, bundle_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bundle_layout);
    tcase_add_test(tc, test_bundle_needs_no_newer_glibc_than_debian_12);
    tcase_add_test(tc, test_bundle_passes_its_own_check);
    tcase_add_test(tc, test_funcignore_ships_only_what_runs);
    tcase_add_test(tc, test_bundle_answers_in_a_glibc_only_root);
    tcase_add_test(tc, test_bundle_answers_in_a_debian_12_minbase_root);
    suite_add_tcase(s, tc);
    return s;
}
