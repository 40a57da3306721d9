/* cmd_report.c - `dett report`: the command-line wrapper of report_run. */
#include "cmd.h"
#include "report.h"
#include <stdio.h>

int cmd_report_main(int argc, char **argv)
{
    dett_err e = {{0}};
    int rc = report_run(stdout, argc, argv, &e);
    if (rc) fprintf(stderr, "dett: %s\n", e.msg);
    return rc;
}
