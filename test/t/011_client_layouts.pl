# The layouts pg_migrate reads (SPEC §11): each fixture of test/fixtures/client
# tells one history in one layout.  Each is told from its files and gives
# the ids, descriptions, down scripts and transactional flags its layout
# says; deployed, every layout builds the same schema and data.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('layouts');
my %schema;
my %data;

# what each layout's fixture says of each migration: its id (in version
# order), whether it is transactional, whether its down script is NULL, ''
# or some SQL, and its description
my %expect = (
	updown => [
		'000001_create_users t sql create the users table',
		'000002_create_orders t sql create the orders table and its status type',
		'000003_seed_users t sql the first two users',
		'000004_add_shipped_status t empty orders can be shipped',
		'000005_user_order_totals t sql totals of orders per user',
		'000006_widen_order_amount t sql amounts up to 999,999,999,999.99; the view reads them',
		'000007_backfill_display_name t null display names, from the email addresses (irreversible)',
		'000008_index_orders_user_id f sql index orders by user, without blocking writes'
	],
	dbmate => [
		'20240101120000_create_users t sql -',
		'20240102120000_create_orders t sql -',
		'20240103120000_seed_users t sql -',
		'20240104120000_add_shipped_status t sql -',
		'20240105120000_user_order_totals t sql -',
		'20240106120000_widen_order_amount t sql -',
		'20240107120000_backfill_display_name t sql -',
		'20240108120000_index_orders_user_id f sql -'
	],
	flyway => [
		'1 t sql create users',
		'1.1 t sql create orders',
		'1.2 t sql seed users',
		'2 t empty add shipped status',
		'2.1 t sql user order totals',
		'2.10 t sql widen order amount',
		'10 t null backfill display name',
		'10.1 f sql index orders user id'
	],
	diesel => [
		'00000000000000_diesel_initial_setup t sql -',
		'2024-01-01-120000_create_users t sql -',
		'2024-01-02-120000_create_orders t sql -',
		'2024-01-03-120000_seed_users t sql -',
		'2024-01-04-120000_add_shipped_status t empty -',
		'2024-01-05-120000_user_order_totals t sql -',
		'2024-01-06-120000_widen_order_amount t sql -',
		'2024-01-07-120000_backfill_display_name t null -',
		'2024-01-08-120000_index_orders_user_id f sql -'
	],
	sqitch => [
		'0001_create_users t sql create the users table',
		'0002_create_orders t sql create the orders table and its status type',
		'0003_seed_users t sql the first two users',
		'0004_add_shipped_status t sql orders can be shipped',
		'0005_user_order_totals t sql totals of orders per user',
		'0006_user_order_totals t sql amounts up to 999,999,999,999.99; the view reads them',
		'0007_backfill_display_name t sql display names, from the email addresses',
		'0008_index_orders_user_id f sql index orders by user, without blocking writes'
	],
	graphile => [
		'000001 t null create the users table',
		'000002 t null create the orders table and its status type',
		'000003 t null the first two users',
		'000004 t null orders can be shipped',
		'000005 t null totals of orders per user',
		'000006 t null amounts up to 999,999,999,999.99; the view reads them',
		'000007 t null display names, from the email addresses (irreversible)',
		'000008 f null index orders by user, without blocking writes'
	]);

my $deploy;
for my $layout (qw(updown dbmate flyway diesel sqitch graphile))
{
	my $db = "l_$layout";
	my $conn = fresh_db($node, $db);
	$deploy //= server_has($node, $db, 'migrate_deploy(text,boolean)');
	my $dir = fixture($layout);

	# told from the files, as registered
	my ($ret, $out, $err) = run_pgm('-D', $dir, '--json', 'register', $conn);
	is($ret, 0, "$layout: register: exit status 0");
	my $j = json_of($out);
	is($j->{layout}, $layout, "$layout: the layout is told from the files");
	is(scalar @{ $j->{registered} }, scalar @{ $expect{$layout} },
		"$layout: every migration registered");
	my $got = $node->safe_psql(
		$db, q{
		SELECT s.id || ' ' || (CASE WHEN m.transactional THEN 't' ELSE 'f' END) || ' ' ||
		       CASE WHEN m.down_sql IS NULL THEN 'null' WHEN m.down_sql = '' THEN 'empty' ELSE 'sql' END || ' ' ||
		       coalesce(m.description, '-')
		  FROM migrate_status() s JOIN migrate.migration m USING (id)});
	is_deeply([ split /\n/, $got ], $expect{$layout},
		"$layout: ids in version order, transactional, down scripts, descriptions");

	# named with --format, the same
	($ret, $out) = run_pgm('-D', $dir, '-F', $layout, '--json', 'register', $conn);
	is($ret, 0, "$layout: --format $layout: exit status 0");
	is(json_of($out)->{unchanged}, scalar @{ $expect{$layout} },
		"$layout: --format $layout: the same migrations, unchanged");

	# deployed: all of it, or on a server without migrate_deploy() the
	# transactional ones
	my @target = $deploy ? () : ('--target', $LAST_TX{$layout});
	($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', @target, $conn);
	is($ret, 0, "$layout: deploy: exit status 0") or diag($err);
	# diesel's own functions apart
	$schema{$layout} = schema_of($node, $db, '^public\.diesel_');
	$data{$layout} = $node->safe_psql($db,
		'SELECT string_agg(email || coalesce(display_name, \'\'), \' \' ORDER BY email) FROM users');

	# and again: nothing to do
	($ret, $out) = run_pgm('-D', $dir, '--json', 'deploy', @target, $conn);
	is(json_of($out)->{unchanged}, scalar @{ $expect{$layout} },
		"$layout: deploy again: nothing registered");
	is($node->safe_psql($db, q{SELECT count(*) FROM migrate_status() WHERE state = 'pending'}),
		$deploy ? '0' : '1', "$layout: deploy again: nothing left pending");
}

# one schema, one data, whatever the layout
for my $layout (qw(dbmate flyway diesel sqitch graphile))
{
	is($schema{$layout}, $schema{updown},
		"$layout: the same schema as the updown layout");
	is($data{$layout}, $data{updown}, "$layout: the same rows");
}
like($schema{updown}, qr/^index public\.orders_user_id_idx: /m,
	'the concurrent index was built') if $deploy;
is($data{updown}, 'ada@example.comada alan@example.comalan',
	'the seed rows, backfilled');

# graphile-migrate: the migrations directory, or committed/ itself
{
	my $conn = fresh_db($node, 'l_graphile2');
	my ($ret, $out) = run_pgm('-D', 'test/fixtures/client/graphile/migrations/committed',
		'--json', 'register', $conn);
	is($ret, 0, 'graphile: committed/ read directly');
	is(scalar @{ json_of($out)->{registered} }, 8, 'graphile: committed/: the same 8 migrations');
}

# graphile-migrate: a committed file named with its message; the id is the
# name, without .sql
{
	use Digest::SHA qw(sha1_hex);
	my $dir = PostgreSQL::Test::Utils::tempdir('graphile_slug');
	mkdir "$dir/committed";
	my $body = "CREATE TABLE slugged (id int);\n";
	# graphile-migrate's hash: ((previous || "") + "\n" + body.trim()).trim() + "\n"
	my $hash = 'sha1:' . sha1_hex("CREATE TABLE slugged (id int);\n");
	write_file("$dir/committed/000001-create-slugged.sql",
		"--! Previous: -\n--! Hash: $hash\n--! Message: create slugged\n\n$body");
	my $conn = fresh_db($node, 'l_slug');
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'register', $conn);
	is($ret, 0, 'graphile: a file named with its message') or diag($err);
	is($node->safe_psql('l_slug', 'SELECT id || \' \' || description FROM migrate.migration'),
		'000001-create-slugged create slugged', 'graphile: the id is the file name');
}

# the scripts as the layouts give them: Sqitch's BEGIN;/COMMIT; lines
# left empty, dbmate's sections from their directive lines
is( $node->safe_psql('l_sqitch',
		q{SELECT up_sql || '|' FROM migrate.migration WHERE id = '0004_add_shipped_status'}),
	"-- Deploy shop:add_shipped_status to pg\n\n\n\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped' AFTER 'paid';\n\n\n|",
	'sqitch: BEGIN; and COMMIT; taken off, their lines left');
is( $node->safe_psql('l_sqitch',
		q{SELECT up_sql || '|' FROM migrate.migration WHERE id = '0008_index_orders_user_id'}),
	"-- Deploy shop:index_orders_user_id to pg\n\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);\n|",
	'sqitch: a script without BEGIN/COMMIT, as it is');
is( $node->safe_psql('l_dbmate',
		q{SELECT up_sql || '|' || down_sql || '|' FROM migrate.migration WHERE id = '20240104120000_add_shipped_status'}),
	"-- migrate:up\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped' AFTER 'paid';\n\n|-- migrate:down\n|",
	'dbmate: each section from its directive');
is( $node->safe_psql('l_sqitch',
		q{SELECT up_sql FROM migrate.migration WHERE id = '0005_user_order_totals'}) =~ /CREATE OR REPLACE VIEW/ ? 1 : 0,
	1, 'sqitch: the reworked change\'s first version from deploy/user_order_totals@v1.0.sql');

# dbmate: several sections in a file are one migration
{
	my $dir = PostgreSQL::Test::Utils::tempdir('dbmate_sections');
	write_file("$dir/20240101000000_two.sql", <<'EOF');
-- a comment before the first section is allowed
-- migrate:up
CREATE TABLE s1 (id int);
-- migrate:down
DROP TABLE s1;
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY s1_id ON s1 (id);
-- migrate:down
DROP INDEX s1_id;
EOF
	my $conn = fresh_db($node, 'l_sections');
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'register', $conn);
	is($ret, 0, 'dbmate sections: registered');
	is( $node->safe_psql('l_sections',
			q{SELECT transactional || '|' || up_sql || '|' || down_sql FROM migrate.migration}),
		"false|-- migrate:up\nCREATE TABLE s1 (id int);\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY s1_id ON s1 (id);\n|-- migrate:down\nDROP TABLE s1;\n-- migrate:down\nDROP INDEX s1_id;\n",
		'dbmate sections: the ups, then the downs, in order; transaction:false on one makes all non-transactional');
}

# headers any layout's up script may begin with
{
	my $dir = PostgreSQL::Test::Utils::tempdir('headers');
	write_file("$dir/0001_drop.up.sql",
		"-- description: drop the old table\n-- data_loss_ok: true\n\nDROP TABLE IF EXISTS old;\n");
	write_file("$dir/0001_drop.down.sql", "CREATE TABLE old (id int);\n");
	write_file("$dir/0002_bom.up.sql", "\xEF\xBB\xBFSELECT 1;\n");
	my $conn = fresh_db($node, 'l_headers');
	my ($ret) = run_pgm('-D', $dir, 'register', $conn);
	is($ret, 0, 'headers: registered');
	is( $node->safe_psql('l_headers',
			q{SELECT string_agg(id || ' ' || data_loss_ok || ' ' || coalesce(description, '-') || ' ' || length(up_sql), E'\n' ORDER BY id) FROM migrate.migration}),
		"0001_drop true drop the old table 84\n0002_bom false - 10",
		'headers: description and data_loss_ok read; a byte order mark left out');
}

$node->stop;
done_testing();
