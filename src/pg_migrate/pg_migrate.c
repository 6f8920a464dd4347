/*-------------------------------------------------------------------------
 *
 * pg_migrate.c
 *	  main() of pg_migrate, the client program of the migrate extension
 *	  (SPEC §11): it reads a directory of migration files, registers them
 *	  in one transaction and calls the extension's functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include "common/logging.h"
#include "fe_utils/cancel.h"

#include "pg_migrate.h"

int
main(int argc, char **argv)
{
	Options		opts;

	pg_logging_init(argv[0]);
	set_pglocale_pgservice(argv[0], PG_TEXTDOMAIN("pg_migrate"));
	parse_options(argc, argv, &opts);
	setup_cancel_handler(NULL);

	switch (opts.command)
	{
		case CMD_DEPLOY:
		case CMD_APPLY:
		case CMD_REGISTER:
		case CMD_ROLLBACK:
		case CMD_UNDEPLOY:
		case CMD_IMPORT:
			return cmd_write(&opts);
		case CMD_STATUS:
		case CMD_PLAN:
		case CMD_VERIFY:
		case CMD_DRIFT:
			return cmd_report(&opts);
		case CMD_BASELINE:
			return cmd_baseline(&opts);
		case CMD_PRINT:
			return cmd_print(&opts);
		case CMD_GENERATE:
			return cmd_generate(&opts);
		case CMD_NONE:
			break;
	}
	usage();
	return EXIT_USAGE;
}
