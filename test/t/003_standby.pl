# A streaming standby follows the primary: migrations applied on the
# primary reach it through WAL, its readers show the primary's state, and
# every writer refuses to run there with an error that says where to run it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(
	allows_streaming => 1,
	extra => [ '--locale=C', '--encoding=UTF8' ]);
$primary->start;

$primary->safe_psql('postgres', 'CREATE EXTENSION migrate');
$primary->safe_psql(
	'postgres', q{
	SELECT migrate_register('0001_a', 'CREATE TABLE a (id int);', 'DROP TABLE a;', 'table a');
	SELECT migrate_register('0002_b', 'CREATE TABLE b (id int);', 'DROP TABLE b;', 'table b');
	SELECT migrate_register('0003_c', 'CREATE TABLE c (id int);', 'DROP TABLE c;', 'table c');
});
is( $primary->safe_psql(
		'postgres',
		"SET client_min_messages = warning; SELECT migrate_apply('+2')"),
	'2',
	'primary: apply +2 answers 2');

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

is( $primary->safe_psql(
		'postgres',
		'SET client_min_messages = warning; SELECT migrate_apply()'),
	'1',
	'primary: the third migration applied after the backup');
$primary->wait_for_catchup($standby);

my $status_query =
  'SELECT id, state, applied_at, applied_by, duration FROM migrate_status()';

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
my $primary_status = $primary->safe_psql('postgres', $status_query);
like(
	$primary_status,
	qr/\A0001_a\|applied\|[^\n]+\n0002_b\|applied\|[^\n]+\n0003_c\|applied\|[^\n]+\z/,
	'primary: three migrations applied');
is($standby->safe_psql('postgres', $status_query),
	$primary_status, 'standby: migrate_status() equals the primary\'s');
is($standby->safe_psql('postgres', 'SELECT migrate_current()'),
	'0003_c', 'standby: migrate_current() is 0003_c');
is( $standby->safe_psql('postgres', 'SELECT migrate_current()'),
	$primary->safe_psql('postgres', 'SELECT migrate_current()'),
	'standby: migrate_current() equals the primary\'s');
is( $standby->safe_psql(
		'postgres', q{
	SELECT to_regclass('a') IS NOT NULL, to_regclass('b') IS NOT NULL,
	       to_regclass('c') IS NOT NULL}),
	't|t|t',
	'standby: the migrations\' tables exist');

# Every writer fails during recovery, before it takes its lock or reads a
# thing, with an error naming itself and a hint to go to the primary.
foreach my $call (
	[ 'migrate_apply', 'SELECT migrate_apply()' ],
	[ 'migrate_rollback', 'SELECT migrate_rollback()' ],
	[ 'migrate_register', "SELECT migrate_register('0009_x', 'SELECT 1')" ],
	[ 'migrate_unregister', "SELECT migrate_unregister('0001_x')" ])
{
	my ($name, $sql) = @$call;
	my ($ret, $out, $err) = $standby->psql('postgres', $sql);
	isnt($ret, 0, "standby: $name() fails");
	is($out, '', "standby: $name() returns nothing");
	like(
		$err,
		qr/ERROR:  \Q$name\E\(\) cannot run during recovery/,
		"standby: $name() says it cannot run during recovery");
	like(
		$err,
		qr/HINT:  Run it on the primary server/,
		"standby: $name() hints at the primary");
}
is($standby->safe_psql('postgres', $status_query),
	$primary_status, 'standby: the failed writers changed nothing');

# Readers never write: a hot standby refuses every write, so a transaction
# of readers that commits there wrote nothing.  On the primary the same
# transaction does not even get a transaction id.
is( $standby->safe_psql(
		'postgres', q{
	BEGIN;
	SELECT count(*) FROM migrate_status();
	SELECT migrate_current();
	COMMIT;}),
	"3\n0003_c",
	'standby: readers run and commit in a transaction');
is( $primary->safe_psql(
		'postgres', q{
	BEGIN;
	SELECT count(*) FROM migrate_status();
	SELECT migrate_current();
	SELECT pg_current_xact_id_if_assigned() IS NULL;
	COMMIT;}),
	"3\n0003_c\nt",
	'primary: readers assign no transaction id');

# one more migration, registered and applied on the primary
$primary->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	SELECT migrate_register('0004_d', 'CREATE TABLE d (id int);', 'DROP TABLE d;', 'table d');
	SELECT migrate_apply();
});
$primary->wait_for_catchup($standby);
$primary_status = $primary->safe_psql('postgres', $status_query);
like(
	$standby->safe_psql('postgres', $status_query),
	qr/\n0004_d\|applied\|[^\n]+\z/,
	'standby: 0004_d applied');
is($standby->safe_psql('postgres', $status_query),
	$primary_status, 'standby: migrate_status() still equals the primary\'s');
is($standby->safe_psql('postgres', 'SELECT migrate_current()'),
	'0004_d', 'standby: migrate_current() is 0004_d');
is($standby->safe_psql('postgres', "SELECT to_regclass('d') IS NOT NULL"),
	't', 'standby: table d exists');

$standby->stop;
$primary->stop;
done_testing();
