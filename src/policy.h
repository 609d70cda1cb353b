/* policy.h -- when to write a checkpoint and when to stop for a restart.  Pure functions: the
 * caller passes the clock (seconds since the job started, decided on rank 0) and the flags, so
 * the policy is unit-tested without waiting.  See docs/format.md, "Checkpoints". */
#ifndef WOW_POLICY_H
#define WOW_POLICY_H

struct policy {
  long every_steps;     /* checkpoint when step % every_steps == 0 (0: never) */
  double every_seconds; /* checkpoint when this long since the last one (0: never) */
  double walltime;      /* the job's budget in seconds (0: none) */
  double margin;        /* seconds to keep free at the end of the budget */
};

struct policy_clock {
  long step;               /* steps done (the next step to do) */
  double now;              /* seconds since this job started */
  double last_checkpoint;  /* "now" of the last checkpoint (or of the start) */
  double slowest_step;     /* longest step of this job so far, seconds */
  double checkpoint_cost;  /* seconds the last checkpoint write took (an estimate before the first) */
  int stop_requested;      /* SIGTERM, SIGUSR1 or a STOP file */
};

enum policy_action { POLICY_CONTINUE, POLICY_CHECKPOINT, POLICY_CHECKPOINT_AND_STOP };

/* why (optional) receives a static string naming the reason. */
enum policy_action policy_decide(const struct policy *p, const struct policy_clock *c, const char **why);
/* Seconds from "S", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM" or "D-HH:MM:SS" (Slurm's formats) or
 * "" (no budget: 0).  Returns 0, or -1 for anything else. */
int policy_parse_walltime(const char *text, double *seconds);

#endif
