# NOTICEs of migrate_apply() and migrate_rollback() carry timings, so their
# exact form is checked here with patterns rather than in pg_regress.  The
# lock-table limit (SPEC §6.8) needs a cluster of its own with a small lock
# table.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node;

# psql's messages without its "psql:<stdin>:1: " prefix
sub messages
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql);
	$err =~ s/^psql:<stdin>:\d+: //mg;
	return ($ret, $out, $err);
}

$node = PostgreSQL::Test::Cluster->new('main');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
# A small lock table of known size: 10 locks x 32 backends (20 connections,
# 3 autovacuum workers, 1 launcher, 8 worker processes, no WAL senders) =
# 320 slots.  A backlog of 1,000 CREATE TABLEs (about 6 locks each) cannot
# fit in it, whatever the shared-memory slack; 20 of them can.
$node->append_conf(
	'postgresql.conf', q{
max_locks_per_transaction = 10
max_connections = 20
autovacuum_max_workers = 3
max_worker_processes = 8
max_wal_senders = 0
max_prepared_transactions = 0
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
$node->safe_psql(
	'postgres', q{
	SELECT migrate_register('0001_a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
	SELECT migrate_register('0002_b', 'CREATE TABLE b (id int);', 'DROP TABLE b;');
	SELECT migrate_register('0003_c', 'CREATE TABLE c (id int);', 'DROP TABLE c;');
});

# one NOTICE per migration: id, position, total and time
my ($ret, $out, $err) =
  messages("SELECT migrate_apply('head', dry_run => true)");
is($out, '3', 'dry run answers 3');
like(
	$err,
	qr/\ANOTICE:  applied 0001_a \(1 of 3\) in \d+\.\d ms
NOTICE:  applied 0002_b \(2 of 3\) in \d+\.\d ms
NOTICE:  applied 0003_c \(3 of 3\) in \d+\.\d ms
NOTICE:  dry run: 3 migrations would be applied; nothing was changed\Z/,
	'dry run NOTICEs');

($ret, $out, $err) = messages("SELECT migrate_apply('+2')");
is($out, '2', 'apply +2 answers 2');
like(
	$err,
	qr/\ANOTICE:  applied 0001_a \(1 of 2\) in \d+\.\d ms
NOTICE:  applied 0002_b \(2 of 2\) in \d+\.\d ms\Z/,
	'apply NOTICEs');

($ret, $out, $err) = messages("SELECT migrate_rollback('base')");
is($out, '2', 'rollback base answers 2');
like(
	$err,
	qr/\ANOTICE:  rolled back 0002_b \(1 of 2\) in \d+\.\d ms
NOTICE:  rolled back 0001_a \(2 of 2\) in \d+\.\d ms\Z/,
	'rollback NOTICEs, latest first');

# A migration that writes the system catalogs cannot be followed object by
# object: the drift reference is recorded from the whole schema, and a
# NOTICE says why
$node->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	CREATE TABLE catalog_written (id int);
	SELECT migrate_accept_drift();
	SELECT migrate_register('0000_catalog',
	  $$UPDATE pg_catalog.pg_class SET reloptions = '{fillfactor=70}' WHERE oid = 'catalog_written'::regclass;$$,
	  $$UPDATE pg_catalog.pg_class SET reloptions = NULL WHERE oid = 'catalog_written'::regclass;$$);
});
($ret, $out, $err) = messages("SELECT migrate_apply('0000_catalog')");
like(
	$err,
	qr/\ANOTICE:  applied 0000_catalog \(1 of 1\) in \d+\.\d ms
NOTICE:  the drift reference was recorded from the whole schema
DETAIL:  a migration wrote the system catalogs, which the server does not report object by object\.\Z/,
	'the whole schema is described when the catalogs were written directly');
is( $node->safe_psql(
		'postgres',
		'SELECT fingerprint = migrate_fingerprint() FROM migrate.drift_state'),
	't',
	'and the reference is the schema');

$node->safe_psql('postgres',
	"SET client_min_messages = warning; SELECT migrate_apply()");

# A backlog too large for the lock table fails atomically, with a hint
my $n = 1000;
$node->safe_psql(
	'postgres', qq{
	SELECT migrate_register('1' || lpad(i::text, 4, '0') || '_t',
	  format('CREATE TABLE t%s (id int PRIMARY KEY, v text UNIQUE);', i),
	  format('DROP TABLE t%s;', i))
	  FROM generate_series(1, $n) i;
});
($ret, $out, $err) =
  messages("SET client_min_messages = warning; SELECT migrate_apply('head')");
isnt($ret, 0, 'a backlog beyond the lock table fails');
like($err, qr/ERROR:  out of shared memory/, 'with the server\'s error');
like(
	$err,
	qr/HINT:  If the shared lock table is full, apply fewer migrations per transaction with a target of the form \+N, or raise max_locks_per_transaction\./,
	'and a hint that fits migrations');
like($err, qr/CONTEXT:  .*migration "1\d{4}_t"/s, 'naming the migration');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate_status() WHERE state = 'applied'"),
	'4',
	'nothing of the failed call is applied');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+\$'"),
	'0',
	'and none of its tables exist');

# applying in steps gets through
$node->safe_psql('postgres',
	"SET client_min_messages = warning;\n"
	  . ("SELECT migrate_apply('+20');\n" x ($n / 20)));
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate_status() WHERE state = 'applied'"),
	$n + 4,
	'applied in steps of +20');

$node->stop;
done_testing();
