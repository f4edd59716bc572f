/*
 * check_bundle.c - the dist/ bundle scripts/publish.sh builds from the
 * published handler (build/publish/handler, one static executable linked by
 * mk/publish.mk): its layout and licences, that every ELF file in it needs
 * glibc 2.31 at most (the static handler: none), that publish.sh refuses a
 * dynamic handler, the preflight (func-local --check) on it, what
 * .funcignore lets through, and the
 * proof that it runs where none of our libraries are installed: in an empty
 * root holding only the app folder, and at /home/site/wwwroot of bare
 * Debian 11 and Debian 12 minbase roots made by debootstrap
 * (tests/publish/minbase-root.sh), started as the host starts it, it
 * answers readiness and the negotiate, broadcast and timer vectors.
 *
 * The roots need root (chroot, a private mount namespace for /proc); without
 * it, or without a reachable Debian mirror, those tests say SKIP.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
#define GLIBC_FLOOR 31 /* 2.31: Debian 11, the oldest Functions image base */
#define APPROOT "/home/site/wwwroot" /* where Azure puts the app */
#define RUN_MS 60000
#define READY_MS 15000

static char tmp[1024];  /* holds dist/ and the empty root */
static char dist[1100]; /* the bundle */

/* The cached Debian minbase roots: path, or "" and why there is none. */
struct minbase {
    const char *suite;
    const char *libc; /* libc6's version there */
    char root[1024];
    char why[512];
};
static struct minbase roots[] = {{.suite = "bullseye", .libc = "2.31"},
                                 {.suite = "bookworm", .libc = "2.36"}};

static void bundle_setup(void)
{
    char *out = NULL, *err = NULL;
    pubtest_tmpdir(tmp, sizeof tmp);
    snprintf(dist, sizeof dist, "%s/dist", tmp);
    /* The roots first (made once, a minute or two each, then reused), so
     * that publish.sh starts the bundle in them too. */
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        const char *mb[] = {"/bin/bash", "tests/publish/minbase-root.sh",
                            roots[i].suite, NULL};
        int st = pubtest_run(mb, NULL, 1000 * 1000, &out, &err);
        roots[i].root[0] = '\0';
        if (st == 0)
            snprintf(roots[i].root, sizeof roots[i].root, "%.*s",
                     (int)strcspn(out, "\n"), out);
        else
            snprintf(roots[i].why, sizeof roots[i].why, "%.500s", err);
        free(out);
        free(err);
    }
    const char *argv[] = {"/bin/bash", "scripts/publish.sh", PUBLISHED_HANDLER,
                          dist, NULL};
    int st = pubtest_run(argv, NULL, RUN_MS, &out, &err);
    ck_assert_msg(st == 0, "publish.sh failed (%d):\n%s%s", st, out, err);
    free(out);
    free(err);
}

static void bundle_teardown(void)
{
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
    assert_file("host.json", 0444);
    assert_file("auth.json", 0444); /* App Service Authentication's settings */
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
    /* The licences of what the static handler links in. */
    assert_file("bin/copyright/libmicrohttpd", 0444);
    assert_file("bin/copyright/json-c", 0444);
    assert_file("bin/copyright/yajl", 0444);
    assert_file("bin/copyright/glibc", 0444);
    static const char *const never[] = {"src",
                                        "tests",
                                        "mk",
                                        "scripts",
                                        "docs",
                                        "bench",
                                        "node_modules",
                                        "build",
                                        "Makefile",
                                        "local.settings.json",
                                        "package.json",
                                        "bin/func-local",
                                        "bin/signalr-emulator",
                                        "bin/lib"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        assert_absent(never[i]);
}
END_TEST

START_TEST(test_bundle_handler_is_one_static_executable)
{
    char *out = NULL;
    /* No program interpreter and no dynamic section: nothing to load. */
    ck_assert_int_eq(sh("readelf -lW \"$1/bin/handler\"; readelf -dW "
                        "\"$1/bin/handler\"",
                        dist, NULL, &out),
                     0);
    ck_assert_msg(strstr(out, "Elf file type is EXEC") ||
                      strstr(out, "Elf file type is DYN"),
                  "not an executable:\n%s", out);
    ck_assert_msg(!strstr(out, "INTERP") && !strstr(out, "(NEEDED)"),
                  "bin/handler is dynamically linked:\n%s", out);
    free(out);
}
END_TEST

START_TEST(test_every_elf_file_needs_glibc_2_31_at_most)
{
    /* Every ELF file of the bundle, whatever it is, by its magic. */
    char *out = NULL;
    ck_assert_int_eq(
        sh("find \"$1\" -type f | while read -r f; do "
           "[ \"$(head -c 4 \"$f\" | od -An -c | tr -d ' ')\" = '177ELF' ] "
           "|| continue; echo \"ELF $f\"; readelf -W --dyn-syms \"$f\" | "
           "grep -o 'GLIBC_2\\.[0-9]*' | sort -u; done",
           dist, NULL, &out),
        0);
    unsigned elves = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "ELF ", 4) == 0) {
            elves++;
            continue;
        }
        ck_assert_msg(strncmp(l, "GLIBC_2.", 8) == 0, "unexpected: %s", l);
        ck_assert_msg(strtol(l + 8, NULL, 10) <= GLIBC_FLOOR,
                      "a file of the bundle needs %s, newer than Debian 11's "
                      "2.%d",
                      l, GLIBC_FLOOR);
    }
    ck_assert_uint_ge(elves, 1); /* the handler, at least */
    free(out);
}
END_TEST

START_TEST(test_publish_refuses_a_dynamic_handler)
{
    /* The development build is dynamic: it must never be shipped. */
    char out_dir[1200], exe[PATH_MAX], *out = NULL, *err = NULL;
    ck_assert_ptr_nonnull(realpath(proc_bin("handler"), exe));
    snprintf(out_dir, sizeof out_dir, "%s/dynamic-dist", tmp);
    const char *argv[] = {"/bin/bash", "scripts/publish.sh", exe, out_dir,
                          NULL};
    int st = pubtest_run(argv, NULL, RUN_MS, &out, &err);
    ck_assert_msg(st == 1, "publish.sh took a dynamic handler (%d):\n%s%s", st,
                  out, err);
    ck_assert_msg(strstr(err, "dynamically linked"), "%s", err);
    ck_assert_msg(access(out_dir, F_OK) != 0, "a refused bundle was left");
    free(out);
    free(err);
}
END_TEST

START_TEST(test_bundle_passes_the_preflight)
{
    char *out = NULL, *err = NULL;
    char exe[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(proc_bin("func-local"), exe));
    const char *argv[] = {exe, "--check", "--app", dist, NULL};
    const char *env[] = {
        "AzureSignalRConnectionString=", "FUNCTIONS_APP_ROOT_PATH=", NULL};
    int st = pubtest_run(argv, env, RUN_MS, &out, &err);
    ck_assert_msg(st == 0, "exit %d:\n%s%s", st, out, err);
    ck_assert_msg(strstr(out, " 0 failed"), "%s", out);
    /* The static handler describes its functions too. */
    ck_assert_msg(strstr(out, "ok   handler: describes its functions"), "%s",
                  out);
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
           "  bin/copyright/json-c build/handler/main.o "
           "  build-san/bin/handler dist/host.json node_modules/ws/index.js "
           "  www/lib/signalr.min.js docs/deploy.md ) | sort -u | "
           "while read -r f; do mkdir -p \"$(dirname \"$f\")\"; : > \"$f\"; "
           "done; "
           "git ls-files --others --exclude-from=\"$1/.funcignore\" | sort",
           repo, scratch, &out),
        0);
    pubtest_rmtree(scratch);
    unsigned kept = 0;
    int host = 0, auth = 0, handler = 0, fn = 0, licences = 0, www = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), kept++) {
        size_t n = strlen(l);
        int is_fn = n > 14 && strcmp(l + n - 14, "/function.json") == 0 &&
                    strchr(l, '/') == l + n - 14;
        ck_assert_msg(strcmp(l, "host.json") == 0 ||
                          strcmp(l, "auth.json") == 0 ||
                          strcmp(l, "bin/handler") == 0 || is_fn ||
                          strncmp(l, "bin/copyright/", 14) == 0 ||
                          strncmp(l, "www/", 4) == 0,
                      ".funcignore lets '%s' through", l);
        host |= strcmp(l, "host.json") == 0;
        auth |= strcmp(l, "auth.json") == 0;
        handler |= strcmp(l, "bin/handler") == 0;
        fn += is_fn;
        licences |= strncmp(l, "bin/copyright/", 14) == 0;
        www |= strcmp(l, "www/lib/signalr.min.js") == 0;
    }
    ck_assert(host && auth && handler && licences && www);
    ck_assert_int_ge(fn, 6);
    free(out);
}
END_TEST

/* Start the bundle's handler in root as the host starts it: a clean
 * environment with FUNCTIONS_CUSTOMHANDLER_PORT, the working directory at
 * the app root (approot inside root), through chroot. With proc, in a
 * private mount namespace with /proc mounted (Azure has it); the empty root
 * has nothing but the app, so no /proc. The process dies with the test
 * process, whatever happens to the test. */
static pid_t start_in_root(const char *root, const char *approot, int proc,
                           int port, const char *log)
{
    char portenv[64], start[512];
    snprintf(portenv, sizeof portenv, "FUNCTIONS_CUSTOMHANDLER_PORT=%d", port);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        char *const env[] = {(char *)"PATH=/usr/bin:/bin", portenv, NULL};
        if (!proc) /* the root is the app folder: cwd "/" is the app root */
            execle("/usr/sbin/chroot", "chroot", root, "/bin/handler",
                   (char *)NULL, env);
        snprintf(start, sizeof start,
                 "mount -t proc proc \"$1/proc\" && exec /usr/sbin/chroot "
                 "\"$1\" /bin/sh -c 'cd %s && exec ./bin/handler'",
                 approot);
        execle("/usr/bin/unshare", "unshare", "--mount", "--propagation",
               "private", "/bin/sh", "-c", start, "sh", root, (char *)NULL,
               env);
        _exit(127);
    }
    return pid;
}

/* Replay the request vector name against a handler on port; returns its
 * parsed reply (new reference) after checking status 200 and Logs. */
static struct json_object *replay(int port, const char *name)
{
    long status = 0;
    struct json_object *req = runner_vector(name);
    char *body = pubtest_post(
        port, json_object_get_string(json_object_object_get(req, "path")),
        json_object_to_json_string_ext(json_object_object_get(req, "body"),
                                       JSON_C_TO_STRING_PLAIN),
        &status);
    ck_assert_msg(status == 200, "%s: HTTP %ld: %s", name, status, body);
    struct json_object *got = json_tokener_parse(body);
    ck_assert_msg(got != NULL, "%s: reply is not JSON: %s", name, body);
    ck_assert(json_object_is_type(json_object_object_get(got, "Logs"),
                                  json_type_array));
    json_object_put(req);
    free(body);
    return got;
}

/* Outputs.field of a reply, or of an expected-response vector's body. */
static struct json_object *output(struct json_object *reply, const char *field)
{
    struct json_object *o = json_object_object_get(reply, "Outputs");
    if (!o) /* an expected-response vector: {status, headers, body} */
        o = json_object_object_get(json_object_object_get(reply, "body"),
                                   "Outputs");
    return json_object_object_get(o, field);
}

/* The negotiate, broadcast and timer vectors, as the host sends them. */
static void replay_vectors(int port)
{
    struct json_object *got = replay(port, "negotiate-request.json");
    struct json_object *exp = runner_vector("negotiate-expected-response.json");
    ck_assert_msg(json_object_equal(output(got, "res"), output(exp, "res")),
                  "negotiate: %s", json_object_to_json_string(got));
    json_object_put(got);
    json_object_put(exp);

    got = replay(port, "broadcast-request.json");
    exp = runner_vector("broadcast-expected-response.json");
    ck_assert_msg(json_object_equal(output(got, "signalRMessages"),
                                    output(exp, "signalRMessages")),
                  "broadcast: %s", json_object_to_json_string(got));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(
                         output(got, "res"), "statusCode")),
                     200);
    json_object_put(got);
    json_object_put(exp);

    got = replay(port, "timer-request.json");
    struct json_object *m =
        json_object_array_get_idx(output(got, "signalRMessages"), 0);
    ck_assert_str_eq(
        json_object_get_string(json_object_object_get(m, "target")),
        "statusUpdate");
    struct json_object *arg =
        json_object_array_get_idx(json_object_object_get(m, "arguments"), 0);
    ck_assert(json_object_is_type(json_object_object_get(arg, "timestamp"),
                                  json_type_string));
    /* The negotiation just before counts. */
    ck_assert_int_ge(
        json_object_get_int(json_object_object_get(arg, "activeUsers")), 1);
    json_object_put(got);
}

/* Start the bundle's handler in root, wait until it accepts connections
 * (the host's readiness), replay the vectors, stop it with SIGTERM. */
static void run_bundle_in(const char *root, const char *approot, int proc)
{
    char log[PATH_MAX + 32];
    snprintf(log, sizeof log, "%s/handler-in-root.log", tmp);
    for (int attempt = 0; attempt < 3; attempt++) {
        int port = proc_free_port();
        pid_t pid = start_in_root(root, approot, proc, port, log);
        int ready = proc_wait_http(port, READY_MS) == 0;
        if (ready)
            replay_vectors(port);
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
        ck_assert_msg(port_taken,
                      "the bundled handler did not start in %s:\n%s", root,
                      l ? l : "");
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
        fprintf(stderr,
                "bundle: SKIP: cannot mount /proc in a private mount "
                "namespace here: %s\n",
                out);
    free(out);
    return st == 0;
}

START_TEST(test_bundle_answers_in_an_empty_root)
{
    /* The strictest reading of "needs nothing from the image": a root that
     * holds only the app folder: no loader, no libc, no shell. */
    if (!have_root())
        return;
    char root[PATH_MAX + 32], *out = NULL;
    snprintf(root, sizeof root, "%s/empty-root", tmp);
    ck_assert_int_eq(sh("cp -a \"$2\" \"$1\" && find \"$1\" -type f | "
                        "grep -v -e '/function.json$' -e '/www/' -e "
                        "'/bin/copyright/' | sed \"s|^$1||\" | sort",
                        root, dist, &out),
                     0);
    ck_assert_str_eq(out,
                     "/.funcignore\n/auth.json\n/bin/handler\n/host.json\n");
    free(out);
    run_bundle_in(root, "/", 0);
}
END_TEST

/* The bundle at /home/site/wwwroot of a bare Debian minbase root. */
static void run_in_minbase(const struct minbase *mb)
{
    if (!have_root())
        return;
    if (!mb->root[0]) {
        fprintf(stderr, "bundle: SKIP: no Debian %s minbase root: %s\n",
                mb->suite, mb->why);
        return;
    }
    char *out = NULL, app[PATH_MAX + 128], lock[PATH_MAX + 16];
    /* The root has none of our libraries and none of our -dev packages, so
     * nothing but the bundle can supply them. */
    ck_assert_int_eq(sh("find -L \"$1/usr/lib\" \"$1/lib\" -maxdepth 3 "
                        "\\( -name 'libmicrohttpd.so*' -o -name "
                        "'libjson-c.so*' \\) 2>/dev/null; "
                        "dpkg-query --admindir=\"$1/var/lib/dpkg\" -W "
                        "-f '${Package}\\n' | grep -e '-dev$' -e microhttpd "
                        "-e json-c; true",
                        mb->root, NULL, &out),
                     0);
    ck_assert_msg(*out == '\0', "the %s root has our libraries:\n%s", mb->suite,
                  out);
    free(out);
    ck_assert_int_eq(sh("dpkg-query --admindir=\"$1/var/lib/dpkg\" -W "
                        "-f '${Version}' libc6",
                        mb->root, NULL, &out),
                     0);
    ck_assert_msg(strncmp(out, mb->libc, strlen(mb->libc)) == 0,
                  "%s libc6 is %s, not %s", mb->suite, out, mb->libc);
    free(out);

    /* One user of the root's wwwroot at a time (publish.sh uses it too). */
    snprintf(lock, sizeof lock, "%s.try.lock", mb->root);
    int lk = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_int_ge(lk, 0);
    ck_assert_int_eq(flock(lk, LOCK_EX), 0);
    snprintf(app, sizeof app, "%s" APPROOT, mb->root);
    pubtest_rmtree(app);
    ck_assert_int_eq(
        sh("mkdir -p \"$2\" && cp -a \"$1/.\" \"$2/\"", dist, app, NULL), 0);
    run_bundle_in(mb->root, APPROOT, 1);
    pubtest_rmtree(app);
    close(lk);
}

START_TEST(test_bundle_answers_in_a_debian_11_minbase_root)
{
    run_in_minbase(&roots[0]);
}
END_TEST

START_TEST(test_bundle_answers_in_a_debian_12_minbase_root)
{
    run_in_minbase(&roots[1]);
}
END_TEST

Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("dist");
    tcase_add_unchecked_fixture(tc, bundle_setup, bundle_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bundle_layout);
    tcase_add_test(tc, test_bundle_handler_is_one_static_executable);
    tcase_add_test(tc, test_every_elf_file_needs_glibc_2_31_at_most);
    tcase_add_test(tc, test_publish_refuses_a_dynamic_handler);
    tcase_add_test(tc, test_bundle_passes_the_preflight);
    tcase_add_test(tc, test_funcignore_ships_only_what_runs);
    tcase_add_test(tc, test_bundle_answers_in_an_empty_root);
    tcase_add_test(tc, test_bundle_answers_in_a_debian_11_minbase_root);
    tcase_add_test(tc, test_bundle_answers_in_a_debian_12_minbase_root);
    suite_add_tcase(s, tc);
    return s;
}
