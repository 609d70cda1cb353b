/* policy.c -- checkpoint and stop decisions (see policy.h). */
#include <config.h>
#include "policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum policy_action policy_decide(const struct policy *p, const struct policy_clock *c, const char **why)
{
  const char *dummy;
  if (!why) why = &dummy;
  if (c->stop_requested) { *why = "stop requested (signal or STOP file)"; return POLICY_CHECKPOINT_AND_STOP; }
  if (p->walltime > 0 && c->now + c->slowest_step + c->checkpoint_cost + p->margin > p->walltime) {
    *why = "the next step would pass the wall-clock budget (run.walltime)";
    return POLICY_CHECKPOINT_AND_STOP;
  }
  if (p->every_steps > 0 && c->step % p->every_steps == 0) { *why = "checkpoint.every_steps"; return POLICY_CHECKPOINT; }
  if (p->every_seconds > 0 && c->now - c->last_checkpoint >= p->every_seconds) {
    *why = "checkpoint.every_minutes";
    return POLICY_CHECKPOINT;
  }
  *why = "";
  return POLICY_CONTINUE;
}

/* Reads up to `max` colon-separated unsigned integers; returns how many, or -1. */
static int policy_fields(const char *s, long *f, int max)
{
  int n = 0;
  while (*s) {
    if (n == max || !isdigit((unsigned char)*s)) return -1;
    char *end;
    f[n++] = strtol(s, &end, 10);
    s = end;
    if (*s == ':') {
      s++;
      if (!*s) return -1;
    } else if (*s) return -1;
  }
  return n;
}

int policy_parse_walltime(const char *text, double *seconds)
{
  *seconds = 0;
  if (!text[0]) return 0;
  long days = 0, f[3];
  const char *dash = strchr(text, '-'), *rest = text;
  if (dash) {
    char *end;
    if (!isdigit((unsigned char)text[0])) return -1;
    days = strtol(text, &end, 10);
    if (end != dash) return -1;
    rest = dash + 1;
  }
  int n = policy_fields(rest, f, 3);
  if (n <= 0) return -1;
  if (dash) { /* D-HH, D-HH:MM, D-HH:MM:SS */
    long h = f[0], m = n > 1 ? f[1] : 0, s = n > 2 ? f[2] : 0;
    *seconds = (double)(((days * 24 + h) * 60 + m) * 60 + s);
  } else if (n == 1) *seconds = (double)f[0];                              /* S */
  else if (n == 2) *seconds = (double)(f[0] * 60 + f[1]);                  /* MM:SS */
  else *seconds = (double)((f[0] * 60 + f[1]) * 60 + f[2]);               /* HH:MM:SS */
  return 0;
}
