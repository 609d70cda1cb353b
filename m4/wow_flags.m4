# wow_flags.m4 -- wowflow's own small autoconf helpers (no network, no autoconf-archive).
#
# WOW_ADD_CFLAG_IF_WORKS(FLAG, VAR): append FLAG to VAR when the C compiler accepts it
# (with -Werror so that unknown-warning diagnostics count as failures).
AC_DEFUN([WOW_ADD_CFLAG_IF_WORKS], [
  AS_VAR_PUSHDEF([wow_cache], [wow_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [wow_cache], [
    wow_save_CFLAGS="$CFLAGS"
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([wow_cache], [yes])], [AS_VAR_SET([wow_cache], [no])])
    CFLAGS="$wow_save_CFLAGS"])
  AS_VAR_IF([wow_cache], [yes], [$2="$$2 $1"])
  AS_VAR_POPDEF([wow_cache])
])

# WOW_ADD_LDFLAG_IF_WORKS(FLAG, VAR): the same for flags that must also link.
AC_DEFUN([WOW_ADD_LDFLAG_IF_WORKS], [
  AS_VAR_PUSHDEF([wow_cache], [wow_cv_ldflag_$1])
  AC_CACHE_CHECK([whether $CC links with $1], [wow_cache], [
    wow_save_CFLAGS="$CFLAGS"; wow_save_LDFLAGS="$LDFLAGS"
    CFLAGS="$CFLAGS $1"; LDFLAGS="$LDFLAGS $1"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([wow_cache], [yes])], [AS_VAR_SET([wow_cache], [no])])
    CFLAGS="$wow_save_CFLAGS"; LDFLAGS="$wow_save_LDFLAGS"])
  AS_VAR_IF([wow_cache], [yes], [$2="$$2 $1"])
  AS_VAR_POPDEF([wow_cache])
])
