/*-------------------------------------------------------------------------
 *
 * options.c
 *	  The command line of pg_migrate: a command, its argument, options, and
 *	  the connection as psql takes it.
 *
 *	  pg_migrate [OPTION]... COMMAND [ARGUMENT] [CONNINFO]
 *
 * A rollback target such as -1 looks like an option; an argument made of a
 * minus sign and digits is taken as the command's argument.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include "common/logging.h"
#include "getopt_long.h"

#include "pg_migrate.h"

typedef struct CommandInfo
{
	const char *name;
	Command		command;
	int			argument;		/* 0 none, 1 required */
	const char *argument_name;
} CommandInfo;

static const CommandInfo commands[] = {
	{"deploy", CMD_DEPLOY, 0, NULL},
	{"apply", CMD_APPLY, 0, NULL},
	{"register", CMD_REGISTER, 0, NULL},
	{"status", CMD_STATUS, 0, NULL},
	{"plan", CMD_PLAN, 0, NULL},
	{"verify", CMD_VERIFY, 0, NULL},
	{"rollback", CMD_ROLLBACK, 1, "TARGET"},
	{"undeploy", CMD_UNDEPLOY, 1, "TARGET"},
	{"drift", CMD_DRIFT, 0, NULL},
	{"baseline", CMD_BASELINE, 1, "TARGET"},
	{"import", CMD_IMPORT, 1, "TOOL"},
	{"print", CMD_PRINT, 0, NULL},
	{"generate", CMD_GENERATE, 1, "ID"},
	{NULL, CMD_NONE, 0, NULL}
};

/* long options without a short form */
enum
{
	OPT_TARGET = 1000,
	OPT_ALLOW_DATA_LOSS,
	OPT_DRY_RUN,
	OPT_EXECUTE,
	OPT_ROLLBACK,
	OPT_CHECK,
	OPT_SCRATCH_DB,
	OPT_APPLY,
	OPT_JSON,
	OPT_HISTORY_TABLE,
	OPT_SCHEMA,
	OPT_RENAME,
	OPT_UNSAFE,
	OPT_ALLOW_DROP
};

void
usage(void)
{
	printf("%s deploys migration files with the migrate extension of PostgreSQL.\n\n",
		   "pg_migrate");
	printf("Usage:\n");
	printf("  pg_migrate [OPTION]... COMMAND [ARGUMENT] [CONNINFO]\n");
	printf("\nCommands:\n");
	printf("  deploy           register the files, then CALL migrate_deploy(): each\n"
		   "                   migration commits on its own\n");
	printf("  apply            register the files and migrate_apply(), in one transaction\n");
	printf("  register         register the files, nothing more\n");
	printf("  status           every migration and its state, the files' included\n");
	printf("  plan             what the pending migrations would do (migrate_plan())\n");
	printf("  verify           prove that down scripts undo up scripts (migrate_verify())\n");
	printf("  rollback TARGET  register the files, migrate_rollback(), in one transaction\n");
	printf("  undeploy TARGET  register the files, then CALL migrate_undeploy()\n");
	printf("  drift            what changed outside migrations (migrate_drift())\n");
	printf("  baseline TARGET  register the files, mark those up to TARGET applied unrun\n");
	printf("  import TOOL      register the files, take over the history that TOOL left:\n"
		   "                   flyway, dbmate, golang-migrate, diesel, sqitch,\n"
		   "                   graphile-migrate\n");
	printf("  print            write the psql script that does what deploy (or apply) does\n");
	printf("  generate ID      write migration ID, from the database's schema to the one\n"
		   "                   --schema files make, and prove it on a scratch database\n");
	printf("\nOptions:\n");
	printf("  -D, --dir=DIR            the migration files (default: migrations)\n");
	printf("  -F, --format=LAYOUT      updown (or golang-migrate), dbmate, flyway, diesel,\n"
		   "                           sqitch, graphile (default: told from the files)\n");
	printf("      --target=TARGET      deploy, apply, plan, verify, print: how far\n"
		   "                           (default: head)\n");
	printf("      --allow-data-loss    let migrations destroy data the guard protects\n");
	printf("      --dry-run            apply, rollback: run it all, then roll it back\n");
	printf("      --execute            plan: run the migrations too, then roll them back\n");
	printf("      --rollback           plan: the down scripts rollback TARGET would run\n");
	printf("      --check              baseline: first prove it on a scratch database\n");
	printf("      --scratch-db=NAME    baseline --check, generate: this empty database, not\n"
		   "                           a new one\n");
	printf("      --schema=FILE...     generate: the SQL files that make the desired schema\n");
	printf("      --rename=KIND:OLD=NEW\n"
		   "                           generate: write this as a RENAME (table:, column:,\n"
		   "                           index:, constraint:); never guessed\n");
	printf("      --allow-drop         generate: write what destroys data (drops...)\n");
	printf("      --unsafe             generate: the plain forms, not CONCURRENTLY and NOT\n"
		   "                           VALID then VALIDATE\n");
	printf("      --history-table=TABLE\n"
		   "                           import: the tool's history is in this table\n");
	printf("      --apply              print: migrate_apply() in the transaction instead\n"
		   "                           of CALL migrate_deploy() after it\n");
	printf("      --json               results as JSON on standard output\n");
	printf("  -q, --quiet              no progress lines\n");
	printf("  -v, --verbose            errors with their SQLSTATE and source location\n");
	printf("  -V, --version            output version information, then exit\n");
	printf("  -?, --help               show this help, then exit\n");
	printf("\nConnection options:\n");
	printf("  -d, --dbname=DBNAME      database name, conninfo string or URI\n");
	printf("  -h, --host=HOSTNAME      database server host or socket directory\n");
	printf("  -p, --port=PORT          database server port\n");
	printf("  -U, --username=USERNAME  database user name\n");
	printf("  -w, --no-password        never prompt for password\n");
	printf("  -W, --password           force password prompt\n");
	printf("\nCONNINFO, the last argument, is a database name, a conninfo string or a URI,\n"
		   "as for psql; the PG* environment variables apply.\n");
	printf("\nExit status: 0 done; 1 the files, the connection or the server refused or\n"
		   "failed; 2 bad usage; 3 verify, drift or baseline --check found something.\n");
}

/* report a bad command line (message made with psprintf) and exit */
static void
bad_usage(char *message)
{
	pg_log_error("%s", message);
	pg_log_error_hint("Try \"%s --help\" for more information.", "pg_migrate");
	exit(EXIT_USAGE);
}

/* -1, -25: a rollback target, not an option */
static bool
is_negative_number(const char *s)
{
	if (s[0] != '-' || s[1] == '\0')
		return false;
	for (s++; *s; s++)
		if (!isdigit((unsigned char) *s))
			return false;
	return true;
}

/* the short options that take a value in the next argument */
static bool
takes_value(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0' && arg[1] != '-' && arg[2] == '\0' &&
		strchr("DFdhpU", arg[1]) != NULL;
}

void
parse_options(int argc, char **argv, Options *opts)
{
	static struct option long_options[] = {
		{"dir", required_argument, NULL, 'D'},
		{"format", required_argument, NULL, 'F'},
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"no-password", no_argument, NULL, 'w'},
		{"password", no_argument, NULL, 'W'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, '?'},
		{"target", required_argument, NULL, OPT_TARGET},
		{"allow-data-loss", no_argument, NULL, OPT_ALLOW_DATA_LOSS},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"execute", no_argument, NULL, OPT_EXECUTE},
		{"rollback", no_argument, NULL, OPT_ROLLBACK},
		{"check", no_argument, NULL, OPT_CHECK},
		{"scratch-db", required_argument, NULL, OPT_SCRATCH_DB},
		{"apply", no_argument, NULL, OPT_APPLY},
		{"json", no_argument, NULL, OPT_JSON},
		{"history-table", required_argument, NULL, OPT_HISTORY_TABLE},
		{"schema", required_argument, NULL, OPT_SCHEMA},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"unsafe", no_argument, NULL, OPT_UNSAFE},
		{"allow-drop", no_argument, NULL, OPT_ALLOW_DROP},
		{NULL, 0, NULL, 0}
	};
	char	  **args;
	int			nargs = 0;
	const char *negative = NULL;
	const char **positional;
	int			npositional = 0;
	const CommandInfo *ci;
	int			c;
	int			i;

	memset(opts, 0, sizeof(*opts));
	opts->dir = "migrations";
	opts->schema_files = pg_malloc(sizeof(char *) * (argc + 1));
	opts->renames = pg_malloc(sizeof(char *) * (argc + 1));
	positional = pg_malloc(sizeof(char *) * (argc + 1));

	if (argc > 1)
	{
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0)
		{
			usage();
			exit(EXIT_OK);
		}
		if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		{
			printf("pg_migrate (migrate) %s\n", PG_MIGRATE_VERSION);
			exit(EXIT_OK);
		}
	}

	/* set a rollback target such as -1 aside, so getopt does not see it */
	args = pg_malloc(sizeof(char *) * (argc + 1));
	for (i = 0; i < argc; i++)
	{
		if (i > 0 && is_negative_number(argv[i]) && !takes_value(argv[i - 1]))
		{
			if (negative != NULL)
				bad_usage(psprintf("too many arguments: \"%s\"", argv[i]));
			negative = argv[i];
			continue;
		}
		args[nargs++] = argv[i];
	}
	args[nargs] = NULL;

	while ((c = getopt_long(nargs, args, "D:F:d:h:p:U:wWqvV?", long_options,
							NULL)) != -1)
	{
		switch (c)
		{
			case 'D':
				opts->dir = optarg;
				opts->dir_given = true;
				break;
			case 'F':
				opts->format = optarg;
				break;
			case 'd':
				opts->dbname = optarg;
				break;
			case 'h':
				opts->host = optarg;
				break;
			case 'p':
				opts->port = optarg;
				break;
			case 'U':
				opts->username = optarg;
				break;
			case 'w':
				opts->prompt_password = -1;
				break;
			case 'W':
				opts->prompt_password = 1;
				break;
			case 'q':
				opts->quiet = true;
				break;
			case 'v':
				opts->verbose = true;
				break;
			case 'V':
				printf("pg_migrate (migrate) %s\n", PG_MIGRATE_VERSION);
				exit(EXIT_OK);
			case '?':
				if (strcmp(args[optind - 1], "-?") == 0 ||
					strcmp(args[optind - 1], "--help") == 0)
				{
					usage();
					exit(EXIT_OK);
				}
				/* getopt_long said what was wrong */
				pg_log_error_hint("Try \"%s --help\" for more information.",
								  "pg_migrate");
				exit(EXIT_USAGE);
			case OPT_TARGET:
				opts->target = optarg;
				break;
			case OPT_ALLOW_DATA_LOSS:
				opts->allow_data_loss = true;
				break;
			case OPT_DRY_RUN:
				opts->dry_run = true;
				break;
			case OPT_EXECUTE:
				opts->execute = true;
				break;
			case OPT_ROLLBACK:
				opts->rollback = true;
				break;
			case OPT_CHECK:
				opts->check = true;
				break;
			case OPT_SCRATCH_DB:
				opts->scratch_db = optarg;
				break;
			case OPT_APPLY:
				opts->print_apply = true;
				break;
			case OPT_JSON:
				opts->json = true;
				break;
			case OPT_HISTORY_TABLE:
				opts->history_table = optarg;
				break;
			case OPT_SCHEMA:
				opts->schema_files[opts->nschema_files++] = optarg;
				break;
			case OPT_RENAME:
				opts->renames[opts->nrenames++] = optarg;
				break;
			case OPT_UNSAFE:
				opts->unsafe = true;
				break;
			case OPT_ALLOW_DROP:
				opts->allow_drop = true;
				break;
			default:
				pg_log_error_hint("Try \"%s --help\" for more information.",
								  "pg_migrate");
				exit(EXIT_USAGE);
		}
	}

	for (i = optind; i < nargs; i++)
		positional[npositional++] = args[i];
	if (npositional == 0)
		bad_usage(psprintf("no command given"));

	for (ci = commands; ci->name != NULL; ci++)
		if (strcmp(ci->name, positional[0]) == 0)
			break;
	if (ci->name == NULL)
		bad_usage(psprintf("unknown command \"%s\"", positional[0]));
	opts->command = ci->command;
	opts->command_name = ci->name;

	i = 1;
	if (ci->argument)
	{
		if (negative != NULL)
			opts->argument = negative;
		else if (i < npositional)
			opts->argument = positional[i++];
		else
			bad_usage(psprintf("%s needs a %s", ci->name, ci->argument_name));
	}
	else if (negative != NULL)
		bad_usage(psprintf("%s takes no argument (\"%s\"); a target is given with --target",
						   ci->name, negative));
	/* generate ID --schema a.sql b.sql: the files after the first one */
	if (ci->command == CMD_GENERATE)
		while (i < npositional && opts->nschema_files > 0 &&
			   is_regular_file(positional[i]))
			opts->schema_files[opts->nschema_files++] = positional[i++];
	if (i < npositional)
	{
		if (opts->dbname != NULL)
			bad_usage(psprintf("too many arguments: \"%s\" (the database is given with -d already)",
							   positional[i]));
		opts->dbname = positional[i++];
	}
	if (i < npositional)
		bad_usage(psprintf("too many arguments: \"%s\"", positional[i]));

	/* which options go with which command */
	if (opts->target != NULL &&
		!(opts->command == CMD_DEPLOY || opts->command == CMD_APPLY ||
		  opts->command == CMD_PLAN || opts->command == CMD_VERIFY ||
		  opts->command == CMD_PRINT))
		bad_usage(psprintf("--target goes with deploy, apply, plan, verify and print; %s takes its target as an argument",
						   ci->name));
	if (opts->dry_run && opts->command != CMD_APPLY &&
		opts->command != CMD_ROLLBACK)
		bad_usage(psprintf("--dry-run goes with apply and rollback"));
	if ((opts->execute || opts->rollback) && opts->command != CMD_PLAN)
		bad_usage(psprintf("--execute and --rollback go with plan"));
	if (opts->check && opts->command != CMD_BASELINE)
		bad_usage(psprintf("--check goes with baseline"));
	if (opts->scratch_db && opts->command != CMD_GENERATE &&
		opts->command != CMD_BASELINE)
		bad_usage(psprintf("--scratch-db goes with baseline --check and generate"));
	if (opts->scratch_db && opts->command == CMD_BASELINE && !opts->check)
		bad_usage(psprintf("--scratch-db goes with --check"));
	if ((opts->nschema_files > 0 || opts->nrenames > 0 || opts->unsafe ||
		 opts->allow_drop) && opts->command != CMD_GENERATE)
		bad_usage(psprintf("--schema, --rename, --unsafe and --allow-drop go with generate"));
	if (opts->command == CMD_GENERATE && opts->nschema_files == 0)
		bad_usage(psprintf("generate needs the files of the desired schema: --schema FILE..."));
	if (opts->history_table && opts->command != CMD_IMPORT)
		bad_usage(psprintf("--history-table goes with import"));
	if (opts->print_apply && opts->command != CMD_PRINT)
		bad_usage(psprintf("--apply goes with print"));
	if (opts->allow_data_loss &&
		!(opts->command == CMD_DEPLOY || opts->command == CMD_APPLY ||
		  opts->command == CMD_ROLLBACK || opts->command == CMD_UNDEPLOY ||
		  opts->command == CMD_PRINT))
		bad_usage(psprintf("--allow-data-loss goes with deploy, apply, rollback, undeploy and print"));
	if (opts->json && opts->command == CMD_PRINT)
		bad_usage(psprintf("print writes a psql script; --json does not go with it"));
	if (opts->format != NULL && layout_from_name(opts->format) == LAYOUT_NONE)
		bad_usage(psprintf("unknown layout \"%s\": %s", opts->format, layout_names()));

	if (opts->target == NULL)
		opts->target = opts->argument != NULL &&
			(opts->command == CMD_ROLLBACK || opts->command == CMD_UNDEPLOY ||
			 opts->command == CMD_BASELINE) ? opts->argument : NULL;
	if (opts->target == NULL)
		opts->target = "head";
	pg_free(args);
	pg_free(positional);
}
