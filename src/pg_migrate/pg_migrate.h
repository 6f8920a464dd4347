/*-------------------------------------------------------------------------
 *
 * pg_migrate.h
 *	  Declarations shared by the modules of the client program pg_migrate.
 *
 * pg_migrate reads a directory of migration files, registers them with the
 * migrate extension and calls its SQL functions (SPEC §11).  It holds no
 * logic of the server's: what to apply, in which order, and whether it is
 * safe, is the server's to decide.  The modules, one job each:
 *	  pg_migrate.c    main(): the command line and the dispatch
 *	  options.c       the command line: options and arguments
 *	  files.c         reading a file (UTF-8, no NUL), listing a directory
 *	  layout.c        which layout a directory is in, the set of migrations
 *	  layout_*.c      reading one layout each
 *	  checksum.c      the registration checksum migrate_changed() compares
 *	  connect.c       connecting, server notices and errors, literals
 *	  register.c      registering the migrations in one transaction
 *	  output.c        tables (psql's aligned format) and JSON
 *	  cmd_write.c     deploy, apply, register, rollback, undeploy, import
 *	  cmd_report.c    status, plan, verify, drift
 *	  scratch.c       a scratch database; two schemas compared
 *	  cmd_baseline.c  baseline, and its --check on a scratch database
 *	  cmd_print.c     print: the psql script that does what deploy does
 *	  cmd_generate.c  generate: the migration to a desired schema, proven
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_MIGRATE_H
#define PG_MIGRATE_H

#include "postgres_fe.h"

#include "libpq-fe.h"
#include "pqexpbuffer.h"

/* Exit statuses (README, "pg_migrate") */
#define EXIT_OK			0		/* done */
#define EXIT_FAILED		1		/* the files, the connection or the server
								 * refused or failed */
#define EXIT_USAGE		2		/* bad command line */
#define EXIT_FOUND		3		/* verify, drift or baseline --check found
								 * something */

/* Hex SHA-256 and its terminator */
#define CHECKSUM_LEN	64

/* ---------- options.c ---------- */

typedef enum Command
{
	CMD_NONE,
	CMD_DEPLOY,
	CMD_APPLY,
	CMD_REGISTER,
	CMD_STATUS,
	CMD_PLAN,
	CMD_VERIFY,
	CMD_ROLLBACK,
	CMD_UNDEPLOY,
	CMD_DRIFT,
	CMD_BASELINE,
	CMD_IMPORT,
	CMD_PRINT,
	CMD_GENERATE
} Command;

typedef struct Options
{
	Command		command;
	const char *command_name;
	const char *argument;		/* rollback/undeploy/baseline TARGET, import
								 * TOOL, generate ID */
	const char *target;			/* --target, or argument */
	const char *dir;			/* -D */
	bool		dir_given;
	const char *format;			/* -F, NULL: detect */
	bool		allow_data_loss;
	bool		dry_run;
	bool		execute;		/* plan --execute */
	bool		rollback;		/* plan --rollback */
	bool		check;			/* baseline --check */
	const char *scratch_db;		/* baseline --scratch-db, generate */
	const char **schema_files;	/* generate --schema */
	int			nschema_files;
	const char **renames;		/* generate --rename */
	int			nrenames;
	bool		unsafe;			/* generate --unsafe */
	bool		allow_drop;		/* generate --allow-drop */
	bool		print_apply;	/* print --apply */
	const char *history_table;	/* import --history-table */
	bool		json;
	bool		quiet;
	bool		verbose;
	/* connection */
	const char *dbname;			/* -d or the last argument: a name, conninfo
								 * or URI */
	const char *host;
	const char *port;
	const char *username;
	int			prompt_password;	/* 0 ask if needed, 1 always (-W), -1
									 * never (-w) */
} Options;

extern void parse_options(int argc, char **argv, Options *opts);
extern void usage(void);

/* ---------- files.c ---------- */

/* A file read whole: its text, NUL-terminated, and its length */
typedef struct FileText
{
	char	   *data;
	size_t		len;
} FileText;

/* A name in a directory */
typedef struct DirEntry
{
	char	   *name;
	bool		dir;			/* a directory (or a link to one) */
} DirEntry;

/* the set a file's problems are counted in (layout.c, below) */
struct MigrationSet;

extern bool read_text_file(struct MigrationSet *set, const char *path,
						   FileText *result);
extern char *path_join(const char *dir, const char *name);
extern DirEntry *list_directory(const char *dir, int *n);
extern bool is_directory(const char *path);
extern bool is_regular_file(const char *path);
extern bool has_suffix(const char *s, const char *suffix);
extern int	line_at(const char *text, size_t offset);

/* ---------- layout.c ---------- */

typedef enum Layout
{
	LAYOUT_NONE,
	LAYOUT_UPDOWN,				/* <id>.up.sql and <id>.down.sql */
	LAYOUT_DBMATE,
	LAYOUT_FLYWAY,
	LAYOUT_DIESEL,
	LAYOUT_SQITCH,
	LAYOUT_GRAPHILE
} Layout;

/* One migration as the files define it */
typedef struct Migration
{
	char	   *id;
	char	   *up;				/* never NULL; may hold no statement */
	char	   *down;			/* NULL: irreversible; "" a no-op */
	char	   *description;	/* NULL: none */
	bool		data_loss_ok;
	bool		transactional;
	char	   *file;			/* the file that defines it, for messages */
	char		checksum[CHECKSUM_LEN + 1];
} Migration;

typedef struct MigrationSet
{
	const char *dir;
	Layout		layout;
	int			n;
	int			size;
	Migration  *items;
	int			problems;		/* problems reported while reading */
	int			directory_problems; /* of them, the directory's */
	bool		no_down_scripts;	/* the layout has none (graphile) */
} MigrationSet;

extern const char *layout_name(Layout layout);
extern Layout layout_from_name(const char *name);
extern const char *layout_names(void);
extern bool read_migrations(const char *dir, const char *format,
							MigrationSet *set);
extern Migration *add_migration(MigrationSet *set, const char *id,
								const char *file);
extern void problem(MigrationSet *set, const char *file, const char *fmt,...)
			pg_attribute_printf(3, 4);
extern bool id_valid(const char *id);
extern void read_headers(Migration *m);
extern void sort_migrations(MigrationSet *set);
extern Migration *find_migration(const MigrationSet *set, const char *id);

/* Per layout: read the names of dir (set->dir) as that layout */
extern void updown_read(MigrationSet *set, DirEntry *entries, int n);
extern void dbmate_read(MigrationSet *set, DirEntry *entries, int n);
extern void flyway_read(MigrationSet *set, DirEntry *entries, int n);
extern void diesel_read(MigrationSet *set, DirEntry *entries, int n);
extern void sqitch_read(MigrationSet *set, DirEntry *entries, int n);
extern void graphile_read(MigrationSet *set, DirEntry *entries, int n);

/* ---------- checksum.c ---------- */

extern void sha256_hex(const char *data, size_t len, char *dest);
extern bool sha1_hex(const char *data, size_t len, char *dest);
extern void registration_checksum(Migration *m);

/* ---------- connect.c ---------- */

/* What the server offers, probed once after connecting */
typedef struct Server
{
	PGconn	   *conn;
	char	   *extversion;
	bool		has_changed;	/* migrate_changed(text[], text[]) */
	bool		has_deploy;		/* CALL migrate_deploy(text, boolean) */
	bool		has_undeploy;
	bool		has_baseline;
	bool		has_import;
	bool		has_diff;		/* migrate_describe_json(), migrate_diff() */
} Server;

/* An error reported, by the server or about a file, for --json */
typedef struct ErrorRecord
{
	char	   *file;			/* the file it is about, or NULL */
	char	   *severity;
	char	   *sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *context;
} ErrorRecord;

extern ErrorRecord *errors;
extern int	nerrors;
extern void record_error(const char *file, const char *message);

extern PGconn *connect_database(const Options *opts, const char *dbname);
extern bool probe_server(Server *server, const char *dbname);
extern PGresult *run(PGconn *conn, const char *sql);
extern PGresult *run_params(PGconn *conn, const char *sql, int nparams,
							const char *const *values);
extern bool run_ok(PGconn *conn, const char *sql);
extern void report_result_error(const PGresult *res);
extern void set_notice_output(bool quiet, bool collect);
extern int	notice_count(void);
extern const char *notice_at(int i);
extern char *sql_literal(PGconn *conn, const char *s);
extern void append_text_array(PQExpBuffer buf, const char *const *items,
							  int n);

/* ---------- register.c ---------- */

typedef struct RegisterResult
{
	int			registered;
	int			updated;
	int			unchanged;
	char	  **ids;			/* registered or updated, with their answers */
	char	  **answers;
	int			n;
} RegisterResult;

extern bool register_migrations(PGconn *conn, const Server *server,
								MigrationSet *set, bool quiet,
								RegisterResult *result);

/* ---------- output.c ---------- */

extern void print_table(const PGresult *res, const char *skip);
extern void print_json_rows(const PGresult *res, PQExpBuffer out);
extern void json_string(PQExpBuffer out, const char *s);
extern void json_errors(PQExpBuffer out);
extern void json_notices(PQExpBuffer out);
extern void json_registration(PQExpBuffer out, const RegisterResult *r);
extern void json_files(PQExpBuffer out, const MigrationSet *set);
extern void write_json(PQExpBuffer out);
extern void json_finish(PQExpBuffer out, int status);

/* ---------- scratch.c ---------- */

extern char *scratch_name(const char *what);
extern bool create_scratch(PGconn *conn, const char *name,
						   const char *command);
extern void drop_scratch(PGconn *conn, const char *name);
extern bool prepare_scratch(Server *scratch, const char *name, bool made);
extern PGresult *schema_rows(PGconn *conn);
extern PGresult *compare_schemas(PGconn *conn, const PGresult *other,
								 const char *here, const char *here_only,
								 const char *there, const char *there_only);

/* ---------- the commands ---------- */

extern int	cmd_write(const Options *opts);
extern int	cmd_report(const Options *opts);
extern int	cmd_baseline(const Options *opts);
extern int	cmd_print(const Options *opts);
extern int	cmd_generate(const Options *opts);
extern void print_advice(const PGresult *res);

/* helpers the commands share (cmd_write.c) */
extern bool load_files(const Options *opts, MigrationSet *set);
extern bool open_server(const Options *opts, Server *server);
extern void close_server(Server *server);
extern bool server_has(const Server *s, bool has, const char *function);

#endif							/* PG_MIGRATE_H */
