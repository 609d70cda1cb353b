/* output.h -- the final output file of a run (layout in docs/format.md), written collectively with
 * parallel HDF5 as PATH.tmp, closed, success agreed on all ranks, then renamed by rank 0 (with an
 * fsync of the directory): a crash never leaves a half-written file under the final name. */
#ifndef WOW_OUTPUT_H
#define WOW_OUTPUT_H

#include <hdf5.h>
#include <stddef.h>

struct wow_run;

#define OUTPUT_FORMAT_VERSION 1

void output_write_final(const struct wow_run *r, const char *path);
/* Collective: the /meta group (deck as given and resolved, provenance) and the root attributes
 * format_version, program, kind and step shared by output files and checkpoints.  0 or -1. */
int output_write_meta(hid_t f, const struct wow_run *r, const char *kind, long format_version, long step);
/* Collective: rename tmp to path on rank 0 and fsync its directory; error message or "" in msg. */
void output_commit(const char *tmp, const char *path, int rank, char *msg, size_t len);

#endif
