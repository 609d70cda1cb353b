/* deck.c -- INI-like deck parser with a declared schema (see deck.h). */
#include <config.h>
#include "deck.h"
#include "comm.h"
#include "mem.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ errors */

void deck_errors_add(struct deck_errors *e, const char *fmt, ...)
{
  if (e->n == e->cap) {
    e->cap = e->cap ? 2 * e->cap : 16;
    e->line = wow_realloc(e->line, (size_t)e->cap, sizeof *e->line, "deck errors");
  }
  va_list ap;
  va_start(ap, fmt);
  char buf[WOW_ERRLEN];
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  e->line[e->n++] = wow_strdup(buf);
}

void deck_errors_free(struct deck_errors *e)
{
  for (int i = 0; i < e->n; i++) free(e->line[i]);
  free(e->line);
  memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------ helpers */

static char *deck_trim(char *s)
{
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  return s;
}

static size_t deck_edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  size_t prev[65], cur[65];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, sizeof prev);
  }
  return prev[lb];
}

/* Closest declared key: same short name in another section wins, else edit distance <= 3. */
static const char *deck_suggest(const struct deck_key *schema, size_t nkeys, const char *name)
{
  const char *best = NULL;
  size_t bestd = 4;
  const char *dot = strchr(name, '.');
  const char *shortname = dot ? dot + 1 : name;
  for (size_t i = 0; i < nkeys; i++) {
    const char *kd = strchr(schema[i].name, '.');
    if (kd && strcmp(kd + 1, shortname) == 0) return schema[i].name;
    size_t d = deck_edit_distance(name, schema[i].name);
    if (d < bestd) { bestd = d; best = schema[i].name; }
  }
  return best;
}

static int deck_find(const struct deck_key *schema, size_t nkeys, const char *name)
{
  for (size_t i = 0; i < nkeys; i++)
    if (strcmp(schema[i].name, name) == 0) return (int)i;
  return -1;
}

static int deck_section_known(const struct deck_key *schema, size_t nkeys, const char *sec)
{
  size_t n = strlen(sec);
  for (size_t i = 0; i < nkeys; i++)
    if (strncmp(schema[i].name, sec, n) == 0 && schema[i].name[n] == '.') return 1;
  return 0;
}

static int deck_choice_index(const char *choices, const char *v)
{
  size_t n = strlen(v);
  int idx = 0;
  for (const char *p = choices; *p; idx++) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncmp(p, v, n) == 0) return idx;
    if (!bar) break;
    p = bar + 1;
  }
  return -1;
}

static void deck_choices_text(const char *choices, char *buf, size_t len)
{
  size_t k = 0;
  for (const char *p = choices; *p && k + 3 < len; p++) {
    if (*p == '|') { buf[k++] = ','; buf[k++] = ' '; }
    else buf[k++] = *p;
  }
  buf[k] = '\0';
}

static int deck_parse_long(const char *v, long *out)
{
  char *end = NULL;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (end == v || *end != '\0') return -1;
  if (errno == ERANGE || x > LONG_MAX || x < LONG_MIN) return -2;
  *out = (long)x;
  return 0;
}

static int deck_parse_double(const char *v, double *out)
{
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end != '\0') return -1;
  if (errno == ERANGE && fabs(x) > 1.0) return -2;
  if (!isfinite(x)) return -3;
  *out = x;
  return 0;
}

static int deck_parse_bool(const char *v)
{
  static const char *yes[] = { "true", "yes", "on", "1" }, *no[] = { "false", "no", "off", "0" };
  for (int i = 0; i < 4; i++) {
    if (strcmp(v, yes[i]) == 0) return 1;
    if (strcmp(v, no[i]) == 0) return 0;
  }
  return -1;
}

static int deck_in_range(const struct deck_key *k, double x)
{
  if (k->flags & DECK_MIN_OPEN) { if (!(x > k->min)) return 0; }
  else if (x < k->min) return 0;
  return x <= k->max;
}

static void deck_range_text(const struct deck_key *k, char *buf, size_t len)
{
  if (k->flags & DECK_MIN_OPEN) snprintf(buf, len, "greater than %.10g and at most %.10g", k->min, k->max);
  else snprintf(buf, len, "between %.10g and %.10g", k->min, k->max);
}

/* Check one number against the key's range; 0 or a reason in why. */
static int deck_check_number(const struct deck_key *k, const char *v, char *why, size_t len)
{
  char range[160];
  if (k->type == DECK_INT) {
    long x = 0;
    int rc = deck_parse_long(v, &x);
    if (rc == -1) { snprintf(why, len, "bad integer '%s'", v); return -1; }
    if (rc == -2) { snprintf(why, len, "integer '%s' overflows", v); return -1; }
    if (!deck_in_range(k, (double)x)) {
      deck_range_text(k, range, sizeof range);
      snprintf(why, len, "value %ld out of range: must be %s", x, range);
      return -1;
    }
    return 0;
  }
  double x = 0;
  int rc = deck_parse_double(v, &x);
  if (rc == -1) { snprintf(why, len, "bad number '%s'", v); return -1; }
  if (rc == -2) { snprintf(why, len, "number '%s' overflows a double", v); return -1; }
  if (rc == -3) { snprintf(why, len, "number '%s' is not finite", v); return -1; }
  if (!deck_in_range(k, x)) {
    deck_range_text(k, range, sizeof range);
    snprintf(why, len, "value %s out of range: must be %s", v, range);
    return -1;
  }
  return 0;
}

static int deck_check_list(const struct deck_key *k, const char *v, char *why, size_t len)
{
  if (k->choices && k->choices[0] && deck_choice_index(k->choices, v) >= 0) return 0;
  struct deck_key item = *k;
  item.type = DECK_REAL;
  const char *p = v;
  int n = 0;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    char tok[128];
    if (l >= sizeof tok) { snprintf(why, len, "list item too long"); return -1; }
    memcpy(tok, p, l);
    tok[l] = '\0';
    char *t = deck_trim(tok);
    if (!*t) { snprintf(why, len, "empty item %d in list '%s'", n + 1, v); return -1; }
    if (deck_check_number(&item, t, why, len) != 0) {
      if (k->choices && k->choices[0]) {
        char c[256];
        deck_choices_text(k->choices, c, sizeof c);
        size_t used = strlen(why);
        snprintf(why + used, len - used, " (expected numbers separated by commas, or one of: %s)", c);
      }
      return -1;
    }
    n++;
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

/* Validate v for key k; 0 or a reason. */
static int deck_check_value(const struct deck_key *k, const char *v, char *why, size_t len)
{
  if (!*v && k->type != DECK_STRING) { snprintf(why, len, "empty value"); return -1; }
  if ((k->flags & DECK_AUTO) && strcmp(v, "auto") == 0) return 0;
  char c[256];
  switch (k->type) {
  case DECK_INT:
  case DECK_REAL: return deck_check_number(k, v, why, len);
  case DECK_BOOL:
    if (deck_parse_bool(v) < 0) { snprintf(why, len, "bad boolean '%s' (use true or false)", v); return -1; }
    return 0;
  case DECK_ENUM:
    if (deck_choice_index(k->choices, v) < 0) {
      deck_choices_text(k->choices, c, sizeof c);
      snprintf(why, len, "bad value '%s': must be one of %s", v, c);
      return -1;
    }
    return 0;
  case DECK_LIST: return deck_check_list(k, v, why, len);
  case DECK_STRING: return 0;
  }
  return 0;
}

/* ------------------------------------------------------------------ loading */

int deck_read_file(const char *path, char **text, char *err, size_t errlen)
{
  FILE *f = fopen(path, "rb");
  if (!f) { snprintf(err, errlen, "%s: cannot open deck: %s", path, strerror(errno)); return -1; }
  struct strbuf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (memchr(chunk, '\0', n)) {
      fclose(f);
      free(strbuf_take(&b));
      snprintf(err, errlen, "%s: not a text deck (contains NUL bytes)", path);
      return -1;
    }
    strbuf_append(&b, chunk, n);
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) { free(strbuf_take(&b)); snprintf(err, errlen, "%s: read error", path); return -1; }
  *text = strbuf_take(&b);
  return 0;
}

static void deck_alloc(struct deck *dk, const struct deck_key *schema, size_t nkeys)
{
  memset(dk, 0, sizeof *dk);
  dk->schema = schema;
  dk->nkeys = nkeys;
  dk->value = WOW_ZNEW(char *, nkeys, "deck values");
  dk->src = WOW_ZNEW(enum deck_source, nkeys, "deck sources");
  dk->line = WOW_ZNEW(int, nkeys, "deck lines");
}

static void deck_set(struct deck *dk, int i, const char *v, enum deck_source src, int line)
{
  free(dk->value[i]);
  dk->value[i] = wow_strdup(v);
  dk->src[i] = src;
  dk->line[i] = line;
}

struct deck_parse_state {
  char section[64];
  int section_ok;  /* 0 after an unknown section: its keys are not reported again */
  int have_section;
  int *section_line; /* per key: line of its section header (for "missing" messages) */
};

static void deck_parse_line(struct deck *dk, struct deck_parse_state *st, char *raw, int lineno,
                            struct deck_errors *errs)
{
  const char *file = dk->file;
  char *hash = strpbrk(raw, "#;");
  if (hash) *hash = '\0';
  char *s = deck_trim(raw);
  if (!*s) return;
  if (*s == '[') {
    char *close = strchr(s, ']');
    if (!close || *deck_trim(close + 1)) {
      deck_errors_add(errs, "%s:%d: malformed section header '%s' (expected [name])", file, lineno, s);
      st->section_ok = 0;
      st->have_section = 1;
      return;
    }
    *close = '\0';
    char *name = deck_trim(s + 1);
    snprintf(st->section, sizeof st->section, "%s", name);
    st->have_section = 1;
    st->section_ok = deck_section_known(dk->schema, dk->nkeys, name);
    if (!st->section_ok) {
      char probe[96];
      snprintf(probe, sizeof probe, "%s.x", name);
      const char *sug = NULL;
      for (size_t i = 0; i < dk->nkeys && !sug; i++) {
        char sec[64];
        const char *dot = strchr(dk->schema[i].name, '.');
        size_t l = (size_t)(dot - dk->schema[i].name);
        if (l >= sizeof sec) continue;
        memcpy(sec, dk->schema[i].name, l);
        sec[l] = '\0';
        if (deck_edit_distance(sec, name) <= 2) sug = dk->schema[i].name;
      }
      if (sug) {
        char sec[64];
        size_t l = (size_t)(strchr(sug, '.') - sug);
        memcpy(sec, sug, l);
        sec[l] = '\0';
        deck_errors_add(errs, "%s:%d: section [%s]: unknown section (did you mean [%s]?)", file, lineno, name, sec);
      } else {
        deck_errors_add(errs, "%s:%d: section [%s]: unknown section", file, lineno, name);
      }
      return;
    }
    for (size_t i = 0; i < dk->nkeys; i++) {
      size_t l = strlen(name);
      if (strncmp(dk->schema[i].name, name, l) == 0 && dk->schema[i].name[l] == '.' && !st->section_line[i])
        st->section_line[i] = lineno;
    }
    return;
  }
  char *eq = strchr(s, '=');
  if (!eq) {
    deck_errors_add(errs, "%s:%d: malformed line '%s' (expected 'key = value' or '[section]')", file, lineno, s);
    return;
  }
  *eq = '\0';
  char *key = deck_trim(s), *val = deck_trim(eq + 1);
  if (!st->have_section) {
    deck_errors_add(errs, "%s:%d: key '%s': outside any [section]", file, lineno, key);
    return;
  }
  if (!st->section_ok) return;
  char full[160];
  snprintf(full, sizeof full, "%s.%s", st->section, key);
  int i = deck_find(dk->schema, dk->nkeys, full);
  if (i < 0) {
    const char *sug = deck_suggest(dk->schema, dk->nkeys, full);
    if (sug) deck_errors_add(errs, "%s:%d: key '%s': unknown key (did you mean '%s'?)", file, lineno, full, sug);
    else deck_errors_add(errs, "%s:%d: key '%s': unknown key", file, lineno, full);
    return;
  }
  if (dk->src[i] == DECK_SRC_FILE) {
    deck_errors_add(errs, "%s:%d: key '%s': duplicate key (first set on line %d)", file, lineno, full, dk->line[i]);
    return;
  }
  char why[512];
  if (deck_check_value(&dk->schema[i], val, why, sizeof why) != 0)
    deck_errors_add(errs, "%s:%d: key '%s': %s", file, lineno, full, why);
  deck_set(dk, (int)i, val, DECK_SRC_FILE, lineno); /* kept even when invalid: no "missing" error follows */
}

static void deck_apply_override(struct deck *dk, const char *arg, int idx, struct deck_errors *errs)
{
  const char *eq = strchr(arg, '=');
  char key[160];
  if (!eq || (size_t)(eq - arg) >= sizeof key) {
    deck_errors_add(errs, "-P:%d: malformed override '%s' (expected -P section.key=value)", idx, arg);
    return;
  }
  memcpy(key, arg, (size_t)(eq - arg));
  key[eq - arg] = '\0';
  char *k = deck_trim(key);
  char *val = wow_strdup(eq + 1);
  char *v = deck_trim(val);
  int i = deck_find(dk->schema, dk->nkeys, k);
  if (i < 0) {
    const char *sug = deck_suggest(dk->schema, dk->nkeys, k);
    if (sug) deck_errors_add(errs, "-P:%d: key '%s': unknown key (did you mean '%s'?)", idx, k, sug);
    else deck_errors_add(errs, "-P:%d: key '%s': unknown key", idx, k);
  } else {
    char why[512];
    if (deck_check_value(&dk->schema[i], v, why, sizeof why) != 0)
      deck_errors_add(errs, "-P:%d: key '%s': %s", idx, k, why);
    else
      deck_set(dk, i, v, DECK_SRC_OVERRIDE, idx);
  }
  free(val);
}

int deck_load(struct deck *dk, const struct deck_key *schema, size_t nkeys, const char *file,
              const char *text, char *const *overrides, int noverrides, struct deck_errors *errs)
{
  int before = errs->n;
  deck_alloc(dk, schema, nkeys);
  dk->file = wow_strdup(file);
  dk->text = wow_strdup(text);
  struct strbuf ov = {0};
  for (int i = 0; i < noverrides; i++) strbuf_printf(&ov, "%s%s", i ? "\n" : "", overrides[i]);
  dk->overrides = strbuf_take(&ov);

  struct deck_parse_state st = {0};
  st.section_line = WOW_ZNEW(int, nkeys, "deck section lines");
  char *copy = wow_strdup(text);
  int lineno = 0;
  for (char *p = copy; p;) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    size_t l = strlen(p);
    if (l && p[l - 1] == '\r') p[l - 1] = '\0';
    deck_parse_line(dk, &st, p, ++lineno, errs);
    p = nl ? nl + 1 : NULL;
  }
  if (lineno > 0 && text[0] && text[strlen(text) - 1] == '\n') lineno--;
  free(copy);

  for (int i = 0; i < noverrides; i++) deck_apply_override(dk, overrides[i], i + 1, errs);

  for (size_t i = 0; i < nkeys; i++) {
    if (dk->value[i]) continue;
    if (schema[i].def) { deck_set(dk, (int)i, schema[i].def, DECK_SRC_DEFAULT, 0); continue; }
    const char *dot = strchr(schema[i].name, '.');
    int at = st.section_line[i] ? st.section_line[i] : (lineno > 0 ? lineno : 1);
    deck_errors_add(errs, "%s:%d: key '%s': required key is missing (add '%s = ...' under [%.*s])", file, at,
                    schema[i].name, dot + 1, (int)(dot - schema[i].name), schema[i].name);
    deck_set(dk, (int)i, "", DECK_SRC_DEFAULT, 0);
  }
  free(st.section_line);
  if (errs->n == before) deck_check_rules(dk, errs);
  return errs->n - before;
}

void deck_free(struct deck *dk)
{
  if (!dk->value) return;
  for (size_t i = 0; i < dk->nkeys; i++) free(dk->value[i]);
  free(dk->value);
  free(dk->src);
  free(dk->line);
  free(dk->file);
  free(dk->text);
  free(dk->overrides);
  memset(dk, 0, sizeof *dk);
}

/* ------------------------------------------------------------------ getters */

int deck_key_index(const struct deck *dk, const char *key) { return deck_find(dk->schema, dk->nkeys, key); }

static int deck_need(const struct deck *dk, const char *key, enum deck_type t)
{
  int i = deck_find(dk->schema, dk->nkeys, key);
  if (i < 0) wow_fail("internal: deck key '%s' is not declared", key);
  if (dk->schema[i].type != t) wow_fail("internal: deck key '%s' read with the wrong type", key);
  return i;
}

void deck_where(const struct deck *dk, const char *key, char *buf, size_t len)
{
  int i = deck_find(dk->schema, dk->nkeys, key);
  if (i < 0 || dk->src[i] == DECK_SRC_DEFAULT) snprintf(buf, len, "%s:%d", dk->file ? dk->file : "deck", 0);
  else if (dk->src[i] == DECK_SRC_OVERRIDE) snprintf(buf, len, "-P:%d", dk->line[i]);
  else snprintf(buf, len, "%s:%d", dk->file, dk->line[i]);
}

const char *deck_str(const struct deck *dk, const char *key)
{
  int i = deck_find(dk->schema, dk->nkeys, key);
  if (i < 0) wow_fail("internal: deck key '%s' is not declared", key);
  return dk->value[i];
}

long deck_int(const struct deck *dk, const char *key)
{
  int i = deck_need(dk, key, DECK_INT);
  long x = 0;
  if (deck_parse_long(dk->value[i], &x) != 0) wow_fail("internal: deck key '%s' has no integer value", key);
  return x;
}

double deck_real(const struct deck *dk, const char *key)
{
  int i = deck_need(dk, key, DECK_REAL);
  double x = 0;
  if (deck_parse_double(dk->value[i], &x) != 0) wow_fail("internal: deck key '%s' has no numeric value", key);
  return x;
}

int deck_bool(const struct deck *dk, const char *key) { return deck_parse_bool(dk->value[deck_need(dk, key, DECK_BOOL)]); }

int deck_enum(const struct deck *dk, const char *key)
{
  int i = deck_need(dk, key, DECK_ENUM);
  return deck_choice_index(dk->schema[i].choices, dk->value[i]);
}

int deck_is_auto(const struct deck *dk, const char *key) { return strcmp(deck_str(dk, key), "auto") == 0; }

const char *deck_list_word(const struct deck *dk, const char *key)
{
  int i = deck_need(dk, key, DECK_LIST);
  if (dk->schema[i].choices && deck_choice_index(dk->schema[i].choices, dk->value[i]) >= 0) return dk->value[i];
  return NULL;
}

int deck_list_len(const struct deck *dk, const char *key)
{
  int i = deck_need(dk, key, DECK_LIST);
  int n = 1;
  for (const char *p = dk->value[i]; *p; p++) n += (*p == ',');
  return n;
}

double deck_list_real(const struct deck *dk, const char *key, int item)
{
  int i = deck_need(dk, key, DECK_LIST);
  if (deck_list_word(dk, key)) return NAN;
  const char *p = dk->value[i];
  for (int k = 0; k < item && p; k++) {
    p = strchr(p, ',');
    if (p) p++;
  }
  if (!p) wow_fail("internal: list '%s' has no item %d", key, item);
  return strtod(p, NULL);
}

/* ------------------------------------------------------------------ printing */

static void deck_source_text(const struct deck *dk, size_t i, char *buf, size_t len)
{
  switch (dk->src[i]) {
  case DECK_SRC_DEFAULT: snprintf(buf, len, "default"); break;
  case DECK_SRC_FILE: snprintf(buf, len, "deck line %d", dk->line[i]); break;
  case DECK_SRC_OVERRIDE: snprintf(buf, len, "-P #%d", dk->line[i]); break;
  }
}

void deck_print(const struct deck *dk, FILE *out)
{
  fprintf(out, "resolved deck (%s):\n", dk->file);
  for (size_t i = 0; i < dk->nkeys; i++) {
    char src[64];
    deck_source_text(dk, i, src, sizeof src);
    fprintf(out, "  %-26s = %-24s  [%s]\n", dk->schema[i].name, dk->value[i], src);
  }
}

char *deck_resolved_text(const struct deck *dk)
{
  struct strbuf b = {0};
  strbuf_printf(&b, "# resolved deck: every key with its value and where the value came from\n");
  strbuf_printf(&b, "# deck file: %s\n", dk->file);
  char section[64] = "";
  for (size_t i = 0; i < dk->nkeys; i++) {
    const char *name = dk->schema[i].name, *dot = strchr(name, '.');
    size_t l = (size_t)(dot - name);
    if (strlen(section) != l || strncmp(section, name, l) != 0) {
      snprintf(section, sizeof section, "%.*s", (int)l, name);
      strbuf_printf(&b, "\n[%s]\n", section);
    }
    char src[64];
    deck_source_text(dk, i, src, sizeof src);
    strbuf_printf(&b, "%-16s = %-24s # %s\n", dot + 1, dk->value[i], src);
  }
  return strbuf_take(&b);
}

char *deck_reference_text(const struct deck_key *schema, size_t nkeys)
{
  struct strbuf b = {0};
  strbuf_printf(&b, "# reference.deck -- every key wowflow understands, with its default and meaning.\n"
                    "# Generated by 'wowflow --reference-deck' from the schema in src/deck_schema.c;\n"
                    "# a test keeps this file equal to the schema. Keys marked (required) have no\n"
                    "# default; keys marked (restart: may change) may differ when restarting.\n"
                    "# Override any key on the command line: wowflow deck -P section.key=value\n");
  char section[64] = "";
  for (size_t i = 0; i < nkeys; i++) {
    const struct deck_key *k = &schema[i];
    const char *dot = strchr(k->name, '.');
    size_t l = (size_t)(dot - k->name);
    if (strlen(section) != l || strncmp(section, k->name, l) != 0) {
      snprintf(section, sizeof section, "%.*s", (int)l, k->name);
      strbuf_printf(&b, "\n[%s]\n", section);
    }
    char extra[256] = "";
    if (k->type == DECK_ENUM || (k->type == DECK_LIST && k->choices && k->choices[0])) {
      char c[200];
      deck_choices_text(k->choices, c, sizeof c);
      snprintf(extra, sizeof extra, " One of: %s%s.", c, k->type == DECK_LIST ? ", or a list of numbers" : "");
    } else if (k->type == DECK_INT || k->type == DECK_REAL) {
      char r[160];
      deck_range_text(k, r, sizeof r);
      snprintf(extra, sizeof extra, " Range: %s%s.", r, (k->flags & DECK_AUTO) ? ", or auto" : "");
    }
    strbuf_printf(&b, "# %s%s%s\n", k->help, extra, (k->flags & DECK_MUTABLE) ? " (restart: may change)" : "");
    if (k->def) strbuf_printf(&b, "%s = %s\n", dot + 1, k->def);
    else strbuf_printf(&b, "# %s = ...   (required)\n", dot + 1);
  }
  return strbuf_take(&b);
}

/* ------------------------------------------------------------------ serialisation */

static void deck_put(struct strbuf *b, const char *s)
{
  size_t n = strlen(s);
  strbuf_printf(b, "%zu:", n);
  strbuf_append(b, s, n);
}

static char *deck_get(const char **p, const char *end)
{
  char *colon = NULL;
  unsigned long long n = strtoull(*p, &colon, 10);
  if (!colon || *colon != ':' || colon + 1 + n > end) wow_fail("internal: corrupt deck buffer");
  char *s = WOW_NEW(char, n + 1, "deck string");
  memcpy(s, colon + 1, n);
  s[n] = '\0';
  *p = colon + 1 + n;
  return s;
}

char *deck_serialise(const struct deck *dk, size_t *len)
{
  struct strbuf b = {0};
  deck_put(&b, dk->file);
  deck_put(&b, dk->text);
  deck_put(&b, dk->overrides);
  for (size_t i = 0; i < dk->nkeys; i++) {
    char meta[32];
    snprintf(meta, sizeof meta, "%d %d", (int)dk->src[i], dk->line[i]);
    deck_put(&b, meta);
    deck_put(&b, dk->value[i]);
  }
  *len = b.len;
  return strbuf_take(&b);
}

void deck_deserialise(struct deck *dk, const struct deck_key *schema, size_t nkeys, const char *buf, size_t len)
{
  deck_alloc(dk, schema, nkeys);
  const char *p = buf, *end = buf + len;
  dk->file = deck_get(&p, end);
  dk->text = deck_get(&p, end);
  dk->overrides = deck_get(&p, end);
  for (size_t i = 0; i < nkeys; i++) {
    char *meta = deck_get(&p, end);
    int src = 0, line = 0;
    if (sscanf(meta, "%d %d", &src, &line) != 2) wow_fail("internal: corrupt deck buffer");
    free(meta);
    dk->src[i] = (enum deck_source)src;
    dk->line[i] = line;
    dk->value[i] = deck_get(&p, end);
  }
}
