/*
 * fixture_lib.c - libpubfix.so, a library no system has: the executable
 * linked against it (fixture_exe.c) resolves only when bin/lib holds it,
 * which is the "missing library" case of `handler --check`.
 */
int pubfix_answer(void);

int pubfix_answer(void)
{
    return 42;
}
