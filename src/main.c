/* main.c -- wowflow: Wasserstein-over-Wasserstein gradient flows of labeled datasets.
 * Thin: initialise MPI and HDF5 error handling, parse the command line, dispatch, finalise. */
#include <config.h>
#include "cli.h"
#include "comm.h"
#include "commands.h"
#include "deck.h"
#include "h5io.h"
#include "provenance.h"
#include "run.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int main_run(const struct cli *c, MPI_Comm world)
{
  struct wow_run run;
  if (run_setup(&run, world, c->deck, c->overrides, c->noverrides, c->check_deck, c->restart) == 0) {
    if (run_flow(&run) == 0) run_write_output(&run);
    else if (comm_rank(world) == 0) { printf("stopped for restart: run again with --restart latest\n"); fflush(stdout); }
  }
  run_free(&run);
  return 0;
}

int main(int argc, char **argv)
{
  comm_init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  comm_set_error_handler(world);
  h5io_quiet();
  int rank = comm_rank(world), status = 0;

  struct cli c;
  char err[WOW_ERRLEN];
  if (cli_parse(argc, argv, &c, err, sizeof err) != 0) {
    if (rank == 0) fprintf(stderr, "%s", cli_usage());
    comm_check_all(world, err);
  }
  char line[256];
  size_t nkeys;
  switch (c.cmd) {
  case CLI_HELP:
    if (rank == 0) printf("%s", cli_usage());
    break;
  case CLI_VERSION:
    prov_version_line(line, sizeof line);
    if (rank == 0) printf("%s\n", line);
    break;
  case CLI_REFERENCE:
    if (rank == 0) {
      const struct deck_key *schema = deck_schema(&nkeys);
      char *text = deck_reference_text(schema, nkeys);
      fputs(text, stdout);
      free(text);
    }
    break;
  case CLI_GRAD: status = cmd_grad(&c, world); break;
  case CLI_COMPARE: status = cmd_compare(&c, world); break;
  case CLI_BENCH: status = c.sums ? cmd_bench_sums(&c, world) : c.predict ? cmd_bench_model(&c, world) : c.comm ? cmd_bench_comm(&c, world) : cmd_bench(&c, world); break;
  case CLI_IMPORT: status = cmd_import(&c, world); break;
  case CLI_RUN: status = main_run(&c, world); break;
  }
  cli_free(&c);
  fflush(stdout);
  MPI_Finalize();
  return status;
}
