/* provenance.c -- build and run provenance (see provenance.h). */
#include <config.h>
#include "provenance.h"
#include "comm.h"
#include "h5io.h"

#include <cblas.h>
#include <fftw3.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* OpenBLAS reports its build and the kernel it runs with. */
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

void prov_version_line(char *buf, size_t len)
{
  snprintf(buf, len, "%s %s (git %s)", PACKAGE_NAME, PACKAGE_VERSION, WOW_GIT_DESCRIBE);
}

void prov_blas_warning(char *buf, size_t len)
{
  buf[0] = '\0';
#if defined(__GNUC__) && defined(__x86_64__)
  if (!openblas_get_corename || !__builtin_cpu_supports("avx2")) return;
  const char *core = openblas_get_corename();
  static const char *const modern[] = { "haswell", "zen", "skylakex", "cooperlake", "sapphirerapids" };
  for (size_t i = 0; i < sizeof modern / sizeof modern[0]; i++)
    if (strcasestr(core, modern[i])) return;
  snprintf(buf, len, "warning: OpenBLAS runs its '%s' kernel on a CPU with AVX2: GEMMs are several times slower "
                     "than they could be (OpenBLAS misdetects this CPU; OPENBLAS_CORETYPE=Haswell selects a faster kernel)", core);
#else
  (void)len;
#endif
}

void prov_collect(struct provenance *p, MPI_Comm world)
{
  memset(p, 0, sizeof *p);
  prov_version_line(p->version, sizeof p->version);
  snprintf(p->git, sizeof p->git, "%s", WOW_GIT_DESCRIBE);
  snprintf(p->configure, sizeof p->configure, "%s", WOW_CONFIGURE_ARGS);
  snprintf(p->cflags, sizeof p->cflags, "%s", WOW_BUILD_CFLAGS);
  snprintf(p->cc, sizeof p->cc, "%s", WOW_BUILD_CC);
  comm_library_version(p->mpi, sizeof p->mpi);
  h5io_version(p->hdf5, sizeof p->hdf5);
  snprintf(p->fftw, sizeof p->fftw, "%s", fftw_version);
  if (openblas_get_config)
    snprintf(p->blas, sizeof p->blas, "OpenBLAS %s, kernel %s", openblas_get_config(), openblas_get_corename ? openblas_get_corename() : "?");
  else
    snprintf(p->blas, sizeof p->blas, "CBLAS (not OpenBLAS)");
  p->ranks = comm_size(world);
  if (comm_rank(world) == 0) {
    gethostname(p->host, sizeof p->host - 1);
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(p->start, sizeof p->start, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  }
  comm_bcast_bytes(p->host, sizeof p->host, 0, world);
  comm_bcast_bytes(p->start, sizeof p->start, 0, world);
}

void prov_print(const struct provenance *p, FILE *out)
{
  fprintf(out, "%s\n  built with %s\n  MPI: %s\n  %s, FFTW %s\n  BLAS: %s\n  host %s, %d ranks (grid %d x %d), started %s\n",
          p->version, p->cc, p->mpi, p->hdf5, p->fftw, p->blas, p->host, p->ranks, p->Pc, p->Pl, p->start);
}

int prov_write_h5(const struct provenance *p, hid_t file, const char *group)
{
  const char *names[] = { "version", "git_describe", "configure_args", "cflags", "compiler", "mpi", "hdf5", "fftw", "blas", "host", "start_time" };
  const char *vals[] = { p->version, p->git, p->configure, p->cflags, p->cc, p->mpi, p->hdf5, p->fftw, p->blas, p->host, p->start };
  int rc = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) rc |= h5io_attr_string(file, group, names[i], vals[i]);
  rc |= h5io_attr_long(file, group, "ranks", p->ranks);
  rc |= h5io_attr_long(file, group, "class_groups", p->Pc);
  rc |= h5io_attr_long(file, group, "direction_groups", p->Pl);
  return rc;
}
