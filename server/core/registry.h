/*
 * registry.h - the plugin registry: turns a plugin directory plus the
 * admin policy into the set of step types this process can run.
 *
 * Loading order (DESIGN.md section 2): the directory and each file are
 * checked (regular file, not a symlink, not group/world-writable, owned by
 * root or the service user); the step type is derived from the file name
 * and a type the policy does not allow is never dlopen'ed; then the
 * descriptor is checked (magic, ABI, size, functions, declared type,
 * duplicates) and init() is called.  Each refusal keeps a specific reason.
 */
#ifndef INN_CORE_REGISTRY_H
#define INN_CORE_REGISTRY_H

#include <stddef.h>

#include <innominatus/plugin.h>

#include "policy.h"

typedef struct inn_plugin {
	char *type;                 /* primary step type (= file name) */
	char *path;                 /* absolute path of the .so */
	char *file;                 /* base name */
	void *handle;               /* dlopen handle */
	inn_plugin_descriptor desc; /* copy; fields past the plugin's struct_size are zero */
	uint32_t desc_size;         /* the plugin's struct_size */
	void *state;                /* from init() */
	char **types;               /* step types registered for this plugin */
	size_t ntypes;
} inn_plugin;

typedef struct inn_refusal {
	char *file;                 /* base name (or the directory) */
	char *reason;               /* one line, names both sides */
} inn_refusal;

typedef struct inn_registry {
	char *dir;                  /* realpath of the plugin directory */
	inn_plugin *plugins;
	size_t nplugins;
	inn_refusal *refused;
	size_t nrefused;
	char **notes;               /* warnings that refused nothing */
	size_t nnotes;
} inn_registry;

/* Loads every plugin of dir.  Returns 0 with *out set even when some
 * plugins were refused (see ->refused); returns an error (and *out NULL)
 * only when the directory itself cannot be used. */
int inn_registry_load(inn_registry **out, const char *dir, const inn_policy *policy,
                      const inn_host *host);
/* Calls fini() of every plugin, unloads them and frees the registry. */
void inn_registry_free(inn_registry *reg);
/* The plugin serving step type, or NULL. */
const inn_plugin *inn_registry_find(const inn_registry *reg, const char *type);
/* The refusal of the plugin file named after step type (<type>.so), or
 * NULL when there is none: tells "refused, and why" from "absent". */
const inn_refusal *inn_registry_refusal(const inn_registry *reg, const char *type);
/* The step type the plugin file name file gives ("kv.so": "kv") in buf
 * (len bytes), or NULL when it gives none: not NAME.so, or NAME is no
 * step type name ([a-z0-9][a-z0-9_-]*, at most 64). */
const char *inn_registry_file_type(const char *file, char *buf, size_t len);
/* Checks that path is safe to load code from (directory or file); on
 * failure returns INN_EINVAL and a message naming path, mode and owner. */
int inn_registry_check_path(const char *path, int is_dir);
/* Human-readable flag list, e.g. "dry-run,idempotent". */
void inn_plugin_flags_str(uint32_t flags, char *buf, size_t len);

#endif
