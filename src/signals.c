/* signals.c -- stop requests by signal (see signals.h). */
#include <config.h>
#include "signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t signals_caught = 0;

static void signals_handler(int sig) { signals_caught = sig; }

void signals_install(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = signals_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

int signals_pending(void) { return (int)signals_caught; }
