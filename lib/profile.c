#include "lib/profile.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "lib/embedded.h"
#include "lib/util.h"

pcre2_code *profile_compile(const char *pattern, char **err) {
  return profile_compile_flags(pattern, 0, err);
}

pcre2_code *profile_compile_flags(const char *pattern, uint32_t options, char **err) {
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re =
      pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | options, &code, &offset, NULL);
  if (re) {
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
  }
  PCRE2_UCHAR msg[256];
  pcre2_get_error_message(code, msg, sizeof msg);
  *err = util_strdupf("regex error at offset %zu: %s", (size_t)offset, (char *)msg);
  return NULL;
}

static char *dup_str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? strdup(s) : NULL;
}

static int parse_marker(json_t *j, struct profile_marker *m, const char *what, char **err) {
  const char *name = json_string_value(json_object_get(j, "name"));
  const char *pattern = json_string_value(json_object_get(j, "pattern"));
  if (!name || !pattern) {
    *err = util_strdupf("every %s needs string fields name and pattern", what);
    return -EINVAL;
  }
  m->name = strdup(name);
  m->pattern = strdup(pattern);
  m->required = json_is_true(json_object_get(j, "required"));
  m->prompt = json_is_true(json_object_get(j, "prompt"));
  char *rerr = NULL;
  m->re = profile_compile(pattern, &rerr);
  if (!m->re) {
    *err = util_strdupf("%s %s: %s", what, name, rerr);
    free(rerr);
    return -EINVAL;
  }
  return 0;
}

static int parse_marker_list(json_t *arr, struct profile_marker **out, size_t *n, const char *what,
                             char **err) {
  if (arr && !json_is_array(arr)) {
    *err = util_strdupf("%ss must be an array", what);
    return -EINVAL;
  }
  *n = json_array_size(arr);
  *out = calloc(*n ? *n : 1, sizeof **out);
  if (!*out)
    return -ENOMEM;
  for (size_t i = 0; i < *n; i++) {
    int r = parse_marker(json_array_get(arr, i), &(*out)[i], what, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int parse_cpus(json_t *j, struct profile *p, char **err) {
  p->cpus_when_absent = -1;
  if (!j)
    return 0;
  const char *mode = json_string_value(json_object_get(j, "mode"));
  const char *pattern = json_string_value(json_object_get(j, "pattern"));
  if (!pattern || !mode || (strcmp(mode, "value") && strcmp(mode, "count"))) {
    *err = strdup("cpus_online needs a pattern and mode \"value\" or \"count\"");
    return -EINVAL;
  }
  p->cpus_mode = strcmp(mode, "value") == 0 ? PROFILE_CPUS_VALUE : PROFILE_CPUS_COUNT;
  json_t *absent = json_object_get(j, "when_absent");
  if (json_is_integer(absent))
    p->cpus_when_absent = (int)json_integer_value(absent);
  p->cpus_note = dup_str(j, "note");
  p->cpus_pattern = strdup(pattern);
  char *rerr = NULL;
  p->cpus_re = profile_compile(pattern, &rerr);
  if (!p->cpus_re) {
    *err = util_strdupf("cpus_online: %s", rerr);
    free(rerr);
    return -EINVAL;
  }
  return 0;
}

static int parse_unobservable(json_t *arr, struct profile *p) {
  p->n_unobservable = json_array_size(arr);
  p->unobservable = calloc(p->n_unobservable ? p->n_unobservable : 1, sizeof *p->unobservable);
  if (!p->unobservable)
    return -ENOMEM;
  for (size_t i = 0; i < p->n_unobservable; i++) {
    json_t *u = json_array_get(arr, i);
    p->unobservable[i].name = dup_str(u, "name");
    p->unobservable[i].symbol = dup_str(u, "symbol");
    p->unobservable[i].reason = dup_str(u, "reason");
    if (!p->unobservable[i].name)
      return -EINVAL;
  }
  return 0;
}

static int find_terminal(struct profile *p, const char *terminal, char **err) {
  for (size_t i = 0; terminal && i < p->n_markers; i++) {
    if (strcmp(p->markers[i].name, terminal) == 0) {
      p->terminal = i;
      return 0;
    }
  }
  *err = util_strdupf("terminal must name one of the profile's markers");
  return -EINVAL;
}

static int parse_root(json_t *root, struct profile *p, char **err) {
  p->name = dup_str(root, "name");
  p->description = dup_str(root, "description");
  if (!p->name) {
    *err = strdup("profile needs a string field name");
    return -EINVAL;
  }
  int r = parse_marker_list(json_object_get(root, "markers"), &p->markers, &p->n_markers, "marker",
                            err);
  if (r == 0 && p->n_markers == 0) {
    *err = strdup("profile needs at least one marker");
    r = -EINVAL;
  }
  if (r == 0)
    r = find_terminal(p, json_string_value(json_object_get(root, "terminal")), err);
  if (r == 0)
    r = parse_marker_list(json_object_get(root, "failures"), &p->failures, &p->n_failures,
                          "failure", err);
  if (r == 0)
    r = parse_cpus(json_object_get(root, "cpus_online"), p, err);
  if (r == 0)
    r = parse_unobservable(json_object_get(root, "unobservable"), p);
  if (r == -EINVAL && !*err)
    *err = strdup("every unobservable entry needs a name");
  p->vga = json_is_true(json_object_get(root, "vga"));
  json_t *notes = json_object_get(root, "arch_notes");
  if (r == 0 && notes) {
    const char *arch;
    json_t *v;
    json_object_foreach(notes, arch, v) if (!json_is_string(v)) r = -EINVAL;
    if (r < 0 || !json_is_object(notes))
      *err = strdup("arch_notes must map arch names to strings");
    else
      p->arch_notes = json_incref(notes);
    r = *err ? -EINVAL : r;
  }
  return r;
}

int profile_parse(const char *text, size_t len, struct profile **out, char **err) {
  *err = NULL;
  json_error_t jerr;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root || !json_is_object(root)) {
    *err =
        util_strdupf("invalid JSON at line %d: %s", jerr.line, root ? "not an object" : jerr.text);
    json_decref(root);
    return -EINVAL;
  }
  struct profile *p = calloc(1, sizeof *p);
  int r = p ? parse_root(root, p, err) : -ENOMEM;
  json_decref(root);
  if (r < 0) {
    profile_free(p);
    return r;
  }
  *out = p;
  return 0;
}

static void free_markers(struct profile_marker *m, size_t n) {
  for (size_t i = 0; m && i < n; i++) {
    free(m[i].name);
    free(m[i].pattern);
    pcre2_code_free(m[i].re);
  }
  free(m);
}

void profile_free(struct profile *p) {
  if (!p)
    return;
  free(p->name);
  free(p->description);
  free_markers(p->markers, p->n_markers);
  free_markers(p->failures, p->n_failures);
  pcre2_code_free(p->cpus_re);
  free(p->cpus_pattern);
  free(p->cpus_note);
  json_decref(p->arch_notes);
  for (size_t i = 0; p->unobservable && i < p->n_unobservable; i++) {
    free(p->unobservable[i].name);
    free(p->unobservable[i].symbol);
    free(p->unobservable[i].reason);
  }
  free(p->unobservable);
  free(p);
}

struct profile_set {
  struct profile **items;
  size_t n;
};

static int set_add(struct profile_set *set, struct profile *p) {
  for (size_t i = 0; i < set->n; i++) {
    if (strcmp(set->items[i]->name, p->name) == 0) {
      profile_free(set->items[i]);
      set->items[i] = p;
      return 0;
    }
  }
  struct profile **items = realloc(set->items, (set->n + 1) * sizeof *items);
  if (!items)
    return -ENOMEM;
  set->items = items;
  set->items[set->n++] = p;
  return 0;
}

struct profile_set *profile_set_new(char **err) {
  struct profile_set *set = calloc(1, sizeof *set);
  if (!set)
    return NULL;
  for (const struct embedded_file *f = embedded_profiles; f->name; f++) {
    struct profile *p;
    char *perr = NULL;
    if (profile_parse(f->text, f->len, &p, &perr) < 0 || set_add(set, p) < 0) {
      *err = util_strdupf("built-in profile %s: %s", f->name, perr ? perr : "out of memory");
      free(perr);
      profile_set_free(set);
      return NULL;
    }
  }
  return set;
}

static int load_one(struct profile_set *set, const char *dir, const char *file, char **err) {
  _cleanup_(util_freep) char *path = util_strdupf("%s/%s", dir, file);
  size_t len;
  _cleanup_(util_freep) char *text = path ? util_read_file(path, &len) : NULL;
  if (!text) {
    *err = util_strdupf("%s: %s", path ? path : file, strerror(errno));
    return -errno;
  }
  struct profile *p;
  char *perr = NULL;
  int r = profile_parse(text, len, &p, &perr);
  if (r < 0) {
    *err = util_strdupf("%s: %s", path, perr);
    free(perr);
    return r;
  }
  return set_add(set, p);
}

int profile_set_load_dir(struct profile_set *set, const char *dir, char **err) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : -errno;
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
      r = load_one(set, dir, e->d_name, err);
  }
  closedir(d);
  return r;
}

void profile_set_free(struct profile_set *set) {
  if (!set)
    return;
  for (size_t i = 0; i < set->n; i++)
    profile_free(set->items[i]);
  free(set->items);
  free(set);
}

const struct profile *profile_set_find(const struct profile_set *set, const char *name) {
  for (size_t i = 0; name && i < set->n; i++)
    if (strcmp(set->items[i]->name, name) == 0)
      return set->items[i];
  return NULL;
}

json_t *profile_set_json(const struct profile_set *set) {
  json_t *out = json_array();
  for (size_t i = 0; out && i < set->n; i++) {
    const struct profile *p = set->items[i];
    json_array_append_new(out, json_pack("{s:s, s:s?, s:s}", "name", p->name, "description",
                                         p->description, "terminal_marker",
                                         p->markers[p->terminal].name));
  }
  return out;
}

char *profile_set_names(const struct profile_set *set) {
  char *out = strdup("");
  for (size_t i = 0; out && i < set->n; i++) {
    char *next = util_strdupf("%s%s%s", out, i ? ", " : "", set->items[i]->name);
    free(out);
    out = next;
  }
  return out;
}
