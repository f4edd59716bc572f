/* fuzz_cmdline.c - the host's command line (hdesc: %VAR% expansion, the
 * .NET split) and the forwarded query (forward_query), on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/forward.h"
#include "host/hdesc.h"

static const char *env(void *ctx, const char *name)
{
    (void)ctx;
    return strlen(name) % 2 ? "v a\"l%" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n;
    char **v = hdesc_split(s, &n);
    hdesc_free_argv(v);
    char *x = hdesc_expand(s, env, NULL);
    free(x);
    /* the same text as worker arguments and as a query "a=b&c" */
    struct hdesc d;
    memset(&d, 0, sizeof d);
    char *args[] = {s, NULL};
    d.args = args;
    d.nargs = 1;
    d.worker_path = s;
    hdesc_free_argv(hdesc_arguments(&d, env, NULL));
    struct payload_kv q[8];
    size_t nq = 0;
    for (char *p = s; p && nq < 8;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        q[nq].name = p;
        q[nq].value = eq ? eq + 1 : NULL;
        nq++;
        p = amp ? amp + 1 : NULL;
    }
    free(forward_query(q, nq));
    free(s);
    return 0;
}
