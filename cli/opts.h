/* opts.h - one option syntax for every dett subcommand (getopt_long).
 *
 * A command declares its options once, as a table of opt_def; opts_next
 * walks argv with getopt_long and the same table prints the option lines
 * of the command's --help (opts_usage). What every command gets:
 *   --opt VALUE and --opt=VALUE; short options where the table has one
 *   (-o FILE, -oFILE); -h/--help (OPTS_HELP, the caller prints its usage to
 *   stdout and returns 0); positional arguments returned in order
 *   (OPTS_ARG), wherever they stand, and everything after "--";
 *   a bad option (unknown, missing value, value on a flag) as one message
 *   "CMD: unknown option '--x' (try 'dett CMD --help')" in e (OPTS_BAD,
 *   the caller reports it and returns 2).
 * getopt_long's state is global: one parse at a time, opts_begin resets it
 * (commands are called several times in one process by the tests).
 */
#ifndef DETT_OPTS_H
#define DETT_OPTS_H
#include "err.h"
#include <getopt.h>
#include <stdio.h>

/* one option; a table ends with a NULL name */
typedef struct {
    const char *name;     /* long name without "--" */
    int short_opt;        /* 'o' for -o, or 0 */
    const char *metavar;  /* "FILE": takes a value; NULL: a flag without one */
    const char *help;     /* text of --help (may hold '\n'); NULL: not listed */
    int id;               /* what opts_next returns for it (> 0) */
} opt_def;

enum { OPTS_DONE = 0, OPTS_ARG = -1, OPTS_HELP = -2, OPTS_BAD = -3 };

#define OPTS_MAX 64   /* options per command, --help included */

typedef struct {
    const char *cmd;            /* "run", "data synth": for messages */
    const opt_def *defs;
    int n, argc;
    char **argv;
    struct option lo[OPTS_MAX + 1];
    char shorts[3 * OPTS_MAX + 4];
    int after_dashes;           /* getopt ended: the rest are positional */
} opts_parser;

/* sets p up for argv[1..argc-1] (argv[0] is the command's name); -1 with a
 * message if the table is too long (a programming error) */
int opts_begin(opts_parser *p, const char *cmd, const opt_def *defs, int argc, char **argv,
               dett_err *e);
/* the next item: an option's id with its value in *val (NULL for a flag),
 * OPTS_ARG with the positional argument in *val, OPTS_HELP, OPTS_BAD (e
 * set) or OPTS_DONE at the end */
int opts_next(opts_parser *p, const char **val, dett_err *e);
/* the option lines of the table: "  -o, --output FILE   help", continuation
 * lines of help indented to the same column; -h, --help last */
void opts_usage(FILE *out, const opt_def *defs);
/* one such line, for a usage text that mixes its own lines in */
void opts_usage_line(FILE *out, const opt_def *d);
/* e's message for a bad value of an option (the caller's check failed):
 * "CMD: <e's message> (try 'dett CMD --help')" */
int opts_bad_value(const opts_parser *p, dett_err *e);

#endif
