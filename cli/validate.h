/* validate.h - every check a grid can get without training, in one place:
 * `dett check` and `dett run` both call validate_grid before anything else
 * happens (run: before the results file is touched).
 *
 * In order, stopping at the first failure:
 *  1. every data file the jobs name opens and has the expected format
 *     (dataset_open: layout, types, labels, no empty val/test group);
 *  1b. every external teacher file (`external "t.h5"`) has the teacher
 *     layout (runtime/io/teacher_file.h: types and shapes, named by
 *     dataset) and was made for its job's data: classes, row counts and the
 *     digest of the data file's labels; a mismatched pair is refused;
 *  2. each data file's content digest (runtime/io/digest.h) is mixed into
 *     the hash of every job that reads it, a teacher file's into its
 *     external teacher's (jobs_mix_data_digests);
 *  3. every job's model builds for its data: architecture against the data's
 *     shape (a cnn{} needs [n, c, h, w]), a transplant against its teacher;
 *  4. a teacher's inputs and classes match its students' data: teachers are
 *     evaluated on the student's rows, so a teacher trained on other
 *     features or classes is refused (it would read a parameter vector of
 *     another size);
 *  5. every Lua weighting function is called on a synthetic grid of every
 *     signal (losses 0 .. 30, correct or not, every class): an unknown
 *     signal name, an error, a non-number, or a negative, NaN or infinite
 *     weight is refused with the function's file:line.
 * Job-level messages start with the job's "file:line: jNNN:". What only
 * real data can show (a weighting function failing on some real row, a
 * diverging job) fails that job at run time instead.
 */
#ifndef DETT_VALIDATE_H
#define DETT_VALIDATE_H
#include "dsl.h"
#include "err.h"
#include <mpi.h>
#include <stdio.h>

/* Collective over comm (every rank with the same jobs). Updates the jobs'
 * canon and hashes (step 2). log: world rank 0 prints one line per data file
 * there ("data F: digest 0123456789ab (cached)" or "(hashed 12.3 MB in
 * 0.41 s)"); NULL for silence. Returns 0, or -1 on every rank with the
 * same message in e. */
int validate_grid(dsl *d, job_list *jobs, MPI_Comm comm, FILE *log, dett_err *e);

#endif
