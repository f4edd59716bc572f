/*
 * fixture_exe.c - needs-lib: an executable with an RPATH of $ORIGIN/lib that
 * needs libpubfix.so (fixture_lib.c). Never run by the tests, only listed by
 * the dynamic loader.
 */
int pubfix_answer(void);

int main(void)
{
    return pubfix_answer() == 42 ? 0 : 1;
}
