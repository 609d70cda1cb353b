#!/bin/sh
# test_bad_input.sh ENV.SH -- bad data files and impossible grids, on 2 ranks: each ends with exit
# status != 0 and one clear line naming the deck line, the key and the file; never a crash or hang.
. "$1"
W=$(workdir bad_input)
cd "$W" || exit 1
for v in good nan label shape nolabels; do "$MAKE_H5" data "$v.h5" "$v" || fail "make_h5 $v"; done

deck() { # deck NAME FILE [extra lines]
  printf '[run]\ndir = run-%s\nsteps = 3\n[source]\nkind = file\nfile = %s\n%s\n[target]\nkind = gaussians\nclasses = 2\nn = 5\n[sw]\nprojections = 8\n' "$1" "$2" "$3" > "$1.deck"
}
expect_fail() { # expect_fail NAME PATTERN NP DECK
  name=$1 pattern=$2 np=$3 d=$4
  timeout 120 sh -c ". '$ENVSH_PATH'; mpirun_n $np '$WOWFLOW' '$d'" >out.txt 2>err.txt
  rc=$?
  [ "$rc" -ne 124 ] || fail "$name: timed out (hang)"
  [ "$rc" -ne 0 ] || fail "$name: succeeded"
  grep -qF -- "$pattern" err.txt || { cat err.txt; fail "$name: stderr lacks '$pattern'"; }
  [ "$(grep -c 'wowflow: error' err.txt)" -eq 1 ] || { cat err.txt; fail "$name: expected exactly one error line"; }
  ! grep -qiE 'segmentation|signal|core dumped|backtrace' err.txt || { cat err.txt; fail "$name: crashed"; }
  echo "ok $name"
}
ENVSH_PATH=$1

deck good good.h5 ""
mpirun_n 2 "$WOWFLOW" good.deck > good.txt 2>&1 || { cat good.txt; fail "the good data file does not run"; }
grep -q "source: 3 classes, 30 points in R^2" good.txt || fail "the good file was not read as 3 classes of 10"
echo "ok good_file"

deck missing nothere.h5 ""
expect_fail missing_file "missing.deck:6: key 'source.file': cannot open 'nothere.h5'" 2 missing.deck
deck shape shape.h5 ""
expect_fail wrong_shape "shape.deck:6: key 'source.file': shape.h5: dataset 'features' must be 2D (N, d)" 2 shape.deck
deck nan nan.h5 ""
expect_fail nan_in_data "nan.deck:6: key 'source.file': nan.h5: dataset 'features' row 17 (class 2) has a NaN or Inf value" 2 nan.deck
deck label label.h5 ""
expect_fail label_range "label.deck:6: key 'source.file': label.h5: label -2 at row 11 of 'labels' is out of range" 2 label.deck
deck fixed good.h5 "classes = 2"
expect_fail label_above "fixed.deck:6: key 'source.file': good.h5: label 2 at row 2 of 'labels' is out of range (0 to 1)" 2 fixed.deck
deck nolabels nolabels.h5 ""
expect_fail no_labels "nolabels.deck:6: key 'source.file': nolabels.h5: no dataset 'labels'" 2 nolabels.deck
deck per good.h5 "per_class = 11"
expect_fail per_class "per.deck:7: key 'source.per_class': asks for 11 rows per class but class 0 of good.h5 has only 10" 2 per.deck
printf 'not hdf5\n' > text.h5
deck text text.h5 ""
expect_fail not_hdf5 "text.deck:6: key 'source.file': cannot open 'text.h5' as an HDF5 file" 2 text.deck
# more ranks than work: 3 + 2 classes cannot fill 4 class groups... but 2 ranks cannot hold 4 groups
deck groups good.h5 ""
printf '[parallel]\nclass_groups = 4\n' >> groups.deck
expect_fail groups_vs_ranks "groups.deck:15: key 'parallel.class_groups': 4 class groups need at least 4 ranks, the run has 2" 2 groups.deck
printf '[run]\ndir = run-work\nsteps = 3\n[source]\nkind = noise\nclasses = 1\n[target]\nkind = rings\nclasses = 1\n[parallel]\nclass_groups = 4\n' > work.deck
expect_fail more_ranks_than_work "work.deck:11: key 'parallel.class_groups': 4 class groups for only 2 classes (source + target): more ranks than work" 4 work.deck
# ...while the automatic grid runs any rank count, here 4 ranks for 2 classes
printf '[run]\ndir = run-auto\nsteps = 3\n[source]\nkind = noise\nclasses = 1\n[target]\nkind = rings\nclasses = 1\n[sw]\nprojections = 3\n' > auto.deck
mpirun_n 4 "$WOWFLOW" auto.deck > auto.txt 2>&1 || { cat auto.txt; fail "4 ranks for 2 classes and 3 directions did not run"; }
echo "ok idle_ranks_take_part"
# an unwritable run directory
printf 'x' > blocker
printf '[run]\ndir = blocker/sub\nsteps = 3\n[source]\nkind = noise\n[target]\nkind = rings\n' > blocked.deck
expect_fail run_dir "blocked.deck:2: key 'run.dir': cannot create directory 'blocker/sub'" 2 blocked.deck
