/* comm.h -- the only place where wowflow calls MPI.
 *
 * Every collective takes an explicit communicator and says "collective" below; the callers never
 * see MPI_COMM_WORLD (main.c hands the world communicator down).  An MPI error return ends the job
 * with a message.  wow_fail() is local (prints "[rank r] ..." and aborts the job); wow_fail_all()
 * and comm_check_all() are collective: rank 0 prints one line, every rank exits non-zero.
 * The 2D grid: rank = pc * Pl + pl; class_comm joins the Pc ranks of one direction block, dir_comm
 * the Pl ranks of one class block. */
#ifndef WOW_COMM_H
#define WOW_COMM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define WOW_ERRLEN 1024

struct comm_grid {
  MPI_Comm world;      /* all ranks of the run */
  MPI_Comm class_comm; /* same pl: ranks that own different classes, same directions */
  MPI_Comm dir_comm;   /* same pc: ranks that own the same classes, different directions */
  int rank, size;      /* in world */
  int Pc, Pl, pc, pl;
};

_Noreturn void wow_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void wow_fail_all(MPI_Comm comm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Collective: if any rank passes a non-empty message, rank 0 prints the message of the lowest such
 * rank and every rank exits with status 1.  Returns normally when no rank has a message. */
void comm_check_all(MPI_Comm comm, const char *local_msg);
/* Collective: the message of the lowest rank that passes a non-empty one, into out on every rank;
 * returns 0 (out empty) when no rank has one. */
int comm_first_message(MPI_Comm comm, const char *local_msg, char *out, size_t len);
/* Collective: 1 on every rank when every rank passes ok != 0. */
int comm_all_ok(MPI_Comm comm, int ok);

/* MPI_Init, with Open MPI's MPI-IO told to use its "individual" shared-file-pointer component,
 * unless OMPI_MCA_sharedfp is set: "sm" leaves a locked semaphore when a writer is killed, and
 * later opens of files of that name hang; "lockedfile" hung on a full disk. */
void comm_init(int *argc, char ***argv);
void comm_set_error_handler(MPI_Comm comm);
int comm_rank(MPI_Comm comm);
int comm_size(MPI_Comm comm);
double comm_wtime(void);
void comm_barrier(MPI_Comm comm);

/* Collective: build / free the Pc x Pl grid over world (Pc must divide the size). */
void comm_grid_create(MPI_Comm world, int Pc, struct comm_grid *grid);
void comm_grid_free(struct comm_grid *grid);

/* Collective reductions (in place, every rank gets the result). */
void comm_sum_doubles(double *buf, size_t n, MPI_Comm comm);
void comm_max_doubles(double *buf, size_t n, MPI_Comm comm); /* elementwise, in place */
/* Non-blocking in-place sum (n < 2^31), progressed by comm_test_all, finished by comm_wait_all. */
void comm_isum_doubles(double *buf, size_t n, MPI_Comm comm, MPI_Request *req);
void comm_test_all(int n, MPI_Request *req);
void comm_wait_all(int n, MPI_Request *req);
double comm_sum_double(double x, MPI_Comm comm);
double comm_max_double(double x, MPI_Comm comm);
double comm_min_double(double x, MPI_Comm comm);
long comm_sum_long(long x, MPI_Comm comm);
long comm_max_long(long x, MPI_Comm comm);
/* Collective: min, mean, max of x over comm and the ranks holding min and max. */
void comm_stats_double(double x, MPI_Comm comm, double *mn, double *mean, double *mx, int *rmin, int *rmax);

/* The int counts and displacements of an allgather of counts[r] doubles from rank r (malloc'ed
 * once, before a step loop; the total must fit an int). */
void comm_gather_layout(const size_t *counts, int n, int **cnt, int **dsp);
/* Collective: gather cnt[r] doubles from every rank r of comm into recv at dsp[r]; send may be
 * recv + dsp[rank] (in place).  Allocates nothing. */
void comm_allgatherv_doubles(const double *send, double *recv, const int *cnt, const int *dsp, MPI_Comm comm);
/* Collective: buf (cnt[r] doubles at dsp[r] for every rank r, the layout of comm_gather_layout)
 * summed elementwise over comm, each rank getting only its part, at buf + dsp[rank] (work: cnt[rank]
 * doubles of scratch).  The rest of buf is left as it was.  Allocates nothing. */
void comm_reduce_scatter_doubles(double *buf, const int *cnt, const int *dsp, double *work, MPI_Comm comm);
void comm_bcast_bytes(void *buf, size_t n, int root, MPI_Comm comm);

/* Collective: 1 on every rank when all ranks of comm run on one node (can share memory). */
int comm_one_node(MPI_Comm comm);
/* Collective: R when every node holds R ranks of comm, numbered consecutively node by node (so
 * blocks of R / k consecutive ranks each lie on one node), else 0. */
int comm_node_ranks(MPI_Comm comm);
/* Collective over comm (one node, comm_one_node): an array of bytes that every rank maps (each at
 * its own address), zero-filled, in POSIX shared memory whose pages are all reserved here
 * (posix_fallocate): a full /dev/shm is a message now, never a SIGBUS in a later step.  The name
 * is unlinked before return, so nothing is left behind however the job ends.  NULL on every rank
 * when any rank fails (msg: the first failing rank's reason).  Free with comm_shared_free. */
void *comm_shared_alloc(MPI_Comm comm, size_t bytes, char *msg, size_t len);
void comm_shared_free(void *p, size_t bytes);
/* Collective: a barrier after which every rank sees what the others wrote to shared memory before it. */
void comm_shared_sync(MPI_Comm comm);
/* Collective: root's string (malloc'ed) replaces *s on every other rank. */
void comm_bcast_string(char **s, int root, MPI_Comm comm);

/* Library version strings for provenance. */
void comm_library_version(char *buf, size_t len);

#endif
