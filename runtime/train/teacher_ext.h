/* teacher_ext.h - a teacher trained elsewhere (`teacher = external "t.h5"`):
 * its head as a model, its outputs as a student's inputs, and its own job.
 *
 * An external teacher is a JOB_TRAIN job whose teacher_file is set. It
 * trains nothing: its "model" is the head, a linear classifier f -> C with
 * the file's W and b (runtime/io/teacher_file.h), which SimKD and DeTT
 * students take by the usual transplant; its job evaluates that head on the
 * file's val and test features (when it has them) so the report shows the
 * teacher's own accuracy, and stores the head as its params and artifact.
 * A student reads the features of its rank's training rows from the file
 * (each rank its own rows, serial HDF5) instead of running a teacher
 * network. Every function returns 0 or -1 with e set (NULL for models).
 */
#ifndef DETT_TEACHER_EXT_H
#define DETT_TEACHER_EXT_H
#include "groupdata.h"
#include "jobspec.h"
#include "model.h"
#include "teacher_file.h"
#include "train.h"

/* the head of the teacher file at path as a finalized linear classifier
 * (feat_dim -> n_classes, parameters loaded), checked against the data's
 * class count; NULL with a message */
model *teacher_ext_model(const char *path, const dataset_info *info, dett_err *e);

/* A student's inputs from the file: *t_feats [n, f] of this rank's training
 * rows (gd->train), *t_logits [n, C] = features W^T + b (head: from
 * teacher_ext_model), each row on its own so the values do not depend on the
 * group size; *test_feats [gd->eval[SPLIT_TEST].n, f] of this rank's test
 * share, or NULL if the file has no test features. The caller frees them
 * (also on failure: unset ones are NULL). */
int teacher_ext_inputs(const char *path, const groupdata *gd, const model *head,
                       float **t_logits, float **t_feats, float **test_feats, dett_err *e);

/* The external teacher's job: one row of curves (epoch 0) with the head's
 * per-group accuracy on the file's val and test features (NaN for a split
 * without them), every selection at epoch 0, params = the head. Collective
 * over comm (the counts are summed). res is filled; free it with
 * train_result_free. */
int teacher_ext_job(MPI_Comm comm, const job_spec *job, const groupdata *gd, train_result *res,
                    dett_err *e);

#endif
