# A crash in the middle of migrate_apply() leaves nothing half-applied and
# no lock behind: the migration's work and its bookkeeping belong to the
# caller's transaction, and the writers' lock is an ordinary transaction
# lock.  Three crashes, each while a migration sleeps between two CREATE
# TABLEs: SIGKILL of that backend (crash restart), an immediate shutdown,
# and SIGKILL of the postmaster.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
# Cluster.pm writes restart_after_crash = off; the SIGKILL of one backend
# must make the postmaster reinitialize and carry on.
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
$node->safe_psql(
	'postgres', q{
	SELECT migrate_register('0001_a', 'CREATE TABLE a (id int);', 'DROP TABLE a;');
	SELECT migrate_register('0002_slow',
	  $$CREATE TABLE slow_1 (id int);
SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN 600 ELSE 0 END);
CREATE TABLE slow_2 (id int);$$,
	  'DROP TABLE slow_2; DROP TABLE slow_1;');
	SELECT migrate_register('0003_c', 'CREATE TABLE c (id int);', 'DROP TABLE c;');
});
is( $node->safe_psql(
		'postgres',
		"SET client_min_messages = warning; SELECT migrate_apply('0001_a')"),
	'1',
	'0001_a applied and committed');

my $lock_query = q{
	SELECT count(*) FROM pg_locks
	 WHERE relation = 'migrate.writer_lock'::regclass
	   AND mode = 'ExclusiveLock'};

# Start migrate_apply('head') in a session of its own and wait until it
# sleeps inside 0002_slow, after its CREATE TABLE slow_1.  Returns the
# session and the pid of its backend.
sub start_sleeping_apply
{
	my ($name) = @_;

	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	like($pid, qr/^\d+$/, "$name: pid of the deploy session");
	$bg->query_until(
		qr/started/, q{\echo started
SET test.sleep = on; SELECT migrate_apply('head');
});
	ok( $node->poll_query_until(
			'postgres', qq{
	SELECT query = 'migrate_apply: 0002_slow (1 of 2)'
	       AND wait_event = 'PgSleep'
	  FROM pg_stat_activity WHERE pid = $pid}),
		"$name: migrate_apply sleeps in 0002_slow");
	is($node->safe_psql('postgres', "$lock_query AND pid = $pid AND granted"),
		'1', "$name: the deploy session holds the migrate lock");
	return ($bg, $pid);
}

# The deploy session lost its server: psql says so and exits with status 2
# (EXIT_BADCONN); it never got a result.  Reap it.
sub reap_session
{
	my ($name, $bg) = @_;

	ok( pump_until(
			$bg->{run}, $bg->{timeout},
			\$bg->{stderr}, qr/connection to server was lost/),
		"$name: psql lost its connection");
	$bg->{run}->finish;
	note "$name: psql's stderr:\n$bg->{stderr}";
	is($bg->{run}->result(0), 2, "$name: psql exited with status 2");
	is($bg->{stdout}, '', "$name: migrate_apply returned nothing");
	unlike($bg->{stderr}, qr/NOTICE:  applied/,
		"$name: no migration reported as applied");
	return;
}

sub history
{
	return $node->safe_psql('postgres',
		'SELECT seq, id, action, checksum FROM migrate.history ORDER BY seq');
}

# After the crash: the state is the one before the call, and the next
# apply does all the work.  Then roll back, for the next scenario.
sub check_after_crash
{
	my ($name, $history_before) = @_;

	is( $node->safe_psql(
			'postgres', 'SELECT id, state FROM migrate_status()'),
		"0001_a|applied\n0002_slow|pending\n0003_c|pending",
		"$name: 0001_a applied, 0002_slow and 0003_c pending");
	is($node->safe_psql('postgres', 'SELECT migrate_current()'),
		'0001_a', "$name: migrate_current() is 0001_a");
	is( $node->safe_psql(
			'postgres', q{
	SELECT to_regclass('a') IS NOT NULL, to_regclass('slow_1') IS NULL,
	       to_regclass('slow_2') IS NULL, to_regclass('c') IS NULL}),
		't|t|t|t',
		"$name: a exists; slow_1, slow_2 and c do not");
	is($node->safe_psql('postgres', 'SELECT id FROM migrate.applied'),
		'0001_a', "$name: migrate.applied holds 0001_a only");
	is(history(), $history_before, "$name: migrate.history is unchanged");
	my ($last_seq) = ($history_before =~ /^(\d+)\|[^\n]*\z/m);
	is( $node->safe_psql(
			'postgres', qq{
	SELECT count(*) FROM migrate.history
	 WHERE action = 'apply' AND id IN ('0002_slow', '0003_c')
	   AND seq > $last_seq}),
		'0',
		"$name: no apply row for 0002_slow or 0003_c since the crash");
	is( $node->safe_psql(
			'postgres',
			"SELECT count(*) FROM pg_locks WHERE relation = 'migrate.writer_lock'::regclass"),
		'0',
		"$name: no writers' lock left");

	is( $node->safe_psql(
			'postgres',
			"SET client_min_messages = warning; SELECT migrate_apply('head')"),
		'2',
		"$name: migrate_apply('head') applies 2");
	is( $node->safe_psql(
			'postgres', "SELECT string_agg(state, ',') FROM migrate_status()"),
		'applied,applied,applied',
		"$name: everything applied");
	is( $node->safe_psql(
			'postgres', q{
	SELECT to_regclass('slow_1') IS NOT NULL, to_regclass('slow_2') IS NOT NULL,
	       to_regclass('c') IS NOT NULL}),
		't|t|t',
		"$name: slow_1, slow_2 and c exist");

	is( $node->safe_psql(
			'postgres',
			"SET client_min_messages = warning; SELECT migrate_rollback('-2')"),
		'2',
		"$name: migrate_rollback('-2') rolls back 2");
	is( $node->safe_psql(
			'postgres', 'SELECT id, state FROM migrate_status()'),
		"0001_a|applied\n0002_slow|pending\n0003_c|pending",
		"$name: back to 0001_a applied");
	return;
}

my ($bg, $pid, $history_before, $log_offset);

# (a) SIGKILL of the deploy backend: the postmaster kills every backend
# and reinitializes.  The checkpointer is restarted with the rest, so a new
# checkpointer pid tells that the crash restart is over (a query that
# merely connects could reach the server before it noticed the crash).
$history_before = history();
($bg, $pid) = start_sleeping_apply('kill -9 backend');
my $checkpointer = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
$log_offset = -s $node->logfile;
is(kill('KILL', $pid), 1, 'kill -9 backend: SIGKILL sent');
reap_session('kill -9 backend', $bg);
ok( $node->poll_query_until(
		'postgres', qq{
	SELECT pid <> $checkpointer FROM pg_stat_activity
	 WHERE backend_type = 'checkpointer'}),
	'kill -9 backend: server restarted and accepts queries');
like(
	slurp_file($node->logfile, $log_offset),
	qr/server process \(PID $pid\) was terminated by signal 9.*all server processes terminated; reinitializing/s,
	'kill -9 backend: the postmaster went through a crash restart');
check_after_crash('kill -9 backend', $history_before);

# (b) immediate shutdown, then a start that runs crash recovery
$history_before = history();
($bg, $pid) = start_sleeping_apply('immediate stop');
$log_offset = -s $node->logfile;
$node->stop('immediate');
reap_session('immediate stop', $bg);
$node->start;
like(
	slurp_file($node->logfile, $log_offset),
	qr/database system was not properly shut down; automatic recovery in progress/,
	'immediate stop: the start ran crash recovery');
check_after_crash('immediate stop', $history_before);

# (c) SIGKILL of the postmaster.  Its children notice its death and exit;
# a new postmaster refuses to start while the old one or any process
# attached to its shared memory is alive, so wait until all are gone.
$history_before = history();
($bg, $pid) = start_sleeping_apply('kill -9 postmaster');
my @old_pids = split /\n/, $node->safe_psql('postgres',
	'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
my ($postmaster_pid) =
  split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
push @old_pids, $postmaster_pid;
ok((grep { $_ == $pid } @old_pids),
	'kill -9 postmaster: the deploy backend is among the pids to wait for');
$log_offset = -s $node->logfile;
$node->kill9;
reap_session('kill -9 postmaster', $bg);
my $gone = 0;
foreach my $i (1 .. 10 * $PostgreSQL::Test::Utils::timeout_default)
{
	if (!grep { kill(0, $_) } @old_pids)
	{
		$gone = 1;
		last;
	}
	usleep(100_000);
}
ok($gone, 'kill -9 postmaster: the old postmaster and its children are gone');
$node->start;
like(
	slurp_file($node->logfile, $log_offset),
	qr/database system was interrupted.*automatic recovery in progress/s,
	'kill -9 postmaster: the start ran crash recovery');
check_after_crash('kill -9 postmaster', $history_before);

$node->stop;
done_testing();
