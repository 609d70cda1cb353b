/* deck.h -- the input deck: a declared schema, an INI-like parser, -P overrides and validation.
 *
 * Pure C, no MPI: rank 0 calls deck_load(); the run broadcasts deck_serialise()'s buffer and the
 * other ranks call deck_deserialise().  Every problem is collected as one line
 * "file:line: key 'section.key': reason" in a struct deck_errors; nothing is printed here.
 * Getters take the full key name; asking for an undeclared key is a programming error (wow_fail).
 * The deck owns all its strings; deck_free() releases them. */
#ifndef WOW_DECK_H
#define WOW_DECK_H

#include <stddef.h>
#include <stdio.h>

enum deck_type { DECK_INT, DECK_REAL, DECK_STRING, DECK_ENUM, DECK_BOOL, DECK_LIST };

/* deck_key.flags */
#define DECK_MUTABLE 1u  /* may change on restart */
#define DECK_AUTO 2u     /* accepts the word "auto" besides a value of its type */
#define DECK_MIN_OPEN 4u /* value > min instead of >= min */

struct deck_key {
  const char *name;    /* "section.key" */
  enum deck_type type;
  const char *def;     /* default as text; NULL = required */
  double min, max;     /* range of INT, REAL and of each LIST number */
  unsigned flags;
  const char *choices; /* ENUM: "a|b|c"; LIST: words allowed instead of numbers ("uniform|proportional") */
  const char *help;    /* one line */
};

enum deck_source { DECK_SRC_DEFAULT, DECK_SRC_FILE, DECK_SRC_OVERRIDE };

struct deck {
  const struct deck_key *schema;
  size_t nkeys;
  char **value;           /* resolved text of every key ("" when a required key is missing) */
  enum deck_source *src;
  int *line;              /* deck line, or the -P index (1-based) */
  char *file;             /* deck path as given */
  char *text;             /* deck text as given */
  char *overrides;        /* the -P arguments joined by newlines */
};

struct deck_errors {
  char **line;
  int n, cap;
};

/* The wowflow schema (deck_schema.c) and its cross-key rules. */
const struct deck_key *deck_schema(size_t *nkeys);
void deck_check_rules(const struct deck *dk, struct deck_errors *errs);

/* Read a whole file; returns 0, or -1 with a message in err. */
int deck_read_file(const char *path, char **text, char *err, size_t errlen);
/* Parse text (from file), apply overrides ("section.key=value"), validate, apply rules.
 * Returns the number of errors (the deck is usable only when 0). */
int deck_load(struct deck *dk, const struct deck_key *schema, size_t nkeys, const char *file,
              const char *text, char *const *overrides, int noverrides, struct deck_errors *errs);
void deck_free(struct deck *dk);

void deck_errors_add(struct deck_errors *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void deck_errors_free(struct deck_errors *errs);
/* "file:line" of key (for messages about a value in context). */
void deck_where(const struct deck *dk, const char *key, char *buf, size_t len);

const char *deck_str(const struct deck *dk, const char *key);
long deck_int(const struct deck *dk, const char *key);
double deck_real(const struct deck *dk, const char *key);
int deck_bool(const struct deck *dk, const char *key);
int deck_enum(const struct deck *dk, const char *key); /* index in choices */
int deck_is_auto(const struct deck *dk, const char *key);
/* LIST: number of items and item i as a number (words give NAN); deck_list_word: the word or NULL. */
int deck_list_len(const struct deck *dk, const char *key);
double deck_list_real(const struct deck *dk, const char *key, int i);
const char *deck_list_word(const struct deck *dk, const char *key);
int deck_key_index(const struct deck *dk, const char *key); /* -1 when undeclared */

/* Human table with the source of every value (rank 0 prints it). */
void deck_print(const struct deck *dk, FILE *out);
/* The resolved deck as a deck file (used.deck, /meta/deck_resolved); malloc'ed. */
char *deck_resolved_text(const struct deck *dk);
/* The reference deck documenting every key (input/reference.deck); malloc'ed. */
char *deck_reference_text(const struct deck_key *schema, size_t nkeys);

/* Byte buffer carrying a loaded deck to the other ranks. */
char *deck_serialise(const struct deck *dk, size_t *len);
void deck_deserialise(struct deck *dk, const struct deck_key *schema, size_t nkeys, const char *buf, size_t len);

#endif
