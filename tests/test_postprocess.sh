#!/bin/sh
# test_postprocess.sh ENV.SH -- every postprocess script runs on tiny runs (matplotlib Agg): its
# PNG exists, is not tiny and not blank; the report links every picture it made; restarts are
# marked; a file that is not a wowflow output gets a clear error.
. "$1"
W=$(workdir postprocess)
cd "$W" || exit 1
P="$SRCDIR/postprocess"
"$PYTHON3" -c "import h5py, numpy, matplotlib" 2>/dev/null || fail "python3 with h5py, numpy and matplotlib is needed"
export MPLBACKEND=Agg
py() { "$PYTHON3" "$@"; }
# a 2D flow with snapshots and a restart
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/rings.deck" -P run.dir=rings -P run.steps=40 -P output.snapshot_every=10 > rings1.txt 2>&1 || fail "rings run"
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/rings.deck" -P run.dir=rings -P run.steps=80 -P output.snapshot_every=10 --restart latest > rings2.txt 2>&1 || fail "rings restart"
[ -s rings/snapshots/snap_00000080.h5 ] || fail "no snapshot at step 80"
# images: 3 classes of 8x8 "images" (d = 64)
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=img -P source.dim=64 -P target.dim=64 -P output.snapshot_every=10 > img.txt 2>&1 || fail "image run"
# a sweep of 2 kernels x 2 step sizes on 1 rank
printf 'name\tkernel.name\tstep.lr\nr1\triesz\t0.02\nr2\triesz\t0.05\ng1\tgaussian\t0.02\ng2\tgaussian\t0.05\n' > sweep.tsv
WOW_NP=1 WOWFLOW=$WOWFLOW PYTHON3=$PYTHON3 bash "$SRCDIR/jobs/local.sh" sweep "$SRCDIR/input/tiny.deck" sweep.tsv sweep > sweep.txt 2>&1 || { cat sweep.txt; fail "local sweep"; }

py "$P/plot_loss" rings -o loss.png > out.txt || fail "plot_loss"
grep -q "1 restart(s) marked" out.txt || { cat out.txt; fail "plot_loss did not mark the restart"; }
py "$P/plot_loss" sweep -o loss_sweep.png > out2.txt || fail "plot_loss on a sweep directory"
grep -q "4 run(s)" out2.txt || { cat out2.txt; fail "plot_loss did not draw the 4 sweep runs"; }
py "$P/plot_flow" rings --steps 0,10,40,80 -o flow.png --gif flow.gif > out.txt || fail "plot_flow"
grep -q "steps 0, 10, 40, 80" out.txt && grep -q "9 frames" out.txt || { cat out.txt; fail "plot_flow steps or frames"; }
py "$P/plot_flow" img -o flow_pca.png > /dev/null || fail "plot_flow (PCA, d = 64)"
py "$P/plot_images" img --target -o images.png > out.txt || fail "plot_images"
grep -q "image 8x8; target rows: the aligned classes" out.txt || { cat out.txt; fail "plot_images shape or target alignment"; }
py "$P/plot_sweep" sweep --param step.lr -o sweep.png > out.txt || fail "plot_sweep"
grep -q "2 lines over step.lr" out.txt || { cat out.txt; fail "plot_sweep lines"; }
py "$P/plot_timers" rings img -o timers.png > /dev/null || fail "plot_timers"
py "$SRCDIR/tests/check_png.py" loss.png loss_sweep.png flow.png flow.gif flow_pca.png images.png sweep.png timers.png || fail "a picture is missing, tiny or blank"

py "$P/report" img -o report > out.txt || fail "report"
for f in report/*.png report/*.gif; do
  b=$(basename "$f")
  grep -q "src='$b'" report/index.html || fail "report/index.html does not link $b"
  grep -q "]($b)" report/report.md || fail "report/report.md does not link $b"
done
[ "$(ls report/*.png report/*.gif | wc -l)" -ge 5 ] || { ls report; fail "the report has fewer than 5 pictures"; }
py "$SRCDIR/tests/check_png.py" report/*.png report/*.gif > /dev/null || fail "a report picture is blank"
echo "ok report links $(ls report/*.png report/*.gif | wc -l) pictures"

# clear errors
"$MAKE_H5" data notwow.h5 good
for s in plot_loss plot_flow plot_images plot_timers report; do
  py "$P/$s" notwow.h5 -o x.png > /dev/null 2> err.txt && fail "$s accepted a file that is not a wowflow output"
  grep -q "^$s: error: .*notwow.h5" err.txt || { cat err.txt; fail "$s: unclear error"; }
  py "$P/$s" --help > /dev/null || fail "$s --help"
done
py "$P/plot_sweep" rings -o x.png 2> err.txt && fail "plot_sweep accepted a run directory"
grep -q "no summary.tsv" err.txt || fail "plot_sweep: unclear error"
echo "ok errors and --help"

# kshot_table: flows x trainings pooled exactly (flow a: 29, 31; flow b: 33, 35 -> 32 +- sqrt(5))
printf 'run\tk\tstep\tclassifier\tseeds\tacc_target_only\tacc_target_only_std\tacc_augmented\tacc_augmented_std\n' > kshot.tsv
printf 'a\t5\t5000\tlenet\t2\t30\t1\t60\t3\nb\t5\t5000\tlenet\t2\t34\t1\t62\t4\nc\t1\t5000\tlenet\t2\t20\t0\t40\t0\n' >> kshot.tsv
py "$P/kshot_table" kshot.tsv > out.txt || { cat out.txt; fail "kshot_table"; }
grep -qF "| 5 | lenet | 2 x 2 | 32.0 +- 2.2 | 61.0 +- 3.7 |" out.txt && grep -qF "| 1 | lenet | 1 x 2 | 20.0 +- 0.0 | 40.0 +- 0.0 |" out.txt ||
  { cat out.txt; fail "kshot_table: wrong pooled figures"; }
printf 'd\t5\t5000\tlenet\t3\t30\t1\t60\t3\n' >> kshot.tsv
py "$P/kshot_table" kshot.tsv 2> err.txt && fail "kshot_table pooled flows with different numbers of trainings"
grep -q "different numbers of trainings" err.txt || { cat err.txt; fail "kshot_table: unclear error"; }
py "$P/kshot_table" notwow.h5 2> err.txt && fail "kshot_table accepted an HDF5 file"
grep -q "^kshot_table: error: " err.txt || { cat err.txt; fail "kshot_table: unclear error for a wrong file"; }
echo "ok kshot_table"
