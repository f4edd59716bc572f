/* keys.c - function keys in the host's file-based secrets (see keys.h). */
#include "keys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "payload.h"
#include "util/clock.h"
#include "util/jsonfile.h"
#include "util/jsonx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define KEY_BYTES 40 /* as the host's generated secrets */
#define RELOAD_MIN_MS                                                          \
    1000 /* a failing key reads the files at most this often */

const char *keys_presented(const char *header, const char *query_code)
{
    return header ? header : query_code;
}

/* --- the secrets, as read ---------------------------------------------- */

struct key {
    char *name;
    char *value;
};

struct keyset {
    struct key *v;
    size_t n;
};

struct fnkeys {
    char *fn; /* lower case, as the file name */
    struct keyset ks;
};

struct secrets {
    char *master;
    struct keyset host_fn; /* functionKeys */
    struct keyset system;  /* systemKeys */
    struct fnkeys *fns;
    size_t nfns;
};

struct keys {
    char *dir;
    pthread_mutex_t lock;
    struct secrets s;
    long long loaded_ms;
};

static void keyset_release(struct keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->v[i].name);
        OPENSSL_clear_free(ks->v[i].value, strlen(ks->v[i].value));
    }
    free(ks->v);
    *ks = (struct keyset){0};
}

static void secrets_release(struct secrets *s)
{
    if (s->master)
        OPENSSL_clear_free(s->master, strlen(s->master));
    keyset_release(&s->host_fn);
    keyset_release(&s->system);
    for (size_t i = 0; i < s->nfns; i++) {
        free(s->fns[i].fn);
        keyset_release(&s->fns[i].ks);
    }
    free(s->fns);
    *s = (struct secrets){0};
}

/* A new key value: KEY_BYTES random bytes in URL-safe base64, padding
 * kept, as the host writes them. */
static char *new_value(void)
{
    unsigned char raw[KEY_BYTES];
    char out[4 * ((KEY_BYTES + 2) / 3) + 1];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort(); /* no randomness: nothing safe to hand out */
    EVP_EncodeBlock((unsigned char *)out, raw, sizeof raw);
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    OPENSSL_cleanse(raw, sizeof raw);
    return xstrdup(out);
}

static struct json_object *key_object(const char *name)
{
    struct json_object *k = json_object_new_object();
    char *v = new_value();
    json_object_object_add(k, "name", json_object_new_string(name));
    json_object_object_add(k, "value", json_object_new_string(v));
    json_object_object_add(k, "encrypted", json_object_new_boolean(0));
    OPENSSL_clear_free(v, strlen(v));
    return k;
}

static struct json_object *default_keys(void)
{
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, key_object("default"));
    return a;
}

/* What every secrets file carries besides its keys. */
static void add_common(struct json_object *o)
{
    char id[37];
    payload_guid(id);
    json_object_object_add(o, "hostName", json_object_new_string("localhost"));
    json_object_object_add(o, "instanceId", json_object_new_string(id));
    json_object_object_add(o, "source", json_object_new_string("runtime"));
    json_object_object_add(o, "decryptionKeyId", json_object_new_string(""));
}

/* Write o to path unless path exists (another host may be creating it at
 * the same time: the first link wins, the loser reads the winner's). */
static int create_file(const char *path, struct json_object *o, char *err,
                       size_t errlen)
{
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    const char *text = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        size_t n = strlen(text);
        int ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
        ok = fsync(fd) == 0 && ok;
        close(fd);
        if (ok && (link(tmp, path) == 0 || errno == EEXIST))
            rc = 0;
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: cannot write it: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return rc;
}

/* Read one array of {name, value, encrypted} into ks. */
static int read_keyset(const char *path, const char *field,
                       struct json_object *arr, struct keyset *ks, char *err,
                       size_t errlen)
{
    if (!arr)
        return 0;
    if (!json_object_is_type(arr, json_type_array)) {
        snprintf(err, errlen, "%s: %s: must be an array", path, field);
        return -1;
    }
    size_t n = json_object_array_length(arr);
    ks->v = xcalloc(n ? n : 1, sizeof *ks->v);
    for (size_t i = 0; i < n; i++) {
        struct json_object *k = json_object_array_get_idx(arr, i);
        const char *name = jsonx_str(k, "name");
        const char *value = jsonx_str(k, "value");
        struct json_object *enc = jsonx_get_ci(k, "encrypted");
        if (!name || !value || !*value) {
            snprintf(err, errlen, "%s: %s[%zu]: needs a name and a value", path,
                     field, i);
            return -1;
        }
        if (enc && json_object_get_boolean(enc)) {
            snprintf(err, errlen,
                     "%s: %s[%zu]: encrypted keys need the platform's "
                     "decryption key; write the value in clear locally",
                     path, field, i);
            return -1;
        }
        ks->v[ks->n].name = xstrdup(name);
        ks->v[ks->n].value = xstrdup(value);
        ks->n++;
    }
    return 0;
}

static int load_host(const char *dir, struct secrets *s, char *err,
                     size_t errlen)
{
    char *path = xasprintf("%s/host.json", dir);
    struct json_object *o = NULL;
    int rc = jsonfile_read(path, &o, err, errlen);
    if (rc == 1) {
        struct json_object *n = json_object_new_object();
        struct json_object *m = key_object("master");
        json_object_object_add(n, "masterKey", m);
        json_object_object_add(n, "functionKeys", default_keys());
        json_object_object_add(n, "systemKeys", json_object_new_array());
        add_common(n);
        rc = create_file(path, n, err, errlen);
        json_object_put(n);
        if (rc == 0)
            rc = jsonfile_read(path, &o, err, errlen);
    }
    if (rc == 0) {
        const char *master = jsonx_str(jsonx_get_ci(o, "masterKey"), "value");
        if (!master || !*master) {
            snprintf(err, errlen, "%s: masterKey.value: missing", path);
            rc = -1;
        } else if (json_object_get_boolean(jsonx_get_ci(
                       jsonx_get_ci(o, "masterKey"), "encrypted"))) {
            snprintf(err, errlen,
                     "%s: masterKey: encrypted keys are not "
                     "supported locally",
                     path);
            rc = -1;
        } else {
            s->master = xstrdup(master);
            rc = read_keyset(path, "functionKeys",
                             jsonx_get_ci(o, "functionKeys"), &s->host_fn, err,
                             errlen);
            if (rc == 0)
                rc = read_keyset(path, "systemKeys",
                                 jsonx_get_ci(o, "systemKeys"), &s->system, err,
                                 errlen);
        }
    } else if (rc == 1) {
        snprintf(err, errlen, "%s: missing after it was written", path);
        rc = -1;
    }
    json_object_put(o);
    free(path);
    return rc;
}

static int load_function(const char *dir, const char *fn, struct fnkeys *f,
                         char *err, size_t errlen)
{
    f->fn = xstrdup(fn);
    for (char *p = f->fn; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *path = xasprintf("%s/%s.json", dir, f->fn);
    struct json_object *o = NULL;
    int rc = jsonfile_read(path, &o, err, errlen);
    if (rc == 1) {
        struct json_object *n = json_object_new_object();
        json_object_object_add(n, "keys", default_keys());
        add_common(n);
        rc = create_file(path, n, err, errlen);
        json_object_put(n);
        if (rc == 0 && (rc = jsonfile_read(path, &o, err, errlen)) == 1) {
            snprintf(err, errlen, "%s: missing after it was written", path);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = read_keyset(path, "keys", jsonx_get_ci(o, "keys"), &f->ks, err,
                         errlen);
    json_object_put(o);
    free(path);
    return rc;
}

/* mkdir -p dir, the folders it makes 0700. */
static int make_dirs(const char *dir)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1; rc == 0 && *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

static int load_all(const char *dir, const char *const *fns, size_t nfns,
                    struct secrets *s, char *err, size_t errlen)
{
    if (make_dirs(dir) < 0) {
        snprintf(err, errlen, "%s: cannot create the secrets folder: %s", dir,
                 strerror(errno));
        return -1;
    }
    if (load_host(dir, s, err, errlen) < 0)
        return -1;
    s->fns = xcalloc(nfns ? nfns : 1, sizeof *s->fns);
    for (size_t i = 0; i < nfns; i++, s->nfns++)
        if (load_function(dir, fns[i], &s->fns[i], err, errlen) < 0) {
            s->nfns++;
            return -1;
        }
    return 0;
}

struct keys *keys_open(const char *dir, const char *const *fns, size_t nfns,
                       char *err, size_t errlen)
{
    struct keys *k = xcalloc(1, sizeof *k);
    k->dir = xstrdup(dir);
    pthread_mutex_init(&k->lock, NULL);
    if (load_all(dir, fns, nfns, &k->s, err, errlen) < 0) {
        keys_free(k);
        return NULL;
    }
    k->loaded_ms = clock_mono_ms();
    return k;
}

void keys_free(struct keys *k)
{
    if (!k)
        return;
    secrets_release(&k->s);
    pthread_mutex_destroy(&k->lock);
    free(k->dir);
    free(k);
}

const char *keys_dir(const struct keys *k)
{
    return k->dir;
}

/* --- matching -------------------------------------------------------------
 */

static int same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static const char *in_set(const struct keyset *ks, const char *key)
{
    const char *hit = NULL;
    for (size_t i = 0; i < ks->n; i++)
        if (same(ks->v[i].value, key) && !hit)
            hit = ks->v[i].name;
    return hit;
}

static const struct fnkeys *find_fn(const struct secrets *s, const char *fn)
{
    for (size_t i = 0; fn && i < s->nfns; i++)
        if (strcasecmp(s->fns[i].fn, fn) == 0)
            return &s->fns[i];
    return NULL;
}

/* The host's order: master, system keys, host function keys, the
 * function's own keys. */
static enum auth_level match(const struct secrets *s, const char *key,
                             const char *fn, const char **name)
{
    const struct fnkeys *f;
    if (same(s->master, key))
        return *name = "master", AUTH_ADMIN;
    if ((*name = in_set(&s->system, key)))
        return AUTH_SYSTEM;
    if ((*name = in_set(&s->host_fn, key)))
        return AUTH_FUNCTION;
    if ((f = find_fn(s, fn)) && (*name = in_set(&f->ks, key)))
        return AUTH_FUNCTION;
    return AUTH_ANONYMOUS;
}

/* Read the files again (a key added by hand), keeping the old secrets when
 * they no longer read. Under k->lock. */
static void reload(struct keys *k)
{
    long long now = clock_mono_ms();
    if (now - k->loaded_ms < RELOAD_MIN_MS)
        return;
    k->loaded_ms = now;
    const char **names = xcalloc(k->s.nfns ? k->s.nfns : 1, sizeof *names);
    for (size_t i = 0; i < k->s.nfns; i++)
        names[i] = k->s.fns[i].fn;
    struct secrets fresh = {0};
    char err[256];
    if (load_all(k->dir, names, k->s.nfns, &fresh, err, sizeof err) == 0) {
        secrets_release(&k->s);
        k->s = fresh;
    } else {
        secrets_release(&fresh);
    }
    free(names);
}

enum auth_level keys_match(struct keys *k, const char *key, const char *fn,
                           char *name, size_t namelen)
{
    if (name && namelen)
        *name = '\0';
    if (!key || !*key)
        return AUTH_ANONYMOUS;
    const char *hit = NULL;
    pthread_mutex_lock(&k->lock);
    enum auth_level l = match(&k->s, key, fn, &hit);
    if (l == AUTH_ANONYMOUS) {
        reload(k);
        l = match(&k->s, key, fn, &hit);
    }
    if (name && hit)
        snprintf(name, namelen, "%s", hit);
    pthread_mutex_unlock(&k->lock);
    return l;
}

char *keys_master(struct keys *k)
{
    pthread_mutex_lock(&k->lock);
    char *m = xstrdup(k->s.master);
    pthread_mutex_unlock(&k->lock);
    return m;
}

char *keys_function_default(struct keys *k, const char *fn)
{
    char *v = NULL;
    pthread_mutex_lock(&k->lock);
    const struct fnkeys *f = find_fn(&k->s, fn);
    for (size_t i = 0; f && i < f->ks.n && !v; i++)
        if (strcmp(f->ks.v[i].name, "default") == 0)
            v = xstrdup(f->ks.v[i].value);
    pthread_mutex_unlock(&k->lock);
    return v;
}
