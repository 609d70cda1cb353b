/* signals.h -- SIGTERM and SIGUSR1 caught into a flag (the one piece of process-wide state in
 * wowflow: a signal handler can reach nothing else).  signals_install at the start of a run;
 * signals_pending returns the signal number caught since, or 0.  Local; the run agrees on the
 * flag across ranks every step. */
#ifndef WOW_SIGNALS_H
#define WOW_SIGNALS_H

void signals_install(void);
int signals_pending(void);

#endif
