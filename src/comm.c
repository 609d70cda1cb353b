/* comm.c -- MPI wrappers, the 2D grid and the failure paths (see comm.h). */
#include <config.h>
#include "comm.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static void comm_check_rc(int rc, const char *what)
{
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  wow_fail("MPI error in %s: %s", what, msg);
}

void comm_init(int *argc, char ***argv)
{
  /* Open MPI's MPI-IO (OMPIO) opens every file with its shared-file-pointer component "sm", which
   * keeps a named semaphore, /dev/shm/sem.OMPIO_<file name>, locked while a rank is inside it.  A
   * rank killed there (kill -9, a job's time limit) leaves it locked, and every later open of a
   * file of that name on the node hangs: the restart's checkpoint of the same step, another run's
   * (reproduced). wowflow never uses shared file pointers: "individual" is named instead, unless
   * the user has set the parameter ("lockedfile", the next choice, creates a lock file beside the
   * checkpoint at each open, and hung on a full disk). Other MPIs ignore the variable. */
  setenv("OMPI_MCA_sharedfp", "individual", 0);
  MPI_Init(argc, argv);
}

static int comm_mpi_up(void)
{
  int up = 0, down = 0;
  MPI_Initialized(&up);
  MPI_Finalized(&down);
  return up && !down;
}

_Noreturn void wow_fail(const char *fmt, ...)
{
  int rank = 0;
  if (comm_mpi_up()) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char msg[WOW_ERRLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fflush(stdout);
  fprintf(stderr, "wowflow: error [rank %d]: %s\n", rank, msg); /* one write: lines from several ranks never mix */
  fflush(stderr);
  if (comm_mpi_up()) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
  }
  _exit(1);
}

/* Every rank of comm calls this; comm must span the whole job (the only case in wowflow).
 * After the barrier every rank leaves with status 1 without MPI_Finalize: libraries' finalize
 * hooks (HDF5 closing a file whose close already failed on a full disk) can crash, and an exit
 * after an error must not. */
static _Noreturn void comm_exit_all(MPI_Comm comm)
{
  fflush(stdout);
  fflush(stderr);
  int world = 1, here = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  MPI_Comm_size(comm, &here);
  if (here != world) MPI_Abort(MPI_COMM_WORLD, 1);
  MPI_Barrier(comm);
  _exit(1);
}

_Noreturn void wow_fail_all(MPI_Comm comm, const char *fmt, ...)
{
  if (comm_rank(comm) == 0) {
    char msg[WOW_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "wowflow: error: %s\n", msg); /* one write */
  }
  comm_exit_all(comm);
}

int comm_first_message(MPI_Comm comm, const char *local_msg, char *out, size_t len)
{
  int rank = comm_rank(comm);
  int mine = (local_msg && local_msg[0]) ? rank : INT_MAX, first = INT_MAX;
  comm_check_rc(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce (first message)");
  if (len) out[0] = '\0';
  if (first == INT_MAX) return 0;
  char msg[WOW_ERRLEN] = {0};
  if (rank == first) snprintf(msg, sizeof msg, "%s", local_msg);
  comm_check_rc(MPI_Bcast(msg, WOW_ERRLEN, MPI_CHAR, first, comm), "MPI_Bcast (message)");
  msg[WOW_ERRLEN - 1] = '\0';
  snprintf(out, len, "%s", msg);
  return 1;
}

void comm_check_all(MPI_Comm comm, const char *local_msg)
{
  char msg[WOW_ERRLEN];
  if (!comm_first_message(comm, local_msg, msg, sizeof msg)) return;
  fflush(stdout);
  if (comm_rank(comm) == 0) fprintf(stderr, "wowflow: error: %s\n", msg);
  comm_exit_all(comm);
}

int comm_all_ok(MPI_Comm comm, int ok)
{
  int in = ok != 0, out = 0;
  comm_check_rc(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, comm), "MPI_Allreduce (agreement)");
  return out;
}

void comm_set_error_handler(MPI_Comm comm)
{
  comm_check_rc(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

int comm_rank(MPI_Comm comm)
{
  int r = 0;
  comm_check_rc(MPI_Comm_rank(comm, &r), "MPI_Comm_rank");
  return r;
}

int comm_size(MPI_Comm comm)
{
  int s = 1;
  comm_check_rc(MPI_Comm_size(comm, &s), "MPI_Comm_size");
  return s;
}

double comm_wtime(void) { return MPI_Wtime(); }

void comm_barrier(MPI_Comm comm) { comm_check_rc(MPI_Barrier(comm), "MPI_Barrier"); }

void comm_grid_create(MPI_Comm world, int Pc, struct comm_grid *g)
{
  memset(g, 0, sizeof *g);
  g->world = world;
  g->rank = comm_rank(world);
  g->size = comm_size(world);
  if (Pc < 1 || g->size % Pc != 0) wow_fail("internal: %d class groups do not divide %d ranks", Pc, g->size);
  g->Pc = Pc;
  g->Pl = g->size / Pc;
  g->pc = g->rank / g->Pl;
  g->pl = g->rank % g->Pl;
  comm_check_rc(MPI_Comm_split(world, g->pl, g->pc, &g->class_comm), "MPI_Comm_split (class)");
  comm_check_rc(MPI_Comm_split(world, g->pc, g->pl, &g->dir_comm), "MPI_Comm_split (directions)");
  comm_set_error_handler(g->class_comm);
  comm_set_error_handler(g->dir_comm);
}

void comm_grid_free(struct comm_grid *g)
{
  if (g->class_comm != MPI_COMM_NULL) MPI_Comm_free(&g->class_comm);
  if (g->dir_comm != MPI_COMM_NULL) MPI_Comm_free(&g->dir_comm);
  g->class_comm = g->dir_comm = MPI_COMM_NULL;
}

/* MPI counts are int: reduce in chunks so that any size works. */
static void comm_reduce_doubles(double *buf, size_t n, MPI_Op op, MPI_Comm comm)
{
  const size_t chunk = (size_t)1 << 28;
  for (size_t off = 0; off < n; off += chunk) {
    size_t k = n - off < chunk ? n - off : chunk;
    comm_check_rc(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_DOUBLE, op, comm), "MPI_Allreduce (doubles)");
  }
}

void comm_isum_doubles(double *buf, size_t n, MPI_Comm comm, MPI_Request *req)
{
  comm_check_rc(MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, comm, req), "MPI_Iallreduce (sum)");
}

void comm_test_all(int n, MPI_Request *req)
{
  int done;
  if (n > 0) comm_check_rc(MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE), "MPI_Testall");
}

void comm_wait_all(int n, MPI_Request *req)
{
  if (n > 0) comm_check_rc(MPI_Waitall(n, req, MPI_STATUSES_IGNORE), "MPI_Waitall");
}

void comm_max_doubles(double *buf, size_t n, MPI_Comm comm) { comm_reduce_doubles(buf, n, MPI_MAX, comm); }

void comm_sum_doubles(double *buf, size_t n, MPI_Comm comm)
{
  comm_reduce_doubles(buf, n, MPI_SUM, comm);
}

static double comm_reduce1(double x, MPI_Op op, MPI_Comm comm)
{
  double y = 0;
  comm_check_rc(MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, op, comm), "MPI_Allreduce (scalar)");
  return y;
}

double comm_sum_double(double x, MPI_Comm comm) { return comm_reduce1(x, MPI_SUM, comm); }
double comm_max_double(double x, MPI_Comm comm) { return comm_reduce1(x, MPI_MAX, comm); }
double comm_min_double(double x, MPI_Comm comm) { return comm_reduce1(x, MPI_MIN, comm); }

long comm_sum_long(long x, MPI_Comm comm)
{
  long y = 0;
  comm_check_rc(MPI_Allreduce(&x, &y, 1, MPI_LONG, MPI_SUM, comm), "MPI_Allreduce (long sum)");
  return y;
}

long comm_max_long(long x, MPI_Comm comm)
{
  long y = 0;
  comm_check_rc(MPI_Allreduce(&x, &y, 1, MPI_LONG, MPI_MAX, comm), "MPI_Allreduce (long max)");
  return y;
}

void comm_stats_double(double x, MPI_Comm comm, double *mn, double *mean, double *mx, int *rmin, int *rmax)
{
  struct { double v; int r; } in = { x, comm_rank(comm) }, lo, hi;
  comm_check_rc(MPI_Allreduce(&in, &lo, 1, MPI_DOUBLE_INT, MPI_MINLOC, comm), "MPI_Allreduce (minloc)");
  comm_check_rc(MPI_Allreduce(&in, &hi, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm), "MPI_Allreduce (maxloc)");
  *mn = lo.v; *rmin = lo.r;
  *mx = hi.v; *rmax = hi.r;
  *mean = comm_sum_double(x, comm) / comm_size(comm);
}

void comm_gather_layout(const size_t *counts, int n, int **cnt, int **dsp)
{
  size_t total = 0;
  for (int r = 0; r < n; r++) total += counts[r];
  if (total > INT_MAX) wow_fail("allgather of %zu doubles exceeds the MPI count limit; use more class groups", total);
  *cnt = WOW_NEW(int, n, "allgather counts");
  *dsp = WOW_NEW(int, n, "allgather displacements");
  int off = 0;
  for (int r = 0; r < n; r++) { (*cnt)[r] = (int)counts[r]; (*dsp)[r] = off; off += (*cnt)[r]; }
}

void comm_allgatherv_doubles(const double *send, double *recv, const int *cnt, const int *dsp, MPI_Comm comm)
{
  int rank = comm_rank(comm);
  const void *sbuf = (send == recv + dsp[rank]) ? MPI_IN_PLACE : (const void *)send;
  comm_check_rc(MPI_Allgatherv(sbuf, cnt[rank], MPI_DOUBLE, recv, cnt, dsp, MPI_DOUBLE, comm), "MPI_Allgatherv");
}

void comm_reduce_scatter_doubles(double *buf, const int *cnt, const int *dsp, double *work, MPI_Comm comm)
{
  const int rank = comm_rank(comm);
  comm_check_rc(MPI_Reduce_scatter(buf, work, cnt, MPI_DOUBLE, MPI_SUM, comm), "MPI_Reduce_scatter");
  memcpy(buf + dsp[rank], work, (size_t)cnt[rank] * sizeof(double));
}

int comm_one_node(MPI_Comm comm)
{
  MPI_Comm node;
  comm_check_rc(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  const int one = comm_size(node) == comm_size(comm);
  MPI_Comm_free(&node);
  return comm_all_ok(comm, one);
}

/* Test hook (tests/test_invariance.sh): WOWFLOW_FAULT=shared_memory_full makes comm_shared_create
 * reserve more than /dev/shm holds, so that the real failure path runs (the kernel refuses such a
 * size at once); shared_memory_full:R does so only on world rank R. */
static int comm_fault_shm_full(void)
{
  const char *f = getenv("WOWFLOW_FAULT"), *key = "shared_memory_full";
  if (!f || strncmp(f, key, strlen(key)) != 0) return 0;
  f += strlen(key);
  if (*f == '\0') return 1;
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  return *f == ':' && atoi(f + 1) == world_rank;
}

int comm_node_ranks(MPI_Comm comm)
{
  MPI_Comm node;
  comm_check_rc(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  const int R = comm_size(node), local = comm_rank(node), rank = comm_rank(comm);
  MPI_Comm_free(&node);
  /* node by node: rank r is the (r mod R)-th of its node, and every node has R ranks */
  const int ok = comm_all_ok(comm, rank % R == local) && (long)comm_max_long(R, comm) == (long)R && comm_size(comm) % R == 0;
  return comm_all_ok(comm, ok) ? R : 0;
}

/* Rank 0's part of comm_shared_alloc: a fresh name, the object sized and its pages reserved. */
static int comm_shared_create(char *name, size_t nlen, size_t bytes, char *msg, size_t len)
{
  /* /wowflow.PID.K, the first K free: this process unlinks each name before it makes the next, so
   * K > 0 only past objects that an earlier process of the same PID left (killed between the two) */
  int fd = -1;
  for (int k = 0; k < 64 && fd < 0; k++) {
    snprintf(name, nlen, "/wowflow.%ld.%d", (long)getpid(), k);
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) { snprintf(msg, len, "shm_open %s: %s", name, strerror(errno)); return -1; }
  off_t want = (off_t)bytes;
  struct statvfs fs;
  if (comm_fault_shm_full() && statvfs("/dev/shm", &fs) == 0 && fs.f_blocks > 0)
    want = (off_t)((double)fs.f_blocks * (double)fs.f_frsize) + (off_t)bytes + ((off_t)1 << 20);
  int rc = ftruncate(fd, want) ? errno : 0;
  while (rc == 0 && (rc = posix_fallocate(fd, 0, want)) == EINTR) /* tmpfs gives up when a signal arrives: ask again */
    rc = 0;
  if (rc) {
    snprintf(msg, len, "reserving %.0f bytes of POSIX shared memory: %s", (double)want, strerror(rc));
    shm_unlink(name);
  }
  close(fd);
  return rc ? -1 : 0;
}

static void *comm_shared_map(const char *name, size_t bytes, char *msg, size_t len)
{
  int fd = shm_open(name, O_RDWR, 0600);
  if (fd < 0) { snprintf(msg, len, "shm_open %s: %s", name, strerror(errno)); return NULL; }
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) { snprintf(msg, len, "mmap of %zu shared bytes: %s", bytes, strerror(errno)); return NULL; }
  return p;
}

void *comm_shared_alloc(MPI_Comm comm, size_t bytes, char *msg, size_t len)
{
  char name[64] = "", mine[WOW_ERRLEN] = "";
  if (bytes == 0) bytes = 1;
  const int root = comm_rank(comm) == 0;
  int ok = root ? comm_shared_create(name, sizeof name, bytes, mine, sizeof mine) == 0 : 1;
  comm_bcast_bytes(&ok, sizeof ok, 0, comm);
  if (!ok) {
    comm_bcast_bytes(mine, sizeof mine, 0, comm);
    snprintf(msg, len, "%s", mine);
    return NULL;
  }
  comm_bcast_bytes(name, sizeof name, 0, comm);
  void *p = comm_shared_map(name, bytes, mine, sizeof mine);
  comm_barrier(comm); /* every rank has opened the name */
  if (root) shm_unlink(name);
  if (!comm_first_message(comm, p ? "" : mine, msg, len)) return p;
  if (p) munmap(p, bytes);
  return NULL;
}

void comm_shared_free(void *p, size_t bytes)
{
  if (p) munmap(p, bytes ? bytes : 1);
}

void comm_shared_sync(MPI_Comm comm)
{
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* this rank's stores before the barrier, the others' loads after it */
  comm_barrier(comm);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void comm_bcast_bytes(void *buf, size_t n, int root, MPI_Comm comm)
{
  const size_t chunk = (size_t)1 << 30;
  for (size_t off = 0; off < n; off += chunk) {
    size_t k = n - off < chunk ? n - off : chunk;
    comm_check_rc(MPI_Bcast((char *)buf + off, (int)k, MPI_BYTE, root, comm), "MPI_Bcast");
  }
}

void comm_bcast_string(char **s, int root, MPI_Comm comm)
{
  long len = (comm_rank(comm) == root) ? (long)strlen(*s) : 0;
  comm_check_rc(MPI_Bcast(&len, 1, MPI_LONG, root, comm), "MPI_Bcast (string length)");
  if (comm_rank(comm) != root) {
    free(*s);
    *s = WOW_NEW(char, len + 1, "broadcast string");
    (*s)[len] = '\0';
  }
  comm_bcast_bytes(*s, (size_t)len, root, comm);
}

void comm_library_version(char *buf, size_t len)
{
  char v[MPI_MAX_LIBRARY_VERSION_STRING] = {0};
  int n = 0;
  MPI_Get_library_version(v, &n);
  char *nl = strchr(v, '\n');
  if (nl) *nl = '\0';
  snprintf(buf, len, "%s", v);
}
