/* test_opts.c - cli/opts.c, the getopt_long table behind every subcommand:
 * --opt V and --opt=V, -oV, positional arguments in order wherever they
 * stand, "--", unambiguous prefixes, one-line messages for unknown options,
 * missing values and values on flags, and a second parse of another argv in
 * the same process (the tests call commands many times). */
#include "check.h"
#include "opts.h"
#include <string.h>

enum { O_OUT = 1, O_N, O_FORCE, O_FROM };

static const opt_def defs[] = {
    {"output", 'o', "FILE", "the file", O_OUT},
    {"n-train", 0, "N", "rows", O_N},
    {"force", 0, NULL, "a flag", O_FORCE},
    {"from", 0, "F", "another file", O_FROM},
    {NULL, 0, NULL, NULL, 0},
};

/* parses argv (NULL-terminated) and writes "id=val;" per item into out;
 * returns the last code (OPTS_DONE, OPTS_HELP or OPTS_BAD) */
static int walk(char **argv, char *out, size_t len, dett_err *e)
{
    int argc = 0, id;
    const char *v;
    opts_parser p;
    while (argv[argc]) argc++;
    out[0] = '\0';
    if (opts_begin(&p, "cmd", defs, argc, argv, e)) return OPTS_BAD;
    while ((id = opts_next(&p, &v, e)) != OPTS_DONE) {
        if (id == OPTS_BAD || id == OPTS_HELP) return id;
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%d=%s;", id, v ? v : "-");
    }
    return OPTS_DONE;
}

int main(void)
{
    char got[512];
    dett_err e = {{0}};
    char *a1[] = {"cmd", "pos1", "--output=x.h5", "--n-train", "5", "--force", "pos2",
                  "-oy.h5", "--from", "-negative", "--", "--force", NULL};
    EXPECT(walk(a1, got, sizeof got, &e) == OPTS_DONE, "%s", e.msg);
    EXPECT(!strcmp(got, "-1=pos1;1=x.h5;2=5;3=-;-1=pos2;1=y.h5;4=-negative;-1=--force;"),
           "got %s", got);
    /* argv is left in its order (no permutation) */
    EXPECT(!strcmp(a1[1], "pos1") && !strcmp(a1[6], "pos2"), "argv permuted");

    char *a2[] = {"cmd", "--n-tr=7", "--fo", NULL};   /* unambiguous prefixes */
    EXPECT(walk(a2, got, sizeof got, &e) == OPTS_DONE && !strcmp(got, "2=7;3=-;"), "got %s", got);

    char *a3[] = {"cmd", "--f", NULL};   /* ambiguous: force, from */
    EXPECT(walk(a3, got, sizeof got, &e) == OPTS_BAD, "--f accepted");
    EXPECT(strstr(e.msg, "cmd: unknown option '--f'") == e.msg, "%s", e.msg);

    char *a4[] = {"cmd", "x", "--bogus=1", NULL};
    EXPECT(walk(a4, got, sizeof got, &e) == OPTS_BAD, "--bogus accepted");
    EXPECT(!strcmp(e.msg, "cmd: unknown option '--bogus' (try 'dett cmd --help')"), "%s", e.msg);

    char *a5[] = {"cmd", "--n-train", NULL};
    EXPECT(walk(a5, got, sizeof got, &e) == OPTS_BAD, "missing value accepted");
    EXPECT(!strcmp(e.msg, "cmd: --n-train needs a value (N) (try 'dett cmd --help')"), "%s", e.msg);

    char *a6[] = {"cmd", "-o", NULL};
    EXPECT(walk(a6, got, sizeof got, &e) == OPTS_BAD && strstr(e.msg, "-o needs a value"),
           "%s", e.msg);

    char *a7[] = {"cmd", "--force=yes", NULL};
    EXPECT(walk(a7, got, sizeof got, &e) == OPTS_BAD && strstr(e.msg, "cmd: --force takes no value"),
           "%s", e.msg);

    char *a8[] = {"cmd", "-x", NULL};
    EXPECT(walk(a8, got, sizeof got, &e) == OPTS_BAD && strstr(e.msg, "unknown option '-x'"),
           "%s", e.msg);

    char *a9[] = {"cmd", "a", "-h", "--bogus", NULL};   /* help wins when it comes first */
    EXPECT(walk(a9, got, sizeof got, &e) == OPTS_HELP, "-h not seen");
    char *a10[] = {"cmd", "--help", NULL};
    EXPECT(walk(a10, got, sizeof got, &e) == OPTS_HELP, "--help not seen");

    /* a parse after a failed one starts afresh */
    char *a11[] = {"cmd", "--n-train", "9", NULL};
    EXPECT(walk(a11, got, sizeof got, &e) == OPTS_DONE && !strcmp(got, "2=9;"), "got %s", got);

    /* a value's own error: the command's prefix once, the hint once */
    opts_parser p = {.cmd = "cmd"};
    dett_fail(&e, "--n-train: 'x' is not an integer");
    opts_bad_value(&p, &e);
    EXPECT(!strcmp(e.msg, "cmd: --n-train: 'x' is not an integer (try 'dett cmd --help')"),
           "%s", e.msg);
    dett_fail(&e, "cmd: no script");
    opts_bad_value(&p, &e);
    EXPECT(!strcmp(e.msg, "cmd: no script (try 'dett cmd --help')"), "%s", e.msg);

    /* the usage lines come from the table, -h/--help last */
    FILE *f = tmpfile();
    EXPECT(f != NULL, "tmpfile");
    if (f) {
        opts_usage(f, defs);
        rewind(f);
        char text[1024] = "";
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        EXPECT(strstr(text, "  -o, --output FILE       the file\n") == text, "%s", text);
        EXPECT(strstr(text, "  --force                 a flag\n") != NULL, "%s", text);
        EXPECT(strstr(text, "  -h, --help              this text (to stdout)\n") != NULL, "%s", text);
    }
    return TEST_END();
}
