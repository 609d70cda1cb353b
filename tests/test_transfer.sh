#!/bin/sh
# test_transfer.sh ENV.SH -- the transfer-learning pipeline end to end on real data Debian ships
# (skipped, exit 77, without dataset-fashion-mnist and python3-sklearn): import 3 digit classes
# (20 images, 8x8 resized to 28x28) and a 5-shot Fashion-MNIST target of 3 classes, flow 200
# steps on 2 ranks, align labels, train a scikit-learn classifier on target + flowed source.
# Checks: the flowed source is closer to the target in SW than the original; accuracies reported.
# The otdd and mmd_product baselines run on the same deck and are evaluated the same way.
. "$1"
FM=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -e "$FM/t10k-images-idx3-ubyte.gz" ] && [ -e "$DIGITS" ] && "$PYTHON3" -c "import sklearn" 2>/dev/null ||
  { echo "needs dataset-fashion-mnist and python3-sklearn: skipped"; exit 77; }
W=$(workdir transfer)
cd "$W" || exit 1
"$WOWFLOW" import --csv "$DIGITS" --shape 8x8 --scale --resize 28x28 --classes 0,1,2 --per-class 20 --seed 3 --out src.h5 || fail "import digits"
"$WOWFLOW" import --idx "$FM/train-images-idx3-ubyte.gz" --idx-labels "$FM/train-labels-idx1-ubyte.gz" --scale --classes 0,1,2 \
  --per-class 5 --seed 3 --out tgt.h5 || fail "import Fashion-MNIST train"
"$WOWFLOW" import --idx "$FM/t10k-images-idx3-ubyte.gz" --idx-labels "$FM/t10k-labels-idx1-ubyte.gz" --scale --classes 0,1,2 \
  --per-class 100 --out test.h5 || fail "import Fashion-MNIST test"
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/experiments/transfer-smoke.deck" -P output.snapshot_every=100 > flow.txt 2>&1 || { cat flow.txt; fail "flow"; }
grep "class alignment" flow.txt
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" smoke --test test.h5 --out results.tsv > eval.txt || { cat eval.txt; fail "transfer_eval"; }
cat eval.txt
awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { closer = $c["align_cost_final"] < $c["align_cost_initial"]; lower = $c["F_final"] < $c["F_initial"];
    acc = $c["acc_target_only"] > 50 && $c["acc_augmented"] > 50; exit !(closer && lower && acc) }' results.tsv ||
  { cat results.tsv; fail "the flowed source is not closer to the target, F did not fall, or an accuracy is at chance level"; }
echo "ok transfer pipeline"
# the baselines on the same deck, labelled through their label embedding (method.md 7)
for m in otdd mmd_product; do
  case $m in otdd) A="-P step.rule=adamw -P step.lr=1e-3";; *) A="-P step.lr=10";; esac
  mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/experiments/transfer-smoke.deck" -P run.dir=$m -P flow.method=$m $A -P run.steps=100 > $m.txt 2>&1 ||
    { cat $m.txt; fail "$m flow"; }
  "$PYTHON3" "$SRCDIR/postprocess/transfer_eval" $m --test test.h5 --out $m.tsv > $m-eval.txt || { cat $m-eval.txt; fail "$m transfer_eval"; }
  cat $m-eval.txt
  grep -q "(labels: embedding)" $m-eval.txt || fail "$m: flowed points not labelled by the embedding"
  awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { exit !($c["F_final"] < $c["F_initial"] && $c["acc_augmented"] > 50) }' $m.tsv || { cat $m.tsv; fail "$m: F did not fall or chance accuracy"; }
done
echo "ok baselines"
# domain adaptation: a classifier trained on the target classifies the source before and after
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" smoke --mode adaptation --train tgt.h5 > da.txt || { cat da.txt; fail "adaptation"; }
cat da.txt
grep -q "at step 0: .* %, the flowed source: .* %" da.txt || fail "adaptation did not report before and after"
grep -q "accuracy along the flow (step: %): 0: .*, 100: .*, 200: " da.txt || fail "adaptation did not report the accuracy along the flow"
rm -rf smoke/snapshots
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" smoke --mode adaptation --train tgt.h5 2> err.txt && fail "adaptation without snapshots"
grep -q "adaptation needs the snapshot of the first step" err.txt || { cat err.txt; fail "adaptation: unclear error"; }
echo "ok adaptation"
# dataset distillation: 2 images per class flow toward 100 per class (minibatches of 32)
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/experiments/transfer-smoke.deck" -P run.dir=distill -P source.file=tgt.h5 -P source.per_class=2 \
  -P target.file=test.h5 -P target.batch=32 -P run.steps=100 -P output.snapshot_every=50 > distill.txt 2>&1 || { cat distill.txt; fail "distill flow"; }
grep -q "pairwise transports: GEMM form on the merged quantile grid (32 intervals)" distill.txt ||
  { cat distill.txt; fail "distill: 2 images against batches of 32 should run on the merged grid"; }
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" distill --mode distill --test test.h5 > dd.txt || { cat dd.txt; fail "distill eval"; }
cat dd.txt
grep -q "2 images per class, logreg x 1: distilled .* %, initial images .* %" dd.txt || fail "distill did not report"
# a row whose columns differ from those of the table it would be appended to is refused; the table is kept
cp results.tsv before.tsv
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" distill --mode distill --test test.h5 --out results.tsv > dd2.txt 2> err.txt &&
  fail "distill row appended to a transfer table"
grep -q "results.tsv: line 1: its columns differ from this distill row's" err.txt || { cat err.txt; fail "mixed table: unclear error"; }
cmp -s before.tsv results.tsv || fail "mixed table: results.tsv changed"
"$PYTHON3" "$SRCDIR/postprocess/transfer_eval" distill --mode distill --test test.h5 --epochs 0 > de.txt 2>&1 && fail "--epochs 0 accepted"
grep -q "epochs 0: must be at least 1" de.txt || { cat de.txt; fail "--epochs 0: unclear error"; }
# the PyTorch classifiers (LeNet-5, the paper's ConvNet) where python3-torch is installed (not in CI)
if "$PYTHON3" -c "import torch" 2> /dev/null; then
  for clf in lenet convnet; do
    OMP_NUM_THREADS=1 "$PYTHON3" "$SRCDIR/postprocess/transfer_eval" distill --mode distill --test test.h5 --classifier $clf --epochs 3 > dt.txt 2>&1 ||
      { cat dt.txt; fail "distill eval with $clf"; }
    grep -q "2 images per class, $clf (3 epochs) x 1: distilled .* %, initial images .* %" dt.txt || { cat dt.txt; fail "$clf did not report"; }
  done
  echo "ok lenet and convnet"
else
  echo "skipped: lenet and convnet (no python3-torch)"
fi
echo "ok distillation"
