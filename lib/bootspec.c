#include "lib/bootspec.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/elf_symbols.h"
#include "lib/guest_memory.h"
#include "lib/util.h"

enum field_type { F_STR, F_INT, F_STRARR, F_BOOL, F_SCENARIO };

struct field {
  const char *name;
  enum field_type type;
  size_t offset;
  int min, max;
};

#define UNSTORED ((size_t)-1) /* validated, not kept in the spec */
#define STR(n)                                                                                     \
  { #n, F_STR, offsetof(struct boot_spec, n), 0, 0 }
#define INT(n, lo, hi)                                                                             \
  { #n, F_INT, offsetof(struct boot_spec, n), lo, hi }

static const struct field fields[] = {
    STR(arch),
    INT(cpus, 1, 64),
    INT(memory_mb, 16, 65536),
    STR(kernel),
    {"initrd", F_STRARR, UNSTORED, 0, 0},
    STR(append),
    STR(iso),
    STR(disk),
    {"image", F_STR, UNSTORED, 0, 0},
    STR(profile),
    STR(until),
    STR(accel),
    INT(timeout_s, 1, 86400),
    INT(silence_timeout_s, 1, 3600),
    INT(accel_stall_s, 1, 3600),
    STR(label),
    INT(memory_sample_ms, 10, 60000),
    INT(duration_s, 1, 3600),
    {"keep_overlay", F_BOOL, offsetof(struct boot_spec, keep_overlay), 0, 0},
    {"symbols", F_BOOL, offsetof(struct boot_spec, symbols), 0, 0},
    {"trap_counts", F_BOOL, offsetof(struct boot_spec, trap_counts), 0, 0},
    INT(guest_memory_ms, 200, 60000),
    {"scenario", F_SCENARIO, UNSTORED, 0, 0},
    STR(clock),
    INT(icount_shift, 0, 10),
};

static int bad(struct ma_error *err, const char *code, const char *field, const char *msg) {
  ma_error_set(err, EINVAL, code, field, "%s", msg);
  return -EINVAL;
}

static int set_strarr(struct boot_spec *s, json_t *v, struct ma_error *err) {
  if (!json_is_array(v))
    return bad(err, "wrong_type", "initrd", "initrd must be an array of absolute paths");
  /* Each path is resolved and checked on the loop: a bound keeps that short. */
  if (json_array_size(v) > BOOTSPEC_MAX_INITRD)
    return bad(err, "out_of_range", "initrd", "initrd takes at most 64 files");
  s->n_initrd = json_array_size(v);
  s->initrd = calloc(s->n_initrd + 1, sizeof *s->initrd);
  for (size_t i = 0; s->initrd && i < s->n_initrd; i++) {
    json_t *item = json_array_get(v, i);
    if (!json_is_string(item))
      return bad(err, "wrong_type", "initrd", "initrd must be an array of absolute paths");
    s->initrd[i] = strdup(json_string_value(item));
  }
  return s->initrd ? 0 : -ENOMEM;
}

/* A shipped scenario by name, or a whole definition. */
static int set_scenario(struct boot_spec *s, json_t *v, struct ma_error *err) {
  if (json_is_string(v))
    return scenario_builtin(json_string_value(v), &s->scenario, err) < 0 ? -EINVAL : 0;
  if (!json_is_object(v))
    return bad(err, "wrong_type", "scenario",
               "scenario must be the name of a shipped scenario or a definition");
  return scenario_parse(v, &s->scenario, err);
}

static int set_field(struct boot_spec *s, const struct field *f, json_t *v, struct ma_error *err) {
  if (f->type == F_STRARR)
    return set_strarr(s, v, err);
  if (f->type == F_SCENARIO)
    return set_scenario(s, v, err);
  if (f->type == F_BOOL) {
    if (!json_is_boolean(v)) {
      ma_error_set(err, EINVAL, "wrong_type", f->name, "%s must be true or false", f->name);
      return -EINVAL;
    }
    *(bool *)((char *)s + f->offset) = json_is_true(v);
    return 0;
  }
  if (f->type == F_STR) {
    if (!json_is_string(v)) {
      ma_error_set(err, EINVAL, "wrong_type", f->name, "%s must be a string", f->name);
      return -EINVAL;
    }
    if (f->offset != UNSTORED)
      *(char **)((char *)s + f->offset) = strdup(json_string_value(v));
    return 0;
  }
  json_int_t n = json_integer_value(v);
  if (!json_is_integer(v)) {
    ma_error_set(err, EINVAL, "wrong_type", f->name, "%s must be an integer", f->name);
    return -EINVAL;
  }
  if (n < f->min || n > f->max) {
    ma_error_set(err, EINVAL, "out_of_range", f->name, "%s must be between %d and %d, got %lld",
                 f->name, f->min, f->max, (long long)n);
    return -EINVAL;
  }
  *(int *)((char *)s + f->offset) = (int)n;
  return 0;
}

static const struct field *find_field(const char *name) {
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strcmp(fields[i].name, name) == 0)
      return &fields[i];
  return NULL;
}

static int read_fields(json_t *req, struct boot_spec *s, struct ma_error *err) {
  const char *key;
  json_t *v;
  json_object_foreach(req, key, v) {
    const struct field *f = find_field(key);
    if (!f) {
      ma_error_set(err, EINVAL, "unknown_field", key, "unknown field \"%s\"", key);
      return -EINVAL;
    }
    int r = set_field(s, f, v, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* QEMU's multiboot loader (hw/i386/multiboot.c) reads -initrd as a list split at commas (",," is a
 * comma) and takes a module's file name up to its first space, the rest being the module's
 * arguments: a space cannot be quoted at all, so "/dir/link x" would open /dir/link, a file the
 * policy never judged. A comma could be doubled, but the Linux loader reads the same option as one
 * file name, and which loader QEMU uses depends on the kernel's header, not on the request: both
 * are refused, whatever the kernel. */
static int check_initrd_name(const char *path, struct ma_error *err) {
  if (strpbrk(path, " ,"))
    return bad(err, "invalid_path", "initrd",
               "initrd paths must not contain spaces or commas: QEMU splits its module list at "
               "commas and a "
               "module's file name at its first space");
  return 0;
}

static int check_source(json_t *req, struct boot_spec *s, path_policy dirs, struct ma_error *err) {
  /* A disk may come along with a kernel or a CD: then it is a data disk, not what boots. */
  bool disk_boots = s->disk && !s->kernel && !s->iso;
  int n = !!s->kernel + !!s->iso + disk_boots + !!json_object_get(req, "image");
  if (n != 1)
    return bad(
        err, n ? "conflicting_fields" : "missing_field", n ? "image" : "kernel",
        "exactly one of kernel, iso, disk or image is required (disk may come with kernel or iso)");
  if (s->keep_overlay && !s->disk)
    return bad(err, "conflicting_fields", "keep_overlay", "keep_overlay needs disk");
  if (json_object_get(req, "image"))
    return bad(err, "unknown_image", "image",
               "image ids are resolved by the daemon or the CLI, not here");
  if ((s->initrd || s->append) && !s->kernel)
    return bad(err, "conflicting_fields", s->initrd ? "initrd" : "append",
               "initrd and append need kernel");
  return bootspec_check_files(s, dirs, err);
}

int bootspec_check_files(const struct boot_spec *s, path_policy dirs, struct ma_error *err) {
  const char *paths[] = {s->kernel, s->iso, s->disk, s->cdrom};
  const char *names[] = {"kernel", "iso", "disk", "image"};
  for (size_t i = 0; i < 4; i++)
    if (paths[i] && path_policy_check_file(dirs, paths[i], names[i], err) < 0)
      return -EINVAL;
  for (size_t i = 0; i < s->n_initrd; i++)
    if (check_initrd_name(s->initrd[i], err) < 0 ||
        path_policy_check_file(dirs, s->initrd[i], "initrd", err) < 0)
      return -EINVAL;
  return 0;
}

bool bootspec_json_uses(json_t *req, const char *cdrom, const char *real_target) {
  static const char *const keys[] = {"kernel", "iso", "disk"};
  for (size_t i = 0; i < 3; i++)
    if (path_policy_within(json_string_value(json_object_get(req, keys[i])), real_target))
      return true;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(req, "initrd"), i, v) {
    if (path_policy_within(json_string_value(v), real_target))
      return true;
  }
  return path_policy_within(cdrom, real_target);
}

static int check_machine(struct boot_spec *s, const struct bootspec_env *env,
                         struct ma_error *err) {
  int bin = qemu_bins_for_arch(s->arch);
  if (bin < 0)
    return bad(err, "invalid_value", "arch", "arch must be one of i386, x86_64, arm, aarch64");
  const char *path = env->qemu ? env->qemu->path[bin] : NULL;
  if (!path) {
    ma_error_set(err, EINVAL, "qemu_not_found", "arch", "%s is not installed in %s (--qemu-dir)",
                 qemu_bins_name((enum qemu_bin)bin),
                 env->qemu ? env->qemu->dir : "the QEMU directory");
    return -EINVAL;
  }
  s->qemu = strdup(path);
  if (strcmp(s->accel, "auto") && strcmp(s->accel, "kvm") && strcmp(s->accel, "tcg"))
    return bad(err, "invalid_value", "accel", "accel must be one of auto, kvm, tcg");
  _cleanup_(util_freep) char *refusal = strcmp(s->accel, "kvm") != 0 ? NULL
                                        : env->kvm ? accel_refusal(env->kvm, s->arch)
                                                   : strdup("KVM was not looked at");
  if (refusal) {
    ma_error_set(err, EINVAL, "accel_unavailable", "accel", "KVM is not usable for this guest: %s",
                 refusal);
    return -EINVAL;
  }
  return 0;
}

bool bootspec_virtual_clock(const struct boot_spec *s) {
  return s->clock && strcmp(s->clock, "virtual") == 0;
}

/* The virtual clock counts instructions in QEMU's TCG with a plugin that sees x86 OUT
 * instructions: see programs/vclock-plugin/vclock.c. */
static int check_clock(json_t *req, struct boot_spec *s, const struct bootspec_env *env,
                       struct ma_error *err) {
  if (strcmp(s->clock, "host") && strcmp(s->clock, "virtual"))
    return bad(err, "invalid_value", "clock", "clock must be host or virtual");
  bool shift_given = json_object_get(req, "icount_shift") != NULL;
  if (!bootspec_virtual_clock(s))
    return shift_given ? bad(err, "conflicting_fields", "icount_shift",
                             "icount_shift sets the virtual clock's rate: it needs clock virtual")
                       : 0;
  if (!shift_given)
    s->icount_shift = BOOTSPEC_ICOUNT_SHIFT_DEFAULT;
  if (strcmp(s->accel, "kvm") == 0)
    return bad(err, "conflicting_fields", "accel",
               "the virtual clock counts the instructions QEMU's TCG executes: not with accel kvm "
               "(use tcg or auto)");
  /* Its console is a FIFO QEMU writes (core/supervisor.h): nothing can be typed into it, and what
   * was typed would arrive when the host chose. */
  if (s->scenario || s->guest_memory_ms)
    return bad(err, "conflicting_fields", s->scenario ? "scenario" : "guest_memory_ms",
               "the virtual clock's console is output only: a scenario would type into the guest "
               "at moments the host chooses");
  if (strcmp(s->arch, "i386") && strcmp(s->arch, "x86_64"))
    return bad(err, "invalid_value", "arch",
               "the virtual clock finds console writes by their x86 OUT instructions: i386 and "
               "x86_64 only");
  if (!env->vclock_plugin) {
    ma_error_set(err, EINVAL, "virtual_clock_unavailable", "clock",
                 "the virtual clock is not available here: %s",
                 env->vclock_missing ? env->vclock_missing : "no plugin was configured");
    return -EINVAL;
  }
  s->vclock_plugin = strdup(env->vclock_plugin);
  return s->vclock_plugin ? 0 : -ENOMEM;
}

static int check_profile(struct boot_spec *s, const struct bootspec_env *env,
                         struct ma_error *err) {
  if (!s->profile)
    return bad(err, "missing_field", "profile",
               "profile is required (e.g. \"linux\" or \"minix-3.4\")");
  const struct profile *p = profile_set_find(env->profiles, s->profile);
  if (!p) {
    _cleanup_(util_freep) char *names = profile_set_names(env->profiles);
    ma_error_set(err, EINVAL, "unknown_profile", "profile", "unknown profile \"%s\"; known: %s",
                 s->profile, names ? names : "");
    return -EINVAL;
  }
  s->vga = p->vga;
  if (s->until) {
    char *rerr = NULL;
    pcre2_code *re = profile_compile(s->until, &rerr);
    pcre2_code_free(re);
    if (!re) {
      ma_error_set(err, EINVAL, "invalid_regex", "until", "until: %s", rerr);
      free(rerr);
      return -EINVAL;
    }
  }
  return 0;
}

/* The profile's phases that print nothing but name a kernel function, found in the kernel's symbol
 * table. */
static int check_symbols(struct boot_spec *s, const struct bootspec_env *env,
                         struct ma_error *err) {
  if (!s->symbols)
    return 0;
  if (!s->kernel)
    return bad(err, "conflicting_fields", "symbols",
               "symbols needs a kernel (or an image) whose ELF has symbols");
  bool x86 = strcmp(s->arch, "i386") == 0 || strcmp(s->arch, "x86_64") == 0;
  if (!x86)
    return bad(err, "invalid_value", "symbols",
               "symbol breakpoints are implemented for i386 and x86_64 guests");
  const struct profile *p = profile_set_find(env->profiles, s->profile);
  const char *names[64];
  const char *markers[64];
  size_t n = 0;
  for (size_t i = 0; i < p->n_unobservable && n < 64; i++)
    if (p->unobservable[i].symbol)
      names[n] = p->unobservable[i].symbol, markers[n++] = p->unobservable[i].name;
  if (n == 0)
    return bad(err, "no_symbol_phases", "symbols",
               "this profile names no kernel functions for its phases");
  uint64_t addrs[64];
  bool unpaged[64];
  int found = elf_symbols_find(s->kernel, names, n, addrs, unpaged);
  if (found == -ENOEXEC || found == -ENOENT || found == 0)
    return bad(err, "no_symbols", "symbols",
               found == -ENOEXEC ? "the kernel is not an ELF file"
               : found == -ENOENT
                   ? "the kernel's ELF has no symbol table (stripped)"
                   : "none of the profile's phase functions is in the kernel's symbol table");
  if (found < 0) {
    ma_error_set(err, EINVAL, "file_not_found", "kernel", "cannot read the kernel: %s",
                 strerror(-found));
    return -EINVAL;
  }
  s->bp_markers = calloc((size_t)found, sizeof *s->bp_markers);
  s->bp_functions = calloc((size_t)found, sizeof *s->bp_functions);
  s->bp_addrs = calloc((size_t)found, sizeof *s->bp_addrs);
  if (!s->bp_markers || !s->bp_functions || !s->bp_addrs)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!addrs[i])
      continue;
    s->bp_markers[s->n_breakpoints] = strdup(markers[i]);
    s->bp_functions[s->n_breakpoints] =
        unpaged[i] ? util_strdupf("__k_unpaged_%s", names[i]) : strdup(names[i]);
    s->bp_addrs[s->n_breakpoints++] = addrs[i];
  }
  s->bp_bits = strcmp(s->arch, "x86_64") == 0 ? 64 : 32;
  return 0;
}

static void apply_defaults(struct boot_spec *s) {
  if (!s->arch)
    s->arch = strdup("x86_64");
  if (!s->accel)
    s->accel = strdup("auto");
  if (!s->cpus)
    s->cpus = 1;
  if (!s->memory_mb)
    s->memory_mb = 256;
  if (!s->timeout_s)
    s->timeout_s = 120;
  if (!s->clock)
    s->clock = strdup("host");
  if (!s->accel_stall_s)
    s->accel_stall_s =
        20; /* a Linux or MINIX boot that works prints far more often, under KVM or TCG */
}

static json_t *spec_json(const struct boot_spec *s) {
  json_t *j = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:i}", "arch", s->arch, "cpus", s->cpus,
                        "memory_mb", s->memory_mb, "profile", s->profile, "accel", s->accel,
                        "timeout_s", s->timeout_s, "accel_stall_s", s->accel_stall_s);
  const char *opt_keys[] = {"kernel", "append", "iso", "disk", "until", "label"};
  const char *opt_vals[] = {s->kernel, s->append, s->iso, s->disk, s->until, s->label};
  for (size_t i = 0; i < 6; i++)
    if (opt_vals[i])
      json_object_set_new(j, opt_keys[i], json_string(opt_vals[i]));
  if (s->initrd) {
    json_t *arr = json_array();
    for (size_t i = 0; i < s->n_initrd; i++)
      json_array_append_new(arr, json_string(s->initrd[i]));
    json_object_set_new(j, "initrd", arr);
  }
  if (s->silence_timeout_s)
    json_object_set_new(j, "silence_timeout_s", json_integer(s->silence_timeout_s));
  if (s->memory_sample_ms)
    json_object_set_new(j, "memory_sample_ms", json_integer(s->memory_sample_ms));
  if (s->duration_s)
    json_object_set_new(j, "duration_s", json_integer(s->duration_s));
  if (s->keep_overlay)
    json_object_set_new(j, "keep_overlay", json_true());
  if (s->trap_counts)
    json_object_set_new(j, "trap_counts", json_true());
  if (s->guest_memory_ms)
    json_object_set_new(j, "guest_memory_ms", json_integer(s->guest_memory_ms));
  if (s->scenario)
    json_object_set_new(j, "scenario", json_string(scenario_name(s->scenario)));
  if (bootspec_virtual_clock(s)) {
    json_object_set_new(j, "clock", json_string("virtual"));
    json_object_set_new(j, "icount_shift", json_integer(s->icount_shift));
  }
  if (s->symbols) {
    json_t *bps = json_array();
    for (size_t i = 0; i < s->n_breakpoints; i++)
      json_array_append_new(bps,
                            json_pack("{s:s, s:s, s:I}", "marker", s->bp_markers[i], "function",
                                      s->bp_functions[i], "address", (json_int_t)s->bp_addrs[i]));
    json_object_set_new(j, "symbols", json_true());
    json_object_set_new(j, "breakpoints", bps);
  }
  return j;
}

int bootspec_from_json(json_t *req, const struct bootspec_env *env, struct boot_spec **out,
                       struct ma_error *err) {
  if (!json_is_object(req))
    return bad(err, "invalid_body", NULL, "the request body must be a JSON object");
  struct boot_spec *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  int r = read_fields(req, s, err);
  if (r == 0) {
    apply_defaults(s);
    r = check_profile(s, env, err);
  }
  if (r == 0) /* before the machine: a KVM request is refused for the clock's reason on any host */
    r = check_clock(req, s, env, err);
  if (r == 0)
    r = check_machine(s, env, err);
  if (r == 0)
    r = check_source(req, s, env->image_dirs, err);
  if (r == 0)
    r = check_symbols(s, env, err);
  if (r == 0 && s->guest_memory_ms && s->scenario)
    r = bad(err, "conflicting_fields", "guest_memory_ms",
            "guest_memory_ms plays its own scenario; give one or the other");
  if (r == 0 && s->guest_memory_ms) {
    json_t *def = guest_memory_scenario(s->guest_memory_ms);
    r = scenario_parse(def, &s->scenario, err);
    json_decref(def);
  }
  if (r == 0 && s->trap_counts && strcmp(s->arch, "i386") != 0 && strcmp(s->arch, "x86_64") != 0)
    r = bad(err, "invalid_value", "trap_counts",
            "trap counts read QEMU's x86 interrupt log: i386 and x86_64 only");
  if (r == 0 && s->trap_counts && strcmp(s->accel, "kvm") == 0)
    r = bad(err, "conflicting_fields", "trap_counts",
            "trap counts need TCG: QEMU logs interrupts only when it emulates the CPU");
  if (r < 0) {
    bootspec_free(s);
    return r;
  }
  s->json = spec_json(s);
  *out = s;
  return 0;
}

int bootspec_parse(const char *body, size_t len, const struct bootspec_env *env,
                   struct boot_spec **out, struct ma_error *err) {
  json_error_t jerr;
  json_t *req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!req) {
    ma_error_set(err, EINVAL, "invalid_json", NULL, "malformed JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
    return -EINVAL;
  }
  int r = bootspec_from_json(req, env, out, err);
  json_decref(req);
  return r;
}

void bootspec_free(struct boot_spec *s) {
  if (!s)
    return;
  char **strs[] = {&s->arch,  &s->kernel,  &s->append,        &s->iso,
                   &s->disk,  &s->profile, &s->until,         &s->accel,
                   &s->label, &s->cdrom,   &s->overlay,       &s->int_log,
                   &s->qemu,  &s->clock,   &s->vclock_plugin, &s->vclock_files};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    free(*strs[i]);
  for (size_t i = 0; s->initrd && i < s->n_initrd; i++)
    free(s->initrd[i]);
  free(s->initrd);
  json_decref(s->json);
  scenario_free(s->scenario);
  for (size_t i = 0; i < s->n_breakpoints; i++) {
    free(s->bp_markers[i]);
    free(s->bp_functions[i]);
  }
  free(s->bp_markers);
  free(s->bp_functions);
  free(s->bp_addrs);
  free(s);
}
