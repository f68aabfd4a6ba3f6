/*
 * cmd_admin_store.c - `admin export` and `admin import`: a whole store
 * moved between backends (a SQLite file to PostgreSQL) as JSON lines.
 * Offline: the store is opened in this process (server/store.h), no server
 * is asked, so stop the server first (an export of a store in use may hold
 * rows of a run half written).
 *
 * A dump is, one JSON object a line:
 *   {"format":"innominatus-store","version":1,"schema":N,"tables":[...]}
 *   {"table":T,"row":{column: value, ...}}    every row, inn_store_tables order
 *   {"end":{T: rows, ...}}                    so that a dump cut short is known
 * It holds what the store holds (masked values, sealed inputs, API key
 * hashes): it is as sensitive as the database, and written mode 0600.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "store.h"

#define DUMP_FORMAT "innominatus-store"
#define DUMP_VERSION 1

static const char use_export[] = "admin export --db URL [--db-password-file FILE] [-o FILE]";
static const char use_import[] = "admin import --db URL [--db-password-file FILE] [FILE|-]";

int
ctl_admin_store_wants(int argc, char **argv)
{
	return argc > 0 && (strcmp(argv[0], "export") == 0 || strcmp(argv[0], "import") == 0);
}

static size_t
table_count(void)
{
	size_t n = 0;

	while (inn_store_tables[n] != NULL)
		n++;
	return n;
}

static int
table_index(const char *t)
{
	size_t i;

	for (i = 0; t != NULL && inn_store_tables[i] != NULL; i++)
		if (strcmp(inn_store_tables[i], t) == 0)
			return (int)i;
	return -1;
}

/* The file of a SQLite store URL (sqlite:PATH, sqlite://PATH or a plain
 * path) into buf; NULL for a database URL (postgres://...), ":memory:" or
 * a path too long for buf. */
static const char *
sqlite_file(const char *db, char *buf, size_t len)
{
	const char *p = db;

	if (strncmp(p, "sqlite:", 7) == 0) {
		p += 7;
		if (strncmp(p, "//", 2) == 0)
			p += 2;
	} else if (strstr(p, "://") != NULL) {
		return NULL;
	}
	if (*p == '\0' || strcmp(p, ":memory:") == 0 ||
	    (size_t)snprintf(buf, len, "%s", p) >= len)
		return NULL;
	return buf;
}

/* Opens the store of --db (with the password of --db-password-file);
 * shown gets its URL as it may be printed.  must_exist: a SQLite file
 * that does not exist is refused (an export of a mistyped path would
 * create an empty store and dump it).  A ctl_exit code. */
static int
open_db(const ctl_opts *o, const char *use, int must_exist, inn_store **st, char *shown,
        size_t len)
{
	char *password = NULL, file[4096];
	const char *path;
	struct stat sb;
	int rc;

	if (o->db == NULL) {
		fprintf(stderr, "innominatus-ctl: admin %s needs --db (a SQLite file, sqlite:PATH "
		        "or postgres://...)\n", use == use_export ? "export" : "import");
		return ctl_usage(use);
	}
	inn_store_url_redact(o->db, shown, len);
	if (inn_store_url_argv_check(o->db) != 0) {
		fprintf(stderr, "innominatus-ctl: --db: %s\n", inn_error_last());
		return CTL_EXIT_USAGE;
	}
	if (must_exist && (path = sqlite_file(o->db, file, sizeof(file))) != NULL &&
	    stat(path, &sb) != 0) {
		fprintf(stderr, "innominatus-ctl: --db %s: %s (nothing exported, nothing "
		        "created)\n", path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? CTL_EXIT_CONFIG : CTL_EXIT_FAILED;
	}
	if (o->db_password_file != NULL &&
	    inn_store_password_file_read(o->db_password_file, &password) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_CONFIG;
	}
	rc = inn_store_open_with(st, o->db, password);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (rc != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

/* ---- export ------------------------------------------------------------- */

struct export_ctx {
	FILE *fp;
	const char *table;
	long long rows;
};

/* One line: o as compact JSON.  0, or -1 (errno). */
static int
put_line(FILE *fp, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);

	return fputs(s, fp) < 0 || fputc('\n', fp) == EOF ? -1 : 0;
}

/* inn_store_dump callback: {"table":T,"row":row}. */
static int
export_row(void *ud, json_object *row)
{
	struct export_ctx *x = ud;
	json_object *line = json_object_new_object();
	int rc;

	json_object_object_add(line, "table", json_object_new_string(x->table));
	json_object_object_add(line, "row", json_object_get(row));
	rc = put_line(x->fp, line);
	json_object_put(line);
	if (rc != 0)
		return inn_error_set(INN_ERROR, "writing the dump: %s", strerror(errno));
	x->rows++;
	return 0;
}

/* Writes the whole dump of st to fp; counts (n of them) gets the rows per
 * table.  0, or a negative inn_status with the message set. */
static int
export_all(inn_store *st, FILE *fp, long long *counts)
{
	json_object *head = json_object_new_object(), *tables = json_object_new_array();
	json_object *end = json_object_new_object(), *tail = json_object_new_object();
	struct export_ctx x = { fp, NULL, 0 };
	int schema = inn_store_schema_version(st), rc = 0;
	size_t i;

	json_object_object_add(head, "format", json_object_new_string(DUMP_FORMAT));
	json_object_object_add(head, "version", json_object_new_int(DUMP_VERSION));
	json_object_object_add(head, "schema", json_object_new_int(schema));
	for (i = 0; inn_store_tables[i] != NULL; i++)
		json_object_array_add(tables, json_object_new_string(inn_store_tables[i]));
	json_object_object_add(head, "tables", tables);
	json_object_object_add(tail, "end", end);
	if (schema < 0) {
		rc = schema;
		goto out;
	}
	if (put_line(fp, head) != 0) {
		rc = inn_error_set(INN_ERROR, "writing the dump: %s", strerror(errno));
		goto out;
	}
	for (i = 0; inn_store_tables[i] != NULL; i++) {
		x.table = inn_store_tables[i];
		x.rows = 0;
		if ((rc = inn_store_dump(st, x.table, export_row, &x)) != 0)
			goto out;
		counts[i] = x.rows;
		json_object_object_add(end, x.table, json_object_new_int64(x.rows));
	}
	if (put_line(fp, tail) != 0 || fflush(fp) != 0)
		rc = inn_error_set(INN_ERROR, "writing the dump: %s", strerror(errno));
out:
	json_object_put(head);
	json_object_put(tail);
	return rc;
}

/* "teams 1, users 2, ..." of counts into buf. */
static const char *
counts_text(const long long *counts, char *buf, size_t len)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; inn_store_tables[i] != NULL && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s %lld", i ? ", " : "",
		                       inn_store_tables[i], counts[i]);
	return buf;
}

/* Whether -o file is written where it is (1: a character device or a
 * pipe, or a symbolic link to one: -o /dev/stdout must work), replaced by
 * the rename (0: nothing there or a regular file), or refused (-1, said):
 * a link to a regular file or to nothing would let whoever made the link
 * choose what the dump (secrets included) overwrites, and with which
 * mode; anything else (a folder, a socket) is no place for a dump. */
static int
export_target(const char *file)
{
	struct stat lsb, sb;

	if (strcmp(file, "json") == 0 || strcmp(file, "yaml") == 0 ||
	    strcmp(file, "text") == 0) {
		fprintf(stderr, "innominatus-ctl: admin export: -o names the file to write (the "
		        "dump is always JSON); to write a file named \"%s\" say -o ./%s\n", file,
		        file);
		return -1;
	}
	if (lstat(file, &lsb) != 0)
		return errno == ENOENT ? 0 : (fprintf(stderr, "innominatus-ctl: admin export: "
		       "%s: %s\n", file, strerror(errno)), -1);
	if (S_ISREG(lsb.st_mode))
		return 0;
	if (S_ISCHR(lsb.st_mode) || S_ISFIFO(lsb.st_mode))
		return 1;
	if (S_ISLNK(lsb.st_mode) && stat(file, &sb) == 0 &&
	    (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)))
		return 1;
	if (S_ISLNK(lsb.st_mode))
		fprintf(stderr, "innominatus-ctl: admin export: %s is a symbolic link (to a file "
		        "or to nothing): refusing to write through it; name the file itself\n",
		        file);
	else
		fprintf(stderr, "innominatus-ctl: admin export: %s is no file, device or pipe\n",
		        file);
	return -1;
}

/* name as its folder's real path and its last component into out (the
 * file itself need not exist); -1 when the folder cannot be resolved. */
static int
canonical(const char *name, char *out, size_t len)
{
	char d[PATH_MAX], b[PATH_MAX], real[PATH_MAX];

	if (snprintf(d, sizeof(d), "%s", name) >= (int)sizeof(d) ||
	    snprintf(b, sizeof(b), "%s", name) >= (int)sizeof(b) ||
	    realpath(dirname(d), real) == NULL)
		return -1;
	return snprintf(out, len, "%s/%s", real, basename(b)) >= (int)len ? -1 : 0;
}

/* 1 (said) when file is the SQLite store of db or one of the files beside
 * it (journal, WAL, key, replica lock): the dump would be written over the
 * very store it is read from, and the rename would leave only the dump. */
static int
export_is_store(const char *db, const char *file)
{
	static const char *const sib[] = { "", "-wal", "-shm", "-journal", ".key",
	                                   ".replica.lock" };
	char buf[4096], name[4096 + 16], a[PATH_MAX + 8], b[PATH_MAX + 8];
	const char *path;
	struct stat fs, ss;
	size_t i;
	int fexists, fcanon;

	if (db == NULL || (path = sqlite_file(db, buf, sizeof(buf))) == NULL)
		return 0;
	fexists = stat(file, &fs) == 0;
	fcanon = canonical(file, a, sizeof(a)) == 0;
	for (i = 0; i < sizeof(sib) / sizeof(sib[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, sib[i]);
		if ((fexists && stat(name, &ss) == 0 && fs.st_dev == ss.st_dev &&
		     fs.st_ino == ss.st_ino) ||
		    (fcanon && canonical(name, b, sizeof(b)) == 0 && strcmp(a, b) == 0)) {
			fprintf(stderr, "innominatus-ctl: admin export: -o %s is %s of the store "
			        "--db %s itself: refusing to write the dump over it (nothing "
			        "exported); name another file\n", file,
			        sib[i][0] ? "a file" : "the file", path);
			return 1;
		}
	}
	return 0;
}

/* The dump goes to a new file beside file (mode 0600 from the start),
 * renamed over file once it is whole: a failed export leaves no half
 * dump behind, and an existing file is replaced (its owner and mode are
 * the new file's, never changed in place).  file NULL or "-": standard
 * output; a device or a pipe (or a link to one) is written where it
 * points, never replaced (-o /dev/null must stay a device). */
static int
admin_export(const ctl_opts *o, int argc)
{
	long long counts[64] = { 0 };
	const char *file = o->out_file;
	char shown[512], tmp[4096] = "", text[1024];
	inn_store *st = NULL;
	FILE *fp = stdout;
	int rc, fd = -1, where = 0;

	if (argc != 1)
		return ctl_usage(use_export);
	if (table_count() > sizeof(counts) / sizeof(counts[0]))
		return CTL_EXIT_FAILED;
	if (file != NULL && strcmp(file, "-") == 0)
		file = NULL;
	if (file != NULL && (where = export_target(file)) < 0)
		return CTL_EXIT_CONFIG;
	if (file != NULL && where == 0 && export_is_store(o->db, file))
		return CTL_EXIT_CONFIG;
	if ((rc = open_db(o, use_export, 1, &st, shown, sizeof(shown))) != CTL_EXIT_OK)
		return rc;
	if (file != NULL && where == 1) {
		fp = fopen(file, "w");
	} else if (file != NULL) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file) >= sizeof(tmp))
			errno = ENAMETOOLONG;
		else if ((fd = mkstemp(tmp)) >= 0 && (fp = fdopen(fd, "w")) == NULL) {
			close(fd);
			unlink(tmp);
		}
		if (fd < 0)
			fp = NULL;
	}
	if (fp == NULL) {
		fprintf(stderr, "innominatus-ctl: cannot write %s: %s\n", file, strerror(errno));
		inn_store_close(st);
		return CTL_EXIT_FAILED;
	}
	rc = export_all(st, fp, counts);
	if (file != NULL) {
		const char *wrote = tmp[0] ? tmp : file;

		if (rc == 0 && tmp[0] && fsync(fileno(fp)) != 0)
			rc = inn_error_set(INN_ERROR, "writing %s: %s", wrote, strerror(errno));
		if (fclose(fp) != 0 && rc == 0)
			rc = inn_error_set(INN_ERROR, "writing %s: %s", wrote, strerror(errno));
		if (rc == 0 && tmp[0] && rename(tmp, file) != 0)
			rc = inn_error_set(INN_ERROR, "renaming %s to %s: %s", tmp, file,
			                   strerror(errno));
		if (rc != 0 && tmp[0])
			unlink(tmp);
	}
	inn_store_close(st);
	if (rc != 0) {
		fprintf(stderr, "innominatus-ctl: export of %s: %s\n", shown, inn_error_last());
		return CTL_EXIT_FAILED;
	}
	fprintf(stderr, "exported %s to %s: %s\n", shown, file != NULL ? file : "standard output",
	        counts_text(counts, text, sizeof(text)));
	return CTL_EXIT_OK;
}

/* ---- import ------------------------------------------------------------- */

/* inn_store_dump callback that stops at the first row: the table holds some. */
static int
any_row(void *ud, json_object *row)
{
	(void)ud;
	(void)row;
	return 1;
}

/* 0 when st is empty; else says what it holds.  A ctl_exit code. */
static int
check_empty(inn_store *st, const char *shown)
{
	char held[1024];
	size_t i, at = 0;
	int rc;

	if ((rc = inn_store_empty(st)) == 1)
		return CTL_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_FAILED;
	}
	held[0] = '\0';
	for (i = 0; inn_store_tables[i] != NULL && at < sizeof(held); i++)
		if (inn_store_dump(st, inn_store_tables[i], any_row, NULL) == 1)
			at += (size_t)snprintf(held + at, sizeof(held) - at, "%s%s", at ? ", " : "",
			                       inn_store_tables[i]);
	fprintf(stderr, "innominatus-ctl: import into %s refused: the store is not empty (it "
	        "holds rows in %s); import into a new store\n", shown, held);
	return CTL_EXIT_FAILED;
}

struct import_ctx {
	inn_store *st;
	int load;                 /* 0: the first pass, which only checks */
	long long counts[64];
	int last;                 /* the index of the last table seen */
	int ended;                /* the end line was read */
	char table[64];           /* for messages: the table of the line */
};

/* The first pass's check of a row's values: a dump holds integers,
 * strings and null (what each column is, only the store can say). */
static int
row_values_ok(const char *table, json_object *row)
{
	json_object_object_foreach(row, col, v) {
		if (v != NULL && !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_string))
			return inn_error_set(INN_EINVAL, "table %s, column %.64s: a dump holds "
			                     "integers, strings and null, not %s", table, col,
			                     json_type_to_name(json_object_get_type(v)));
	}
	return json_object_object_length(row) > 0 ? 0 :
	       inn_error_set(INN_EINVAL, "a row of %s has no columns", table);
}

/* The header line: format, version, schema of this store, the tables. */
static int
import_header(struct import_ctx *x, json_object *h)
{
	json_object *v, *tables;
	int schema = inn_store_schema_version(x->st);
	size_t i, n;

	if (!json_object_object_get_ex(h, "format", &v) ||
	    strcmp(json_object_get_string(v), DUMP_FORMAT) != 0)
		return inn_error_set(INN_EINVAL, "not a dump of innominatus-ctl admin export (no "
		                     "\"format\":\"" DUMP_FORMAT "\" header)");
	if (!json_object_object_get_ex(h, "version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != DUMP_VERSION)
		return inn_error_set(INN_EINVAL, "dump format version %s, this innominatus-ctl "
		                     "reads %d", json_object_get_string(v), DUMP_VERSION);
	if (schema < 0)
		return schema;
	if (!json_object_object_get_ex(h, "schema", &v) || !json_object_is_type(v, json_type_int))
		return inn_error_set(INN_EINVAL, "the header has no schema version");
	if (json_object_get_int(v) != schema)
		return inn_error_set(INN_EINVAL, "the dump is of schema version %d, this store has "
		                     "%d: export with the innominatus-ctl that matches this store "
		                     "(the export migrates its source to its own version)",
		                     json_object_get_int(v), schema);
	if (!json_object_object_get_ex(h, "tables", &tables) ||
	    !json_object_is_type(tables, json_type_array))
		return inn_error_set(INN_EINVAL, "the header lists no tables");
	n = json_object_array_length(tables);
	for (i = 0; i < n; i++)
		if (table_index(json_object_get_string(json_object_array_get_idx(tables, i))) < 0)
			return inn_error_set(INN_EINVAL, "the header lists table \"%s\", which this "
			                     "store does not have", json_object_get_string(
			                     json_object_array_get_idx(tables, i)));
	return 0;
}

/* The end line: every table's count must be what was loaded. */
static int
import_end(struct import_ctx *x, json_object *end)
{
	size_t i;

	if (!json_object_is_type(end, json_type_object))
		return inn_error_set(INN_EINVAL, "\"end\" is not an object of row counts");
	for (i = 0; inn_store_tables[i] != NULL; i++) {
		json_object *v = NULL;
		long long want = json_object_object_get_ex(end, inn_store_tables[i], &v) ?
		                 (long long)json_object_get_int64(v) : 0;

		if (want != x->counts[i])
			return inn_error_set(INN_EINVAL, "the dump says table %s has %lld rows, %lld "
			                     "were read: the dump is incomplete", inn_store_tables[i],
			                     want, x->counts[i]);
	}
	x->ended = 1;
	return 0;
}

/* One line after the header: a row (loaded) or the end. */
static int
import_line(struct import_ctx *x, json_object *line)
{
	json_object *t, *row, *end;
	const char *table;
	int k, rc;

	if (x->ended)
		return inn_error_set(INN_EINVAL, "a line after the end line");
	if (json_object_object_get_ex(line, "end", &end))
		return import_end(x, end);
	if (!json_object_object_get_ex(line, "table", &t) ||
	    !json_object_object_get_ex(line, "row", &row) ||
	    !json_object_is_type(row, json_type_object))
		return inn_error_set(INN_EINVAL, "not a row ({\"table\":T,\"row\":{...}}) nor the "
		                     "end line");
	table = json_object_get_string(t);
	snprintf(x->table, sizeof(x->table), "%s", table);
	if ((k = table_index(table)) < 0)
		return inn_error_set(INN_EINVAL, "no table \"%.40s\" in this store", table);
	if (k < x->last)
		return inn_error_set(INN_EINVAL, "a row of %s after rows of %s (the dump's tables "
		                     "come parents first)", table, inn_store_tables[x->last]);
	x->last = k;
	if ((rc = x->load ? inn_store_load(x->st, table, row) : row_values_ok(table, row)) != 0)
		return rc;
	x->counts[k]++;
	return 0;
}

/* Line text (len bytes) as one JSON object, nothing after it; NULL with
 * the error set. */
static json_object *
parse_line(struct json_tokener *tok, const char *text, size_t len)
{
	json_object *o;

	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		inn_error_set(INN_EINVAL, "not a JSON object (%s)", o != NULL ?
		              "something follows it" : e == json_tokener_continue ?
		              "the line ends inside it: cut short?" : json_tokener_error_desc(e));
		json_object_put(o);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		inn_error_set(INN_EINVAL, "not a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Reads the dump of fp (named name) into x->st; stops at the first
 * problem, naming its line (and table).  A ctl_exit code. */
static int
import_stream(struct import_ctx *x, FILE *fp, const char *name)
{
	struct json_tokener *tok = json_tokener_new();
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	if (tok == NULL)
		return CTL_EXIT_FAILED;
	while (rc == 0 && (len = getline(&buf, &cap, fp)) >= 0) {
		json_object *line;

		lineno++;
		x->table[0] = '\0';
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if ((line = parse_line(tok, buf, (size_t)len)) == NULL)
			rc = INN_EINVAL;
		else
			rc = lineno == 1 ? import_header(x, line) : import_line(x, line);
		json_object_put(line);
	}
	free(buf);
	json_tokener_free(tok);
	if (rc != 0) {
		fprintf(stderr, "innominatus-ctl: import of %s, line %ld%s%s%s: %s\n", name, lineno,
		        x->table[0] ? " (table " : "", x->table, x->table[0] ? ")" : "",
		        inn_error_last());
	} else {
		if (ferror(fp))
			rc = inn_error_set(INN_ERROR, "reading: %s", strerror(errno));
		else if (lineno == 0)
			rc = inn_error_set(INN_EINVAL, "the dump is empty");
		else if (!x->ended)
			rc = inn_error_set(INN_EINVAL, "the dump ends at line %ld without its end "
			                   "line: it was cut short", lineno);
		if (rc != 0)
			fprintf(stderr, "innominatus-ctl: import of %s: %s\n", name, inn_error_last());
	}
	if (rc == 0)
		return CTL_EXIT_OK;
	return rc == INN_EINVAL ? CTL_EXIT_CONFIG : CTL_EXIT_FAILED;
}

/* Standard input copied into an unlinked private temporary file, so
 * that it can be read twice.  NULL (said) on failure. */
static FILE *
spool_stdin(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096], buf[65536];
	FILE *fp = NULL;
	size_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/innominatus-import-XXXXXX",
	         tmpdir != NULL && *tmpdir == '/' ? tmpdir : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w+")) == NULL) {
		fprintf(stderr, "innominatus-ctl: cannot make a temporary file in %s: %s\n", path,
		        strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return NULL;
	}
	unlink(path);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, fp) != n)
			break;
	if (ferror(stdin) || ferror(fp) || fflush(fp) != 0) {
		fprintf(stderr, "innominatus-ctl: reading standard input: %s\n", strerror(errno));
		fclose(fp);
		return NULL;
	}
	rewind(fp);
	return fp;
}

/* The files a SQLite store at file may have beside it; what an import
 * into a new file made is removed again when the import fails. */
static const char *const store_files[] = { "", "-wal", "-shm", ".key", ".replica.lock" };
#define NSTORE_FILES (sizeof(store_files) / sizeof(store_files[0]))

/* existed[i]: whether file + store_files[i] exists now. */
static void
store_files_seen(const char *file, int *existed)
{
	char p[4200];
	struct stat sb;
	size_t i;

	for (i = 0; i < NSTORE_FILES; i++) {
		snprintf(p, sizeof(p), "%s%s", file, store_files[i]);
		existed[i] = lstat(p, &sb) == 0 || errno != ENOENT;
	}
}

/* Removes what did not exist before (existed) of a store file that did
 * not exist itself; says so. */
static void
store_files_remove(const char *file, const int *existed)
{
	struct stat sb;
	char p[4200];
	size_t i;

	if (existed[0] || lstat(file, &sb) != 0)
		return;
	for (i = 0; i < NSTORE_FILES; i++) {
		snprintf(p, sizeof(p), "%s%s", file, store_files[i]);
		if (!existed[i] && unlink(p) != 0 && errno != ENOENT)
			fprintf(stderr, "innominatus-ctl: cannot remove %s: %s\n", p,
			        strerror(errno));
	}
	fprintf(stderr, "innominatus-ctl: %s, which this import created, was removed\n", file);
}

/* Two passes over the dump: the first checks every line (nothing
 * written), the second loads, in one transaction where the backend has
 * them -- so a cut or garbled dump leaves the store as it was anywhere. */
static int
admin_import(const ctl_opts *o, int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "-";
	const char *name = strcmp(file, "-") == 0 ? "standard input" : file;
	struct import_ctx x;
	char shown[512], text[1024], dbfile[4096];
	const char *created = NULL;
	int existed[NSTORE_FILES];
	FILE *fp = NULL;
	int rc;

	if (argc > 2)
		return ctl_usage(use_import);
	memset(&x, 0, sizeof(x));
	if (table_count() > sizeof(x.counts) / sizeof(x.counts[0]))
		return CTL_EXIT_FAILED;
	if (strcmp(file, "-") == 0 ? (fp = spool_stdin()) == NULL :
	    (fp = fopen(file, "r")) == NULL) {
		if (strcmp(file, "-") != 0)
			fprintf(stderr, "innominatus-ctl: cannot read %s: %s\n", file,
			        strerror(errno));
		return CTL_EXIT_CONFIG;
	}
	if (o->db != NULL && (created = sqlite_file(o->db, dbfile, sizeof(dbfile))) != NULL)
		store_files_seen(created, existed);
	if ((rc = open_db(o, use_import, 0, &x.st, shown, sizeof(shown))) != CTL_EXIT_OK ||
	    (rc = check_empty(x.st, shown)) != CTL_EXIT_OK)
		goto out;
	if ((rc = import_stream(&x, fp, name)) != CTL_EXIT_OK) {
		fprintf(stderr, "innominatus-ctl: nothing was imported: %s is as it was\n", shown);
		goto out;
	}
	memset(x.counts, 0, sizeof(x.counts));
	x.last = x.ended = 0;
	x.load = 1;
	rewind(fp);
	if (inn_store_begin(x.st) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if ((rc = import_stream(&x, fp, name)) != CTL_EXIT_OK) {
		if (inn_store_rollback(x.st) == 0)
			fprintf(stderr, "innominatus-ctl: nothing was imported: %s is as it was\n",
			        shown);
		else
			fprintf(stderr, "innominatus-ctl: %s; %s holds the rows before that line: "
			        "empty it before importing again\n", inn_error_last(), shown);
		goto out;
	}
	if (inn_store_commit(x.st) != 0) {
		fprintf(stderr, "innominatus-ctl: import into %s: %s\n", shown, inn_error_last());
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	printf("imported into %s: %s\n", shown, counts_text(x.counts, text, sizeof(text)));
out:
	inn_store_close(x.st);
	fclose(fp);
	if (rc != CTL_EXIT_OK && created != NULL)
		store_files_remove(created, existed);
	return rc;
}

int
ctl_cmd_admin_store(const ctl_opts *o, int argc, char **argv)
{
	if (strcmp(argv[0], "export") == 0)
		return admin_export(o, argc);
	return admin_import(o, argc, argv);
}
