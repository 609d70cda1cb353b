/* run.h -- the run context: everything one flow run owns, passed explicitly (no globals).
 *
 * run_setup (collective over world): rank 0 parses the deck, every rank receives it; the run
 * directory, used.deck, the data, the grid and the engine are set up, and a restart loads its
 * checkpoint.  run_flow runs the steps, logs progress and checkpoints as the policy says (stopping
 * early on a signal, a STOP file or the wall-clock budget); run_write_output writes the final
 * HDF5 file; run_free releases everything.
 * With check_only, run_setup prints the resolved deck and returns 1 (nothing is written). */
#ifndef WOW_RUN_H
#define WOW_RUN_H

#include "baseline.h"
#include "comm.h"
#include "data.h"
#include "deck.h"
#include "flow.h"
#include "layout.h"
#include "log.h"
#include "mmd.h"
#include "policy.h"
#include "provenance.h"
#include "timer.h"

struct wow_run {
  MPI_Comm world;
  int rank;
  struct deck deck;
  struct comm_grid grid;
  struct data_side src, tgt;
  struct wow_clouds cl;
  struct wow_part part;
  struct mmd mmd;
  enum baseline_method method; /* flow.method */
  struct baseline bl;          /* the baselines' state (method != BL_WOW) */
  struct timers tm;
  struct wow_log log;
  struct provenance prov;
  struct flow_step step_rule;
  long steps;
  double *x, *y, *grad, *vel; /* own source rows, own target rows, gradient, momentum buffer */
  double *x_prev, *vel_prev;    /* the state before the last update (the last good one if it blows up) */
  struct mmd_node node;         /* parallel.shared_memory: x, x_prev and grad point into it (run_node_memory), else zero */
  double *hist_F, *hist_gnorm; /* steps + 1 entries: F at x_0 .. x_steps */
  double t_loop;
  char *dir;
  char *stop_path;          /* run.dir/STOP */
  /* checkpoints and restarts */
  struct policy policy;
  long step0;               /* first step of this job (0, or the restart step) */
  double elapsed0;          /* seconds of flow before this job (restarts) */
  double t_job;             /* comm_wtime() at the start of this job */
  uint64_t target_checksum; /* of the target rows, checked on restart */
  double *align_cost0;      /* C x C2 SW statistics flowed class - target class at the first step of the run */
  long align_step0;         /* the step they were taken at (-1: not yet; kept across restarts by the checkpoints) */
  long last_ckpt_step;      /* newest checkpoint written or restarted from (-1: none) */
};

/* Returns 0 to go on, 1 when --check-deck is done.  restart: NULL, "latest" or a checkpoint path. */
int run_setup(struct wow_run *r, MPI_Comm world, const char *deck_path, char *const *overrides, int noverrides, int check_only,
              const char *restart);
/* Returns 0 when all steps are done, 1 when the run checkpointed and stopped for a restart. */
int run_flow(struct wow_run *r);
void run_write_output(struct wow_run *r);
void run_free(struct wow_run *r);

/* Collective: load, validate and broadcast a deck (errors printed on rank 0, then every rank exits 1). */
void run_load_deck(struct deck *dk, MPI_Comm world, const char *path, char *const *overrides, int noverrides);

#endif
