/* init_teacher.h - a student that starts from its teacher's weights
 * (init = "teacher", the "initialise from the teacher" remedy of Cheng et
 * al., 2025).
 *
 * Layers are compared from the input, one by one: a layer matches when its
 * kind and every shape (input and output widths, image geometry, kernel,
 * parameter count) equal the teacher's layer at the same position. The copy
 * stops at the first layer that does not match: the layers after it see
 * other inputs than the teacher's did, so their weights would mean nothing
 * there even where the shapes agree by chance. A student of the teacher's
 * architecture therefore starts as the teacher, head included; a transplant
 * student (simkd, dett) gets the matching body layers, and keeps its fresh
 * projector unless the teacher has one of the same shape in the same place
 * (a teacher that is itself a transplant student of a chain).
 */
#ifndef DETT_INIT_TEACHER_H
#define DETT_INIT_TEACHER_H
#include "model.h"

typedef struct {
    int layers;       /* leading layers that match (parameter-free ones included) */
    int copied;       /* of them, the layers with parameters */
    size_t floats;    /* parameters copied */
    int first_miss;   /* index of the first layer that differs, -1: none */
} init_match;

/* how far student m's layers match teacher t's (shapes only; no values are
 * read or written); both built for the same data */
init_match init_teacher_match(const model *m, const model *t);
/* copies t's parameters into m's for the matching leading layers (the
 * values of t are its trained ones); returns what init_teacher_match says */
init_match init_teacher_copy(model *m, const model *t);
/* "dense 10->64" / "conv 3x14x14->8x14x14 k3" / "relu 64": layer l's shape,
 * for messages */
void init_layer_text(const layer *l, char *buf, size_t len);

#endif
