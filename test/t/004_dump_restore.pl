# pg_dump keeps the migration state (after src/test/modules/test_pg_dump):
# the catalog tables and the history sequence are extension configuration,
# so a dump holds CREATE EXTENSION plus their rows, and a restore into a
# fresh database gives the same migrate_status(), the same catalog rows, a
# history sequence that carries on after the restored rows, and the same
# migrate_schema().
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
$node->start;

my $tempdir = PostgreSQL::Test::Utils::tempdir;
my $custom_file = "$tempdir/src.dump";
my $plain_file = "$tempdir/src.sql";

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION migrate');

# Objects whose description a dump and restore could change if it were
# taken from what the catalogs keep as it was given: a domain default made
# under another search_path and DateStyle, privileges granted in an order
# and some granted and revoked again, a policy's roles in an order other
# than that of pg_roles (which pg_dump lists them in) and one of them
# twice, options and list partition values in an order, a constraint
# trigger.
# migrate_schema() must describe the restored schema as it did the source.
$node->safe_psql(
	'src', q{
	CREATE ROLE regress_dump_b;
	CREATE ROLE "regress dump A";
	CREATE SCHEMA "Dump Me" AUTHORIZATION "regress dump A";
	CREATE FUNCTION "Dump Me".one() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
	CREATE FUNCTION "Dump Me".trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
	SET search_path = "Dump Me", public;
	SET DateStyle = 'German, DMY';
	CREATE DOMAIN "Dump Me".due AS date DEFAULT '2024-03-01';
	CREATE DOMAIN "Dump Me".three AS int DEFAULT one() + 2;
	RESET search_path;
	RESET DateStyle;
	CREATE TABLE "Dump Me".t (a text COLLATE "C", b int)
	  WITH (fillfactor = 70, autovacuum_enabled = false);
	GRANT SELECT ON "Dump Me".t TO regress_dump_b;
	GRANT INSERT ON "Dump Me".t TO "regress dump A";
	GRANT SELECT (a) ON "Dump Me".t TO regress_dump_b;
	CREATE POLICY p ON "Dump Me".t TO "regress dump A", regress_dump_b, "regress dump A" USING (b > 0);
	CREATE CONSTRAINT TRIGGER t_check AFTER INSERT ON "Dump Me".t
	  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "Dump Me".trg();
	CREATE TABLE "Dump Me".granted_back (x int);
	GRANT SELECT ON "Dump Me".granted_back TO regress_dump_b;
	REVOKE SELECT ON "Dump Me".granted_back FROM regress_dump_b;
	REVOKE EXECUTE ON FUNCTION "Dump Me".one() FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION "Dump Me".one() TO PUBLIC;
	CREATE TABLE "Dump Me".l (k text) PARTITION BY LIST (k);
	CREATE TABLE "Dump Me".l_x PARTITION OF "Dump Me".l FOR VALUES IN ('y', NULL, 'x');
});

# Four migrations, one irreversible, descriptions with quotes and non-ASCII
# text, multi-line scripts; all applied, the last rolled back and applied
# again.  Then a pending one, one registered and unregistered, and a new
# down script for an applied one: history has every kind of row.
$node->safe_psql(
	'src', q{
	SET client_min_messages = warning;
	SELECT migrate_register('0001_users',
	  'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);',
	  'DROP TABLE users;',
	  'users, with a name');
	SELECT migrate_register('0002_orders',
	  $$CREATE TABLE orders (
  id int PRIMARY KEY,
  user_id int REFERENCES users,
  note text DEFAULT 'l''été'
);
COMMENT ON TABLE orders IS 'orders: "quoted", tab	here';$$,
	  'DROP TABLE orders;',
	  $$orders — l'été "quoted"
second line$$);
	SELECT migrate_register('0003_backfill',
	  $$INSERT INTO users VALUES (1, 'alice'), (2, 'bob');$$,
	  NULL,
	  'backfill users; cannot be undone',
	  data_loss_ok => true);
	SELECT migrate_register('0004_index',
	  'CREATE INDEX users_name_idx ON users (name);',
	  'DROP INDEX users_name_idx;');
	SELECT migrate_apply('head');
	SELECT migrate_rollback('-1');
	SELECT migrate_apply('0004_index');
	SELECT migrate_register('0005_status',
	  'ALTER TABLE orders ADD COLUMN status text;',
	  'ALTER TABLE orders DROP COLUMN status;',
	  'order status');
	SELECT migrate_register('0006_gone', 'SELECT 1;');
	SELECT migrate_unregister('0006_gone');
	SELECT migrate_register('0001_users',
	  'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);',
	  'DROP TABLE users CASCADE;',
	  'users, with a name');
	SELECT migrate_capture_ddl(true);
});

my %query = (
	schema =>
	  "SELECT kind || ' ' || identity || ' ' || definition FROM migrate_schema()",
	status =>
	  'SELECT id, description, state, applied_at, applied_by, duration, reversible FROM migrate_status()',
	current => 'SELECT migrate_current()',
	history =>
	  'SELECT seq, id, action, at, by, duration, checksum, txid FROM migrate.history ORDER BY seq',
	migration =>
	  'SELECT id, description, up_sql, down_sql, checksum, data_loss_ok, registered_at, registered_by FROM migrate.migration ORDER BY id',
	applied =>
	  'SELECT id, checksum, applied_at, applied_by, duration FROM migrate.applied ORDER BY id',
	sequence => 'SELECT last_value, is_called FROM migrate.history_seq',
	capture => 'SELECT migrate_capture_ddl()',
	tables => q{
	SELECT to_regclass('users') IS NOT NULL, to_regclass('orders') IS NOT NULL,
	       to_regclass('users_name_idx') IS NOT NULL,
	       (SELECT string_agg(name, ',' ORDER BY id) FROM users)});
my %src;
$src{$_} = $node->safe_psql('src', $query{$_}) foreach keys %query;

# the source state is the one meant
is( $node->safe_psql(
		'src', 'SELECT id, state, reversible FROM migrate_status()'),
	"0001_users|applied|t
0002_orders|applied|t
0003_backfill|applied|f
0004_index|applied|t
0005_status|pending|t",
	'src: four applied, one pending, one irreversible');
is( $node->safe_psql(
		'src',
		"SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM migrate.history"
	),
	'apply,register,rollback,unregister,update',
	'src: history has register, update, unregister, apply and rollback rows');
is($src{tables}, 't|t|t|alice,bob', 'src: the migrations\' objects exist');
my $src_max_seq =
  $node->safe_psql('src', 'SELECT max(seq) FROM migrate.history');

$node->command_ok(
	[ 'pg_dump', '-Fc', '-f', $custom_file, '-d', $node->connstr('src') ],
	'pg_dump -Fc');
$node->command_ok(
	[ 'pg_dump', '-Fp', '-f', $plain_file, '-d', $node->connstr('src') ],
	'pg_dump, plain format');

# The dump creates the extension and restores its configuration tables'
# rows, but never the tables themselves.
my ($stdout, $stderr);
IPC::Run::run([ 'pg_restore', '-l', $custom_file ],
	'>', \$stdout, '2>', \$stderr)
  or die "pg_restore -l failed: $stderr";
like($stdout, qr/^\d+; \d+ \d+ EXTENSION - migrate $/m,
	'custom dump: CREATE EXTENSION migrate');
foreach my $table ('migration', 'applied', 'history')
{
	like(
		$stdout,
		qr/^\d+; \d+ \d+ TABLE DATA migrate $table \S+$/m,
		"custom dump: data of migrate.$table");
}
like(
	$stdout,
	qr/^\d+; \d+ \d+ SEQUENCE SET migrate history_seq \S+$/m,
	'custom dump: value of migrate.history_seq');
my @other =
  grep { / migrate / && !/ (EXTENSION|TABLE DATA|SEQUENCE SET) (- )?migrate / }
  grep { !/^;/ } split /\n/, $stdout;
is(join("\n", @other), '',
	'custom dump: no definition of the schema, tables, sequence or indexes');

my $plain = slurp_file($plain_file);
like(
	$plain,
	qr/^CREATE EXTENSION IF NOT EXISTS migrate WITH SCHEMA pg_catalog;$/m,
	'plain dump: CREATE EXTENSION migrate');
like($plain, qr/^COPY migrate\.migration \(/m,
	'plain dump: rows of migrate.migration');
like(
	$plain,
	qr/^SELECT pg_catalog\.setval\('migrate\.history_seq', $src_max_seq, true\);$/m,
	'plain dump: value of migrate.history_seq');
unlike(
	$plain,
	qr/^(CREATE|ALTER) .*\bmigrate\./m,
	'plain dump: no CREATE or ALTER of the tables, sequence or indexes');
unlike($plain, qr/^CREATE SCHEMA migrate\b/m, 'plain dump: no CREATE SCHEMA');

$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('dst'), $custom_file ],
	'pg_restore into dst');
$node->safe_psql('postgres', 'CREATE DATABASE dst2');
$node->command_ok(
	[
		'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
		'-f', $plain_file, '-d', $node->connstr('dst2')
	],
	'psql -f of the plain dump into dst2');

foreach my $db ('dst', 'dst2')
{
	foreach my $what (sort keys %query)
	{
		is($node->safe_psql($db, $query{$what}),
			$src{$what}, "$db: $what equals src's");
	}
	is( $node->safe_psql(
			$db, q{
	SELECT extversion, cardinality(extconfig),
	       (SELECT count(*) FROM pg_depend
	         WHERE refclassid = 'pg_extension'::regclass AND refobjid = e.oid
	           AND deptype = 'e' AND classid = 'pg_class'::regclass
	           AND objid IN ('migrate.migration'::regclass,
	                         'migrate.applied'::regclass,
	                         'migrate.history'::regclass,
	                         'migrate.history_seq'::regclass))
	  FROM pg_extension e WHERE extname = 'migrate'}),
		$node->safe_psql('src',
			"SELECT extversion FROM pg_extension WHERE extname = 'migrate'")
		  . '|8|4',
		"$db: same version as src; the catalog belongs to the extension and is its configuration (with migrate.ddl_log, its sequence, migrate.settings and migrate.progress)");

	# the restored state carries on
	is( $node->safe_psql(
			$db, "SET client_min_messages = warning; SELECT migrate_apply()"),
		'1',
		"$db: migrate_apply() applies 1");
	is( $node->safe_psql(
			$db, "SELECT id FROM migrate_status() WHERE state <> 'applied'"),
		'',
		"$db: everything applied");
	is( $node->safe_psql(
			$db, q{
	SELECT string_agg(h.id, ',')
	  FROM migrate.history h
	  JOIN migrate.applied a ON a.id = h.id AND h.action = 'apply'
	 WHERE h.seq > } . $src_max_seq),
		'0005_status',
		"$db: 0005_status only applied after the restore");
	is( $node->safe_psql(
			$db, q{
	SELECT count(*), min(seq) > } . $src_max_seq . q{
	  FROM migrate.history WHERE id = '0005_status' AND action = 'apply'}),
		'1|t',
		"$db: its history row comes after every restored row");
	is( $node->safe_psql(
			$db,
			"SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'status'"
		),
		'1',
		"$db: orders.status exists");
	is( $node->safe_psql(
			$db,
			"SET client_min_messages = warning; SELECT migrate_rollback('-1')"),
		'1',
		"$db: migrate_rollback('-1') rolls back 1");
	is($node->safe_psql($db, $query{status}),
		$src{status}, "$db: status equals src's again");
	is( $node->safe_psql(
			$db,
			"SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'status'"
		),
		'0',
		"$db: orders.status is gone");
}

$node->stop;
done_testing();
