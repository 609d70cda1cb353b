/* log.c -- rank-0 messages and progress.tsv (see log.h). */
#include <config.h>
#include "log.h"
#include "comm.h"

#include <stdarg.h>
#include <sys/stat.h>

void log_init(struct wow_log *lg, int rank, double t0)
{
  lg->rank = rank;
  lg->t0 = t0;
  lg->tsv = NULL;
}

void log_msg(const struct wow_log *lg, const char *fmt, ...)
{
  if (lg->rank != 0) return;
  va_list ap;
  va_start(ap, fmt);
  printf("[ %09.2f ] ", comm_wtime() - lg->t0);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);
  va_end(ap);
}

int log_open_tsv(struct wow_log *lg, const char *path, const char *header)
{
  if (lg->rank != 0) return 0;
  struct stat st;
  int fresh = stat(path, &st) != 0 || st.st_size == 0;
  lg->tsv = fopen(path, "a");
  if (!lg->tsv) return -1;
  if (fresh) fprintf(lg->tsv, "%s", header);
  fflush(lg->tsv);
  return 0;
}

void log_progress(const struct wow_log *lg, long step, long steps, double F, double gnorm, double ms_step, double eta_s)
{
  if (lg->rank != 0) return;
  log_msg(lg, "step %8ld/%ld  F %.10e  |grad| %.4e  %9.3f ms/step  ETA %.1f s", step, steps, F, gnorm, ms_step, eta_s);
  if (lg->tsv) {
    fprintf(lg->tsv, "%ld\t%.17g\t%.17g\t%.6f\t%.3f\n", step, F, gnorm, ms_step, comm_wtime() - lg->t0);
    fflush(lg->tsv);
  }
}

void log_close(struct wow_log *lg)
{
  if (lg->tsv) fclose(lg->tsv);
  lg->tsv = NULL;
}
