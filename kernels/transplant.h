/* transplant.h - DeTT / SimKD students: the teacher's last layer in the
 * student, frozen.
 *
 * model_transplant(student, teacher) takes a classifier built for the
 * student architecture and returns
 *     student body -> dense projector (student feat_dim -> teacher feat_dim)
 *                  -> a copy of the teacher's head, frozen
 * so that the new model's features (model.h: the head's input) are the
 * projected student features, matched to the teacher's features by a feature
 * loss, and its logits are the teacher's head applied to them.
 * The body keeps the student's parameter values; the projector is
 * initialised from (seed, stream); the head's parameters are copied from
 * the teacher. The student is consumed (its layers move, its head is freed)
 * whether or not the call succeeds; NULL on failure (the teacher's head is
 * not a dense layer, or out of memory).
 */
#ifndef DETT_TRANSPLANT_H
#define DETT_TRANSPLANT_H
#include "model.h"

model *model_transplant(model *student, const model *teacher, uint64_t seed,
                        uint64_t stream);

#endif
