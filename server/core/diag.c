/*
 * diag.c - the loaders' diagnostics list (see model.h): warnings and errors
 * with file, line and column.  The list is bounded: after INN_DIAG_MAX
 * entries one "too many diagnostics" entry is added and the rest are only
 * counted, so hostile input cannot grow it without limit.  Also the
 * loaders' node-reading helpers that report into it (load_int.h).
 */
#include "model.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "array.h"
#include "buf.h"
#include "error.h"
#include "load_int.h"

void
inn_diag_init(inn_diag *d)
{
	memset(d, 0, sizeof(*d));
}

/* inn_diag_free's clear for one entry. */
static void
entry_clear(void *p)
{
	inn_diag_entry *e = p;

	INN_FREE_ALL(e->file, e->message);
}

void
inn_diag_free(inn_diag *d)
{
	if (d == NULL)
		return;
	inn_array_free(d->items, d->n, sizeof(*d->items), entry_clear);
	memset(d, 0, sizeof(*d));
}

/* ---- clones shown by repository path and commit (inn_diag_alias) ---- */

/* As many clones as one server serves sources (a new one replaces the
 * oldest beyond that: its paths are then shown as they are). */
#define ALIAS_MAX 256
#define ALIAS_HEX 12

static struct clone_alias {
	char *dir;                 /* realpath of the clone, no trailing '/' */
	size_t len;
	char commit[ALIAS_HEX + 1];
	unsigned long long used;   /* when set, for replacing the oldest */
} aliases[ALIAS_MAX];
static unsigned long long alias_clock;
static pthread_mutex_t alias_lock = PTHREAD_MUTEX_INITIALIZER;

void
inn_diag_alias(const char *dir, const char *commit)
{
	size_t i, at = ALIAS_MAX, len;

	if (dir == NULL || (len = strlen(dir)) == 0)
		return;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	pthread_mutex_lock(&alias_lock);
	for (i = 0; i < ALIAS_MAX; i++)
		if (aliases[i].dir != NULL && aliases[i].len == len &&
		    memcmp(aliases[i].dir, dir, len) == 0)
			break;
	if (i == ALIAS_MAX && commit != NULL && *commit != '\0') {
		/* a free slot, else the oldest */
		for (i = 0; i < ALIAS_MAX && aliases[i].dir != NULL; i++)
			if (at == ALIAS_MAX || aliases[i].used < aliases[at].used)
				at = i;
		if (i == ALIAS_MAX)
			i = at;
		free(aliases[i].dir);
		aliases[i].dir = strndup(dir, len);
		aliases[i].len = len;
	}
	if (i < ALIAS_MAX && aliases[i].dir != NULL) {
		if (commit == NULL || *commit == '\0') {
			free(aliases[i].dir);
			memset(&aliases[i], 0, sizeof(aliases[i]));
		} else {
			snprintf(aliases[i].commit, sizeof(aliases[i].commit), "%s", commit);
			aliases[i].used = ++alias_clock;
		}
	}
	pthread_mutex_unlock(&alias_lock);
}

/* The alias whose clone is or holds the path at p (n bytes), lock held;
 * NULL when none. */
static const struct clone_alias *
alias_of(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < ALIAS_MAX; i++)
		if (aliases[i].dir != NULL && n >= aliases[i].len &&
		    memcmp(p, aliases[i].dir, aliases[i].len) == 0 &&
		    (n == aliases[i].len || p[aliases[i].len] == '/'))
			return &aliases[i];
	return NULL;
}

/* s with each path inside an aliased clone written as "rel@commit" (a
 * path ends at a blank, a quote, ':', ',', ';' or ')'; the clone itself is
 * ".@commit"); NULL when nothing changes or memory runs out (then s is
 * used as it is). */
static char *
alias_apply(const char *s)
{
	inn_buf b = INN_BUF_INIT((size_t)-1);
	const char *p = s, *q;
	int changed = 0, rc = 0;

	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&alias_lock);
	while (alias_clock > 0 && (q = strchr(p, '/')) != NULL) {
		size_t n = strcspn(q, " \t\n\"':,;)");
		const struct clone_alias *a = (q == s || strchr(" \t\"'(", q[-1]) != NULL) ?
		                              alias_of(q, n) : NULL;

		if (a == NULL) {
			rc |= inn_buf_add(&b, p, (size_t)(q - p) + n);
		} else {
			/* the clone's own folder is the repository's top: "." */
			rc |= inn_buf_add(&b, p, (size_t)(q - p));
			if (n == a->len)
				rc |= inn_buf_adds(&b, ".");
			else
				rc |= inn_buf_add(&b, q + a->len + 1, n - a->len - 1);
			rc |= inn_buf_addf(&b, "@%s", a->commit);
			changed = 1;
		}
		p = q + n;
	}
	pthread_mutex_unlock(&alias_lock);
	rc |= inn_buf_adds(&b, p);
	if (!changed || rc != 0) {
		inn_buf_free(&b);
		return NULL;
	}
	return inn_buf_take(&b);
}

/* Appends one entry; silently drops it when memory runs out (the error
 * count still records it). */
static void
diag_push(inn_diag *d, inn_diag_level level, const char *file, int line, int col,
          char *message)
{
	inn_diag_entry *e;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		inn_diag_entry *ni;

		if (ncap > INN_DIAG_MAX + 1)
			ncap = INN_DIAG_MAX + 1;
		if ((ni = realloc(d->items, ncap * sizeof(*ni))) == NULL) {
			free(message);
			return;
		}
		d->items = ni;
		d->cap = ncap;
	}
	e = &d->items[d->n];
	e->level = level;
	e->file = alias_apply(file);
	if (e->file == NULL && file != NULL)
		e->file = strdup(file);
	e->line = line;
	e->col = col;
	e->message = alias_apply(message);
	if (e->message != NULL)
		free(message);
	else
		e->message = message;
	d->n++;
}

void
inn_diag_add(inn_diag *d, inn_diag_level level, const char *file, int line, int col,
             const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int len;

	if (d == NULL)
		return;
	if (level == INN_DIAG_ERROR)
		d->nerrors++;
	if (d->n > INN_DIAG_MAX)
		return;
	if (d->n == INN_DIAG_MAX) {
		char *m = strdup("too many diagnostics; the rest are not shown");

		if (m != NULL)
			diag_push(d, INN_DIAG_ERROR, file, 0, 0, m);
		return;
	}
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (msg = malloc((size_t)len + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	va_end(ap);
	diag_push(d, level, file, line, col, msg);
}

void
inn_diag_format(const inn_diag *d, size_t i, char *buf, size_t len)
{
	const inn_diag_entry *e;
	const char *lvl;

	if (len == 0)
		return;
	if (d == NULL || i >= d->n) {
		buf[0] = '\0';
		return;
	}
	e = &d->items[i];
	lvl = e->level == INN_DIAG_ERROR ? "error" : "warning";
	if (e->file != NULL && e->line > 0 && e->col > 0)
		snprintf(buf, len, "%s:%d:%d: %s: %s", e->file, e->line, e->col, lvl,
		         e->message);
	else if (e->file != NULL && e->line > 0)
		snprintf(buf, len, "%s:%d: %s: %s", e->file, e->line, lvl, e->message);
	else if (e->file != NULL)
		snprintf(buf, len, "%s: %s: %s", e->file, lvl, e->message);
	else
		snprintf(buf, len, "%s: %s", lvl, e->message);
}

size_t
inn_diag_count(const inn_diag *d, inn_diag_level level)
{
	size_t i, n = 0;

	if (d == NULL)
		return 0;
	if (level == INN_DIAG_ERROR)
		return d->nerrors;
	for (i = 0; i < d->n; i++)
		if (d->items[i].level == level)
			n++;
	return n;
}

void
inn_diag_print(const inn_diag *d, FILE *fp, const char *prefix)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char line[4096];

		inn_diag_format(d, i, line, sizeof(line));
		fprintf(fp, "%s%s\n", prefix, line);
	}
}

int
inn_diag_find(const inn_diag *d, const char *needle, char *buf, size_t len)
{
	size_t i;

	if (d == NULL)
		return -1;
	for (i = 0; i < d->n; i++) {
		char line[4096];

		inn_diag_format(d, i, line, sizeof(line));
		if (strstr(line, needle) != NULL) {
			if (buf != NULL && len > 0)
				snprintf(buf, len, "%s", line);
			return (int)i;
		}
	}
	return -1;
}

/* --- node helpers for the loaders (load_int.h) ----------------------------- */

void
inn_l_report(const inn_lctx *lc, inn_diag_level level, const inn_ynode *at,
             const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	inn_diag_add(lc->diag, level, lc->file, at ? at->line : 0, at ? at->col : 0,
	             "%s", msg);
}

void
inn_l_err_last(inn_diag *d, const char *file)
{
	const char *msg = inn_error_last();
	size_t flen = strlen(file);
	long line = 0, col = 0;
	char *end;

	if (strncmp(msg, file, flen) == 0 && msg[flen] == ':') {
		const char *p = msg + flen + 1;

		line = strtol(p, &end, 10);
		if (end != p && *end == ':') {
			p = end + 1;
			col = strtol(p, &end, 10);
			if (end != p && end[0] == ':' && end[1] == ' ') {
				inn_diag_add(d, INN_DIAG_ERROR, file, (int)line, (int)col, "%s",
				             end + 2);
				return;
			}
		} else if (p[0] == ' ') {
			inn_diag_add(d, INN_DIAG_ERROR, file, 0, 0, "%s", p + 1);
			return;
		}
	}
	inn_diag_add(d, INN_DIAG_ERROR, file, 0, 0, "%s", *msg ? msg : "cannot load");
}

const char *
inn_l_path(char *buf, size_t len, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", path, key);
	return buf;
}

const char *
inn_l_index(char *buf, size_t len, const char *path, size_t i)
{
	snprintf(buf, len, "%s[%zu]", path, i);
	return buf;
}

static const char *
kind_name(inn_ynode_kind kind)
{
	switch (kind) {
	case INN_Y_MAP:
		return "a mapping";
	case INN_Y_SEQ:
		return "a list";
	default:
		return "a scalar";
	}
}

int
inn_l_kind(const inn_lctx *lc, const inn_ynode *node, inn_ynode_kind kind,
           const char *path)
{
	if (node->kind == kind)
		return 0;
	inn_l_err(lc, node, "%s: must be %s, not %s", path, kind_name(kind),
	          inn_ynode_kind_name(node));
	return -1;
}

void
inn_l_unknown_keys(const inn_lctx *lc, const inn_ynode *map,
                   const char *const *known, const char *path)
{
	size_t i, j;

	for (i = 0; i < INN_YMAP_LEN(map); i++) {
		const inn_ynode *k = INN_YMAP_KEY(map, i);

		for (j = 0; known[j] != NULL; j++)
			if (strcmp(k->value, known[j]) == 0)
				break;
		if (known[j] != NULL)
			continue;
		if (path == NULL || *path == '\0')
			inn_l_warn(lc, k, "unknown key \"%s\" (ignored)", k->value);
		else
			inn_l_warn(lc, k, "%s: unknown key \"%s\" (ignored)", path, k->value);
	}
}

int
inn_l_is_null(const inn_ynode *n)
{
	return n != NULL && n->kind == INN_Y_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->value, "~") == 0 ||
	        strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	        strcmp(n->value, "NULL") == 0);
}

int
inn_l_string(const inn_lctx *lc, const inn_ynode *map, const char *key,
             const char *path, char **out)
{
	const inn_ynode *n = inn_ymap_get(map, key);
	char p[INN_L_PATH_MAX];
	char *s;

	if (n == NULL || inn_l_is_null(n))
		return 0;
	if (n->kind != INN_Y_SCALAR) {
		inn_l_err(lc, n, "%s: must be a string, not %s",
		          inn_l_path(p, sizeof(p), path, key), inn_ynode_kind_name(n));
		return -1;
	}
	if ((s = strdup(n->value)) == NULL) {
		inn_l_err(lc, n, "out of memory");
		return -1;
	}
	free(*out);
	*out = s;
	return 0;
}

int
inn_l_required_string(const inn_lctx *lc, const inn_ynode *map, const char *key,
                      const char *path, char **out)
{
	if (inn_l_string(lc, map, key, path, out) != 0)
		return -1;
	if (*out == NULL) {
		inn_l_err(lc, map, "%s: missing required field \"%s\"", path, key);
		return -1;
	}
	return 0;
}

int
inn_l_bool(const inn_lctx *lc, const inn_ynode *n, const char *path, int *out)
{
	if (n->kind == INN_Y_SCALAR && n->plain) {
		if (strcmp(n->value, "true") == 0 || strcmp(n->value, "True") == 0 ||
		    strcmp(n->value, "TRUE") == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->value, "false") == 0 || strcmp(n->value, "False") == 0 ||
		    strcmp(n->value, "FALSE") == 0) {
			*out = 0;
			return 0;
		}
	}
	if (n->kind == INN_Y_SCALAR)
		inn_l_err(lc, n, "%s: must be true or false, not \"%s\"", path, n->value);
	else
		inn_l_err(lc, n, "%s: must be true or false, not %s", path,
		          inn_ynode_kind_name(n));
	return -1;
}

/* Kept for the loaders that call it; the one implementation is inn_strv_free. */
void
inn_l_strv_free(char **v, size_t n)
{
	inn_strv_free(v, n);
}

int
inn_l_strlist(const inn_lctx *lc, const inn_ynode *node, const char *path,
              char ***out, size_t *n)
{
	char **v = NULL;
	size_t i, cnt = 0;
	char p[INN_L_PATH_MAX];

	*out = NULL;
	*n = 0;
	if (inn_l_is_null(node))
		return 0;
	if (node->kind == INN_Y_MAP) {
		inn_l_err(lc, node, "%s: must be a string or a list of strings, not a "
		          "mapping", path);
		return -1;
	}
	if ((v = calloc(node->kind == INN_Y_SEQ ? node->n + 1 : 2, sizeof(*v))) == NULL)
		goto nomem;
	if (node->kind == INN_Y_SCALAR) {
		if ((v[cnt++] = strdup(node->value)) == NULL)
			goto nomem;
	} else {
		for (i = 0; i < node->n; i++) {
			const inn_ynode *it = node->items[i];

			if (it->kind != INN_Y_SCALAR || inn_l_is_null(it)) {
				inn_l_err(lc, it, "%s: must be a string, not %s",
				          inn_l_index(p, sizeof(p), path, i),
				          inn_l_is_null(it) ? "null" : inn_ynode_kind_name(it));
				inn_l_strv_free(v, cnt);
				return -1;
			}
			if ((v[cnt++] = strdup(it->value)) == NULL)
				goto nomem;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
nomem:
	inn_l_strv_free(v, cnt);
	inn_l_err(lc, node, "out of memory");
	return -1;
}

int
inn_l_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	                   (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= 128)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

void
inn_l_next_doc(inn_diag *d, const inn_ydoc *doc)
{
	if (doc != NULL && doc->next_doc_line > 0)
		inn_diag_add(d, INN_DIAG_WARNING, doc->file, doc->next_doc_line, 0,
		             "a second YAML document is ignored: only the first document "
		             "of a file is read (as the original innominatus read it)");
}

/* --- name sets (load_int.h) ------------------------------------------------ */

struct inn_l_name {
	const char *name;     /* NULL: free slot */
	size_t id;
};

/* FNV-1a over the name from a random basis, then a 64-bit finaliser so
 * the low bits (the slot) depend on every byte. */
static size_t
name_hash(const inn_l_names *set, const char *name)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)set->seed;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static size_t
name_slot(const inn_l_names *set, const char *name)
{
	size_t i = name_hash(set, name) & (set->cap - 1);

	while (set->slots[i].name != NULL && strcmp(set->slots[i].name, name) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

size_t
inn_l_names_get(const inn_l_names *set, const char *name)
{
	size_t i;

	if (set->cap == 0)
		return (size_t)-1;
	i = name_slot(set, name);
	return set->slots[i].name != NULL ? set->slots[i].id : (size_t)-1;
}

int
inn_l_names_put(inn_l_names *set, const char *name, size_t id)
{
	size_t i;

	if (set->cap == 0 || (set->n + 1) * 2 > set->cap) {
		inn_l_names bigger = *set;

		bigger.cap = set->cap ? set->cap * 2 : 64;
		if ((bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots))) == NULL)
			return -1;
		if (set->cap == 0 &&
		    getrandom(&bigger.seed, sizeof(bigger.seed), GRND_NONBLOCK) !=
		        (ssize_t)sizeof(bigger.seed))
			bigger.seed = (size_t)time(NULL) ^ (size_t)(uintptr_t)set;
		for (i = 0; i < set->cap; i++)
			if (set->slots[i].name != NULL)
				bigger.slots[name_slot(&bigger, set->slots[i].name)] = set->slots[i];
		free(set->slots);
		*set = bigger;
	}
	i = name_slot(set, name);
	if (set->slots[i].name == NULL) {
		set->slots[i].name = name;
		set->slots[i].id = id;
		set->n++;
	}
	return 0;
}

void
inn_l_names_free(inn_l_names *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}
