/* jobwork.h - how much work one epoch of a job is, in multiply-add
 * equivalents, for the ETA's cost model (eta.h, docs/progress.md).
 *
 * Per training row: M + KAPPA x A + COLUMN x T + LAMBDA, where M is the
 * multiply-adds of a forward pass through the job's model (dense in x out,
 * convolution OC OH OW C k k, plus FitNet's projector), A the activations it
 * touches (the input, every layer's output, the teacher's features or logits
 * that the method reads per row), T the teacher columns the rows carry
 * (logits, features: 0 to 2), and LAMBDA the per-row cost of sampling, the
 * row exchange and the loss. Backward and evaluation scale with
 * the same terms, so they are left in the calibration: the estimator
 * multiplies the work by seconds per unit measured on the jobs that ran.
 * The constants were fitted (least squares on relative error) to the per-epoch
 * times of the 11 classes of bench/eta_grid.lua on a 2-core VM: within 15 %
 * but for one noisy class; small models are dominated by per-row and
 * per-activation costs, not by FLOPs (FLOPs alone: -55 % to +28 %).
 */
#ifndef DETT_JOBWORK_H
#define DETT_JOBWORK_H
#include "results.h"

#define JOBWORK_KAPPA 10.0     /* one activation element, in multiply-adds */
#define JOBWORK_COLUMN 1500.0  /* one more per-row column (teacher logits or
                                  features) through the row exchange */
#define JOBWORK_LAMBDA 1100.0  /* one row's fixed cost, in multiply-adds */

/* the work of one epoch of a job: ji its layout (results_describe_model
 * filled its layers), teacher the layout of its teacher (NULL: none),
 * method_flags its method's MF_* flags. 0 when ji describes no model
 * (nothing to measure it by; the estimator then uses its class means). */
double jobwork_epoch(const results_jobinfo *ji, const results_jobinfo *teacher,
                     unsigned method_flags);

/* the epochs the ETA plans for a job of `epochs` training epochs whose
 * method has method_flags: its training epochs and nothing more. A DFR
 * refit (MF_DFR_REFIT) is not an epoch: it runs after the last one and is
 * measured as part of the job's tail (eta.h), so counting it as an epoch
 * would leave one epoch "remaining" while the refit already runs. */
int jobwork_epochs(int epochs, unsigned method_flags);

#endif
