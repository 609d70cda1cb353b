/* log.h -- rank-0 logging: messages prefixed by elapsed seconds ("[ 000012.34 ] ..."), and the
 * machine-readable progress.tsv appended across restarts.  Every rank may call; only the rank
 * that was given rank 0 in log_init writes. */
#ifndef WOW_LOG_H
#define WOW_LOG_H

#include <stdio.h>

struct wow_log {
  int rank;
  double t0;
  FILE *tsv;
};

void log_init(struct wow_log *lg, int rank, double t0);
void log_msg(const struct wow_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Open (append) the progress table; writes the header block when the file is new.  0 or -1. */
int log_open_tsv(struct wow_log *lg, const char *path, const char *header);
void log_progress(const struct wow_log *lg, long step, long steps, double F, double gnorm, double ms_step, double eta_s);
void log_close(struct wow_log *lg);

#endif
