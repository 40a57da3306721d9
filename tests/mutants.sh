#!/bin/bash
# tests/mutants.sh - mutation testing: each named mutant is a small edit of
# the source that breaks a method the way a plausible bug would; the script
# applies it to a scratch copy of the tree (never the tree itself), builds
# the tests mapped to it, runs them, and fails if any mutant survives (all
# its tests pass) or if a mutant's pattern no longer matches the source (a
# refactor must update the mutant, not silently disable it).
#
# usage: tests/mutants.sh [-k] [-o TABLE] [SRC [WORK]]
#   SRC   the tree to mutate (default: the git top level of this script)
#   WORK  scratch directory (default: $TMPDIR/dett-mutants-<uid>); the copy
#         and its build directory are reused by the next run (incremental)
#   -k    keep going after the first survivor (default: run every mutant anyway,
#         the exit status says whether any survived)
#   -o    also write the table to TABLE
#   MUTANTS="name1 name2"  runs only these mutants
# Exit 0: every mutant killed; 1: a survivor; 2: a mutant did not apply or
# compile, or the unmutated tests failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
table_out=
while getopts ko: opt; do
  case $opt in
    k) ;;
    o) table_out=$OPTARG ;;
    *) echo "usage: $0 [-o TABLE] [SRC [WORK]]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
src=${1:-$(git -C "$here" rev-parse --show-toplevel)}
work=${2:-${TMPDIR:-/tmp}/dett-mutants-$(id -u)}
jobs=${MUTANTS_JOBS:-2}
tree=$work/src
build=$work/build
orig=$work/orig
log=$work/log
die() { echo "mutants: $*" >&2; exit 2; }

# ---- the mutants: name | function applying it | tests that must kill it ----
# (ctest names, comma-separated) | optional: the targets that build them when
# those are not the tests' own names. A function that returns 77 skips its
# mutant (a tool its tests need is missing); the table says so.
# edit FILE lit FROM TO: replace the one occurrence of the literal FROM;
# edit FILE re REGEX TO: replace the one match of the Perl regex (\1.. in TO).
# Either fails the run unless its pattern matches exactly once.

m_dett_ignores_weights() {   # feature MSE (SimKD, DeTT) drops w_i in loss and gradient
  edit kernels/objective.c lit \
    'loss_mse(out->df, out->loss, in->f, in->tf, in->w, in->B, in->F, invN);
    return mean_part(in, out->loss);' \
    'loss_mse(out->df, out->loss, in->f, in->tf, (const float *)0, in->B, in->F, invN);
    double s = 0.0;
    for (int i = 0; i < in->B; i++) s += (double)out->loss[i] / in->N;
    return s;'
}
m_runner_drops_weights() {   # the job runner computes the weights but trains without
  edit runtime/train/jobrun.c lit 'train_inputs in = { .sample_w = x.sample_w,' 'train_inputs in = { .sample_w = NULL,'
}
m_error_set_inverted() {     # the identification job stores the rows it gets right
  edit runtime/train/jobrun.c lit 'err[i] = pred != gd->train.y[i];' 'err[i] = pred == gd->train.y[i];'
}
m_weights_inverted() {       # up goes to the rows outside the error set
  edit runtime/train/jobrun.c re '(sample_w\[i\]\s*=\s*err\[i\]\s*\?\s*)w->up\s*:\s*1\.0f;' '\11.0f : w->up;'
}
m_ident_uses_test_rows() {   # the error set compares with the test split's labels
  edit runtime/train/jobrun.c lit 'err[i] = pred != gd->train.y[i];' \
    'err[i] = pred != gd->eval[SPLIT_TEST].y[i % gd->eval[SPLIT_TEST].n];'
}
m_jtt_no_upsampling() {      # every row visited once: JTT's multiplicities are all 1
  edit runtime/train/jobrun.c re '(sample_rep\[i\]\s*=\s*)[^;]*;' '\11;'
}
m_kd_without_t2() {          # Hinton's T^2 dropped (consistently: loss and gradient)
  edit kernels/loss.c lit 'loss[i] = (float)(tau * tau * kl);' 'loss[i] = (float)kl;'
  edit kernels/loss.c lit '(w ? w[i] : 1.0f) * tau;' '(w ? w[i] : 1.0f) / tau;'
}
m_blk_pool_tie_order() {     # blocked 2x2 max pooling routes a tie's gradient to the wrong entry
  edit kernels/blocked.c lit '_mm_storeu_ps(dx + ia + L + h, g[1]);
                        _mm_storeu_ps(dx + ic + h, g[2]);' \
    '_mm_storeu_ps(dx + ia + L + h, g[2]);
                        _mm_storeu_ps(dx + ic + h, g[1]);'
}
m_relu_pool_mask_dropped() { # the fused ReLU + max pooling backward passes the gradient of all-zero windows
  edit kernels/win4_sse.h lit '    if (relu) v = _mm_and_ps(' '    if (relu && 0) v = _mm_and_ps('
}
m_conv_relu_postop_dropped() { # a convolution that should apply its ReLU writes the pre-activation
  edit kernels/conv_dnnl.c lit 'relu ? c->attr_relu : c->attr' 'relu ? c->attr : c->attr'
}
m_blk_keep_plain_ignored() { # the layout plan blocks an activation a caller reads by element
  edit kernels/model.c lit 'if (m->layers[j]->keep_plain) return 0;' '/* keep_plain ignored */'
}
m_head_not_frozen() {        # the transplanted teacher head trains with the student
  edit kernels/transplant.c lit 'model_freeze_from(m, m->n_layers - 1);' '/* head left trainable */'
}
m_projector_not_trained() {  # the projector is frozen with the head
  edit kernels/transplant.c lit 'model_freeze_from(m, m->n_layers - 1);' 'model_freeze_from(m, m->n_layers - 2);'
}
m_groupdro_shard_q() {       # group DRO's q from the first micro-shard's statistics
  edit runtime/train/train.c re 'group_step\(gw, q, tot, tot \+ G,' 'group_step(gw, q, stats, stats + G,'
}
m_select_reads_test() {      # val-worst selection compares test worst-group
  edit runtime/train/train.c lit 'case SELECT_VAL_WORST: return res->worst[v];' \
    'case SELECT_VAL_WORST: return res->worst[t];'
}
m_gap_other_teacher() {      # the gap-to-teacher column uses the file's first teacher
  edit analysis/report_rows.c lit '!strcmp(d->jobs[q].id, j->teacher)) return q;' \
    '!d->jobs[q].teacher[0]) return q;'
}
m_mse_grad_1pct() {          # the feature-MSE gradient 1 % too large
  edit kernels/loss.c lit 'float k = 2.0f * scale' 'float k = 2.02f * scale'
}
m_feat_grad_sign() {         # a feature loss's gradient joins the head's with the wrong sign
  edit kernels/model.c lit 'for (size_t i = 0; i < nf; i++) cur[i] += dfeat[i];' \
    'for (size_t i = 0; i < nf; i++) cur[i] -= dfeat[i];'
}
m_dedier_weights_dropped() { # the readout computes weights but training never sees them
  edit runtime/train/readout.c lit 'r->in.sample_w = r->w;' 'r->in.sample_w = NULL;'
}
m_dedier_objective_unweighted() { # dedier's objective drops w_i (loss and gradient alike)
  edit kernels/objective.c lit '    return objective_kd(out, in);
}

double objective_fitnet(' '    obj_in u = *in;
    float one[in->B > 0 ? in->B : 1];
    for (int i = 0; i < in->B; i++) one[i] = 1.0f;
    u.w = one;
    return objective_kd(out, &u);
}

double objective_fitnet('
}
m_dedier_weights_on_correct() { # the rows the readout gets right take the weight
  edit kernels/dedier.c lit 'if (pred == y[i]) continue;' 'if (pred != y[i]) continue;'
}
m_dedier_weights_reset() {   # rows the readout now gets right fall back to 1 (not the authors')
  edit kernels/dedier.c lit 'if (pred == y[i]) continue;' 'if (pred == y[i]) { w[i] = 1.0f; continue; }'
}
m_readout_not_trained() {    # the readout's gradient is reduced but never applied
  edit runtime/train/readout.c lit 'optim_step(r->opt, r->rm->params, g);' '(void)g;'
}
m_readout_test_labels() {    # the readout's mistakes are judged against the test split's labels
  edit runtime/train/readout.c lit 'y[k] = gd->train.y[i + k];' \
    'y[k] = gd->eval[SPLIT_TEST].y[(i + k) % gd->eval[SPLIT_TEST].n];'
}
m_init_ignored() {           # init = "teacher" builds the student but copies nothing
  edit runtime/train/jobrun.c lit 'init_teacher_copy(m, x.teacher);' '(void)x.teacher;'
}
m_init_skips_mismatch() {    # the copy goes on past the first layer that differs
  edit runtime/train/init_teacher.c lit 'if (!same_shape(m->layers[i], t->layers[i])) break;' \
    'if (!same_shape(m->layers[i], t->layers[i])) continue;'
}
m_rsgemm_k_tail_dropped() {  # the row-stable GEMM's SIMD tile skips the last k term
  edit kernels/rsgemm.c lit 'for (int kk = 0; kk < k; kk++) {
        if (ptr && (kk & 15) == 0 && kk < pfn)' 'for (int kk = 0; kk + 1 < k; kk++) {
        if (ptr && (kk & 15) == 0 && kk < pfn)'
}
m_rsgemm_prefetch_past_rows() {  # the last tile prefetches a whole block past the last k-block
  edit kernels/rsgemm_impl.h lit '        len = kn;' '        len = kc;'
}
m_rsgemm_tree_one_level() {  # the weight gradient's shard counter combines one level only
  edit kernels/rsgemm.c lit 'for (; (s >> l) & 1; l++) {   /* left (earlier shards) + right */
#pragma GCC unroll 6' 'for (; (s >> l) & 1 && l < 1; l++) {   /* left (earlier shards) + right */
#pragma GCC unroll 6'
}

m_dataset_f32_unchecked() {  # the float32 check of X covers no values: an Inf passes
  # its tests read files that h5py writes: skipped (exit 77) without h5py
  /usr/bin/python3 -c 'import h5py' 2>/dev/null || return 77
  edit runtime/io/dataset.c lit \
    'if (f32_all_finite((const float *)buf, (size_t)(m * (hsize_t)d))) continue;' \
    'if (f32_all_finite((const float *)buf, 0)) continue;'
}

MUTANT_TABLE="
dett-ignores-weights   m_dett_ignores_weights   test_kernels,test_gradcheck_methods,test_jobrun_methods
runner-drops-weights   m_runner_drops_weights   test_jobrun_methods
error-set-inverted     m_error_set_inverted     test_jobrun_methods
weights-inverted       m_weights_inverted       test_jobrun_methods
ident-uses-test-rows   m_ident_uses_test_rows   test_jobrun_methods
jtt-no-upsampling      m_jtt_no_upsampling      test_jobrun_methods
kd-without-T2          m_kd_without_t2          test_kernels,test_gradcheck_methods
head-not-frozen        m_head_not_frozen        test_kernels,test_jobrun_methods,test_methods
projector-not-trained  m_projector_not_trained  test_kernels,test_jobrun_methods,test_methods
groupdro-shard-q       m_groupdro_shard_q       test_train_step
select-reads-test      m_select_reads_test      test_jobrun_methods
gap-other-teacher      m_gap_other_teacher      test_report
mse-grad-1pct          m_mse_grad_1pct          test_kernels,test_gradcheck_methods
feat-grad-sign         m_feat_grad_sign         test_kernels,test_gradcheck_methods
dedier-weights-dropped m_dedier_weights_dropped test_dedier_train
dedier-objective-unweighted m_dedier_objective_unweighted test_dedier,test_dedier_train
dedier-weights-on-correct m_dedier_weights_on_correct test_dedier,test_dedier_train
dedier-weights-reset   m_dedier_weights_reset   test_dedier,test_dedier_train
readout-not-trained    m_readout_not_trained    test_dedier_train
readout-test-labels    m_readout_test_labels    test_dedier_train
init-ignored           m_init_ignored           test_chain
init-skips-mismatch    m_init_skips_mismatch    test_chain
rsgemm-k-tail-dropped  m_rsgemm_k_tail_dropped  test_rsgemm
rsgemm-tree-one-level  m_rsgemm_tree_one_level  test_rsgemm,test_stacked
rsgemm-prefetch-past-rows m_rsgemm_prefetch_past_rows test_rsgemm
dataset-f32-unchecked  m_dataset_f32_unchecked  dataset_h5py_plain,dataset_h5py_files,test_dataset_h5py_1,test_dataset_h5py_2 test_dataset_h5py
blk-pool-tie-order     m_blk_pool_tie_order     test_blocked
blk-keep-plain-ignored m_blk_keep_plain_ignored test_blocked
relu-pool-mask-dropped m_relu_pool_mask_dropped test_perf_paths,test_blocked
conv-relu-postop-dropped m_conv_relu_postop_dropped test_conv
"

# ---- machinery ---------------------------------------------------------------
touched=()   # files edited by the current mutant (relative to the tree)

edit() {
  local f=$1 mode=$2 from=$3 to=$4
  [ -f "$tree/$f" ] || die "$cur: $f does not exist"
  [ -f "$orig/$f" ] || { mkdir -p "$(dirname "$orig/$f")"; cp "$tree/$f" "$orig/$f"; }
  touched+=("$f")
  FROM=$from TO=$to MODE=$mode perl -e '
    my $f = shift; open(my $h, "<", $f) or die "$f: $!"; local $/; my $s = <$h>; close $h;
    my ($from, $to, $mode) = ($ENV{FROM}, $ENV{TO}, $ENV{MODE});
    my $re = $mode eq "re" ? qr/$from/s : qr/\Q$from\E/;
    my $n = () = $s =~ /$re/g;
    if ($n != 1) { print STDERR "pattern matches $n times (want 1): $from\n"; exit 3; }
    $s =~ /$re/;
    my ($a, $b, @g) = ($-[0], $+[0], map { defined $_ ? $_ : "" } ($1, $2, $3));
    my $r = $to;
    $r =~ s/\\([1-3])/$g[$1 - 1]/g if $mode eq "re";
    substr($s, $a, $b - $a) = $r;
    open($h, ">", $f) or die "$f: $!"; print $h $s; close $h or die "$f: $!";
  ' "$tree/$f" || die "mutant $cur does not apply to $f (a refactor moved its pattern: update tests/mutants.sh)"
}

restore() {
  local f
  for f in "${touched[@]}"; do cp "$orig/$f" "$tree/$f"; done
  touched=()
}

# build the comma-separated targets $2 (default: the tests' names), run the
# comma-separated ctest tests $1
build_and_test() {
  local targets=${2:-$1} regex="^(${1//,/|})\$" out
  targets=${targets//,/ }
  cmake --build "$build" -j "$jobs" --target $targets >"$log/build-$cur.log" 2>&1 ||
    return 2
  ( . "$tree/scripts/mpienv.sh" 2>/dev/null; cd "$build" &&
    ctest -R "$regex" --timeout 600 --output-on-failure ) >"$log/ctest-$cur.log" 2>&1
  return $?
}

failed_tests() {
  sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/\1/p' "$log/ctest-$cur.log" | sort -u | paste -sd, -
}

t_start=$(date +%s)
mkdir -p "$work" "$orig" "$log" || die "cannot create $work"
# the scratch copy: tracked and untracked files, not ignored ones (build dirs)
echo "mutants: copying $src to $tree"
mkdir -p "$tree"
(cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
  (cd "$tree" && tar -xf -) || die "cannot copy $src"
# files a mutant touched in an earlier run: recompile them from pristine text
rm -rf "$orig" && mkdir -p "$orig"
for f in kernels/objective.c kernels/loss.c kernels/transplant.c kernels/model.c kernels/blocked.c \
         kernels/win4_sse.h kernels/conv_dnnl.c kernels/dedier.c runtime/train/readout.c \
         runtime/train/jobrun.c runtime/train/train.c runtime/train/init_teacher.c \
         analysis/report_rows.c; do
  [ -f "$tree/$f" ] && touch "$tree/$f"
done
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$tree" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log/configure.log" 2>&1 ||
    die "configure failed (see $log/configure.log)"
fi

all_tests=$(echo "$MUTANT_TABLE" | awk 'NF { print $3 }' | tr ',' '\n' | sort -u | paste -sd, -)
all_targets=$(echo "$MUTANT_TABLE" | awk 'NF { print (NF > 3 ? $4 : $3) }' | tr ',' '\n' | sort -u |
              paste -sd, -)
cur=baseline
echo "mutants: baseline build and tests ($all_tests)"
t0=$(date +%s)
build_and_test "$all_tests" "$all_targets"
rc=$?
[ $rc -eq 2 ] && die "the unmutated tree does not build (see $log/build-baseline.log)"
[ $rc -ne 0 ] && die "the unmutated tests fail: $(failed_tests) (see $log/ctest-baseline.log)"
echo "mutants: baseline passes in $(( $(date +%s) - t0 )) s"

survivors=0 ran=0
table=$(printf '%-22s %-9s %5s  %s\n' mutant result sec "killed by (failing tests)")
# the table comes in on fd 3: a command inside the loop that reads stdin
# (mpiexec forwards it to rank 0) would otherwise eat the rows after it
while read -r name fn tests targets <&3; do
  [ -n "$name" ] || continue
  if [ -n "${MUTANTS:-}" ] && ! printf ' %s ' $MUTANTS | grep -q " $name "; then continue; fi
  cur=$name
  t0=$(date +%s)
  $fn
  rc=$?
  [ $rc -eq 77 ] || { build_and_test "$tests" "$targets"; rc=$?; }
  restore
  dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 77 ]; then
    result=skipped; by="- (a tool its tests need is missing; see the mutant's function)"
  elif [ $rc -eq 2 ]; then
    die "mutant $name does not compile (see $log/build-$name.log)"
  elif [ $rc -eq 0 ]; then
    result=SURVIVED; by="- (ran $tests)"; survivors=$((survivors + 1))
  else
    result=killed; by=$(failed_tests)
    [ -n "$by" ] || by="(ctest failed, see $log/ctest-$name.log)"
  fi
  line=$(printf '%-22s %-9s %5d  %s' "$name" "$result" "$dt" "$by")
  echo "$line"
  table="$table
$line"
  ran=$((ran + 1))
done 3<<< "$MUTANT_TABLE"
rows=$(echo "$MUTANT_TABLE" | awk 'NF' | wc -l)
[ -n "${MUTANTS:-}" ] || [ "$ran" -eq "$rows" ] ||
  die "ran $ran of the table's $rows mutants: the loop over the table ended early"

# leave the build pristine for the next run
cur=final
cmake --build "$build" -j "$jobs" --target ${all_targets//,/ } >"$log/build-final.log" 2>&1

total=$(( $(date +%s) - t_start ))
echo
echo "$table"
echo "mutants: $survivors survived; $total s in all (logs: $log)"
[ -n "$table_out" ] && printf '%s\n%s survived; %d s\n' "$table" "$survivors" "$total" >"$table_out"
[ $survivors -eq 0 ]
