/* Marker profiles: which console lines mark which boot phase of a guest.
 * Profiles are JSON data (schema/profiles/NAME.json, schema/json/profile.schema.json). */
#pragma once
#include <jansson.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>

struct profile_marker {
  char *name;
  char *pattern;
  pcre2_code *re;
  bool required; /* expected on every boot; listed in missing_markers when unseen */
  bool prompt;   /* may match a line still waiting for its newline (prompts) */
};

struct profile_unobservable {
  char *name;
  char *symbol; /* kernel function that marks the phase, or NULL */
  char *reason;
};

enum profile_cpus_mode { PROFILE_CPUS_NONE, PROFILE_CPUS_VALUE, PROFILE_CPUS_COUNT };

struct profile {
  char *name;
  char *description;
  struct profile_marker *markers;
  size_t n_markers;
  size_t terminal; /* index into markers */
  struct profile_marker *failures;
  size_t n_failures;
  enum profile_cpus_mode cpus_mode;
  pcre2_code *cpus_re;
  char *cpus_pattern;
  int cpus_when_absent; /* -1: cannot tell when nothing matched */
  char *cpus_note;
  struct profile_unobservable *unobservable;
  size_t n_unobservable;
  json_t *arch_notes; /* {"arm": "what a run of this profile on arm is not", ...} or NULL */
  bool vga;           /* x86 guests of this profile get a headless VGA adapter (MINIX needs one) */
};

/* Parses and compiles a profile; on error returns -EINVAL and sets *err (malloc'd). */
int profile_parse(const char *text, size_t len, struct profile **out, char **err);
/* Frees a profile (NULL is fine). */
void profile_free(struct profile *p);
/* Compiles one marker regex (UTF, multiline off); on error sets *err (malloc'd). */
pcre2_code *profile_compile(const char *pattern, char **err);
/* The same with more pcre2_compile options (PCRE2_MULTILINE, say). */
pcre2_code *profile_compile_flags(const char *pattern, uint32_t options, char **err);

struct profile_set;
/* Creates a set holding the built-in profiles; returns NULL on a broken built-in. */
struct profile_set *profile_set_new(char **err);
/* Adds every *.json in dir (a later profile of the same name replaces the earlier). */
int profile_set_load_dir(struct profile_set *set, const char *dir, char **err);
/* Frees the set and its profiles. */
void profile_set_free(struct profile_set *set);
/* Looks a profile up by name; NULL when unknown. */
const struct profile *profile_set_find(const struct profile_set *set, const char *name);
/* The profiles as [{"name","description","terminal_marker"}], in load order. */
json_t *profile_set_json(const struct profile_set *set);
/* Comma-separated names of all profiles (malloc'd), for error messages. */
char *profile_set_names(const struct profile_set *set);
