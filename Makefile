# migrate: PGXS build.  See README.md for the test and demo commands.

MODULE_big = migrate
OBJS = \
	src/migrate.o \
	src/rows.o \
	src/guard.o \
	src/writer_lock.o \
	src/version.o \
	src/script.o \
	src/catalog.o \
	src/catalog_load.o \
	src/execute.o \
	src/deploy.o \
	src/stepwise.o \
	src/toplevel.o \
	src/resume.o \
	src/target.o \
	src/analyze.o \
	src/plan.o \
	src/dataloss.o \
	src/datacount.o \
	src/hooks.o \
	src/protect.o \
	src/targets.o \
	src/drift.o \
	src/capture.o \
	src/locking.o \
	src/describe.o \
	src/describe_depend.o \
	src/describe_json.o \
	src/fingerprint.o \
	src/verify.o \
	src/baseline.o \
	src/import.o \
	src/changed.o \
	src/diff_input.o \
	src/diff_sql.o \
	src/diff_actions.o \
	src/diff_order.o \
	src/diff_rename.o \
	src/diff_types.o \
	src/diff_tables.o \
	src/diff_views.o \
	src/diff.o

EXTENSION = migrate
DATA = migrate--0.1.sql migrate--0.1--0.2.sql migrate--0.2--0.3.sql
PGFILEDESC = "migrate - schema migrations inside the database"

REGRESS = version_order register apply rollback status privileges bad_input plan dataloss dataloss_rules describe verify drift drift_incremental upgrade security deploy baseline import changed diff
REGRESS_OPTS = --inputdir=. --outputdir=.

ISOLATION = concurrent_apply apply_vs_rollback register_vs_apply register_same_id rollback_vs_rollback deploy_nowait lock_retries verify_vs_apply writer_lock_hostile ddl_never_waits state_kept deploy_concurrent baseline_vs_apply
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = output_iso tmp_check results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies
$(OBJS): $(wildcard src/*.h)

# The client program pg_migrate (SPEC §11) is built and installed with the
# extension.  PGXS builds one module or one program per Makefile, so it has
# its own, src/pg_migrate/Makefile, which these targets run, as pg_repack
# arranges its bin/ beside its lib/.
CLIENT_DIR = src/pg_migrate

all: client-all
install: client-install
installdirs: client-installdirs
uninstall: client-uninstall
clean: client-clean

client-all client-install client-installdirs client-uninstall client-clean:
	$(MAKE) -C $(CLIENT_DIR) $(patsubst client-%,%,$@)

.PHONY: client-all client-install client-installdirs client-uninstall client-clean
