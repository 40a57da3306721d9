/* opts.c - getopt_long behind one table per command (opts.h). */
#include "opts.h"
#include <string.h>

enum { ID_HELP = 0x7ffe };   /* the id of the -h/--help every table gets */

static const opt_def help_def = {"help", 'h', NULL, "this text (to stdout)", ID_HELP};

int opts_begin(opts_parser *p, const char *cmd, const opt_def *defs, int argc, char **argv,
               dett_err *e)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->defs = defs;
    p->argc = argc;
    p->argv = argv;
    while (defs[p->n].name) p->n++;
    if (p->n + 1 > OPTS_MAX)
        return dett_fail(e, "%s: %d options, more than OPTS_MAX", cmd, p->n);
    /* "-": positional arguments come back in order (code 1), whatever
     * POSIXLY_CORRECT says; ":": a missing value is ':' not '?' */
    size_t at = 0;
    p->shorts[at++] = '-';
    p->shorts[at++] = ':';
    for (int k = 0; k <= p->n; k++) {
        const opt_def *d = k < p->n ? &defs[k] : &help_def;
        p->lo[k] = (struct option){d->name, d->metavar ? required_argument : no_argument, NULL,
                                   k + 256};
        if (d->short_opt) {
            p->shorts[at++] = (char)d->short_opt;
            if (d->metavar) p->shorts[at++] = ':';
        }
    }
    p->shorts[at] = '\0';
    optind = 0;   /* glibc: a full reset, argv may be another one than last time */
    opterr = 0;   /* our messages, not getopt's */
    return 0;
}

/* the def with short option c, or -1 */
static int by_short(const opts_parser *p, int c)
{
    if (c == 'h') return p->n;
    for (int k = 0; k < p->n; k++)
        if (p->defs[k].short_opt == c) return k;
    return -1;
}

/* the text naming the option getopt refused: "-x" or the argument as given */
static void bad_name(const opts_parser *p, char *buf, size_t len)
{
    if (optopt > 0 && optopt < 256) {
        snprintf(buf, len, "-%c", optopt);
        return;
    }
    const char *a = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
    size_t n = strcspn(a, "=");
    snprintf(buf, len, "%.*s", (int)(n < 200 ? n : 200), a);
}

int opts_next(opts_parser *p, const char **val, dett_err *e)
{
    *val = NULL;
    if (p->after_dashes) {
        if (optind >= p->argc) return OPTS_DONE;
        *val = p->argv[optind++];
        return OPTS_ARG;
    }
    int idx = -1;
    int c = getopt_long(p->argc, p->argv, p->shorts, p->lo, &idx);
    if (c == -1) {   /* the end, or "--": what follows is positional */
        p->after_dashes = 1;
        return opts_next(p, val, e);
    }
    if (c == 1) {
        *val = optarg;
        return OPTS_ARG;
    }
    char name[256];
    if (c == '?' || c == ':') {
        bad_name(p, name, sizeof name);
        int k = c == ':' ? (optopt >= 256 ? optopt - 256 : by_short(p, optopt)) : -1;
        if (c == ':' && k >= 0)
            dett_fail(e, "%s: %s needs a value (%s)", p->cmd, name,
                      k < p->n ? p->defs[k].metavar : "?");
        else if (optopt >= 256)   /* a long flag given "=value" */
            dett_fail(e, "%s: %s takes no value", p->cmd, name);
        else
            dett_fail(e, "%s: unknown option '%s'", p->cmd, name);
        return opts_bad_value(p, e), OPTS_BAD;
    }
    int k = c >= 256 ? c - 256 : by_short(p, c);
    if (k < 0 || k > p->n) {
        dett_fail(e, "%s: unknown option '-%c'", p->cmd, c);
        return opts_bad_value(p, e), OPTS_BAD;
    }
    if (k == p->n) return OPTS_HELP;
    *val = optarg;
    return p->defs[k].id;
}

int opts_bad_value(const opts_parser *p, dett_err *e)
{
    if (!e) return -1;
    size_t n = strlen(p->cmd);
    if (strncmp(e->msg, p->cmd, n) != 0 || strncmp(e->msg + n, ": ", 2) != 0)
        dett_err_prefix(e, "%s", p->cmd);
    size_t len = strlen(e->msg);
    snprintf(e->msg + len, sizeof e->msg - len, " (try 'dett %s --help')", p->cmd);
    return -1;
}

void opts_usage_line(FILE *out, const opt_def *d)
{
    char head[128];
    char sh[8] = "";
    if (d->short_opt) snprintf(sh, sizeof sh, "-%c, ", d->short_opt);
    int w = snprintf(head, sizeof head, "  %s--%s%s%s", sh, d->name, d->metavar ? " " : "",
                     d->metavar ? d->metavar : "");
    const int col = 26;
    fprintf(out, "%s", head);
    const char *h = d->help;
    if (w >= col - 1) fprintf(out, "\n%*s", col, "");
    else fprintf(out, "%*s", col - w, "");
    while (*h) {
        size_t n = strcspn(h, "\n");
        fprintf(out, "%.*s\n", (int)n, h);
        h += n;
        if (*h == '\n' && h[1]) fprintf(out, "%*s", col, "");
        if (*h == '\n') h++;
    }
}

void opts_usage(FILE *out, const opt_def *defs)
{
    for (const opt_def *d = defs; d->name; d++)
        if (d->help) opts_usage_line(out, d);
    opts_usage_line(out, &help_def);
}
