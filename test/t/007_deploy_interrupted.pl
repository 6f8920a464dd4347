# CALL migrate_deploy() interrupted in the middle of CREATE INDEX
# CONCURRENTLY (SPEC §10): by SIGKILL of its backend while the index is
# being built on a table of three million rows, by SIGKILL of the
# postmaster while the build waits for an old snapshot, by a cancel, and by
# lock timeouts.  Each time the migration is left partial, stopped at the
# statement, with the invalid index the build left; the next deploy drops
# that index and builds it again, and the migration is applied once.  And
# the deploy never waits for itself: while its build waits for older
# snapshots, the deploying backend holds none, and the only transaction it
# waits for is the other session's.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;

$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 3000000) g;
	ALTER TABLE big ADD PRIMARY KEY (id);
	SELECT migrate_accept_drift();
	SELECT migrate_register('0001_first', 'CREATE TABLE first (id int);', 'DROP TABLE first;');
	SELECT migrate_register('0002_index_v', 'CREATE INDEX CONCURRENTLY big_v ON big (v);',
	  'DROP INDEX CONCURRENTLY IF EXISTS big_v;', NULL, false, false);
});

sub status
{
	return $node->safe_psql('postgres',
		"SELECT state, partial, stopped_at, coalesce(error, '') FROM migrate_status() WHERE id = '0002_index_v'"
	);
}

sub index_state
{
	return $node->safe_psql('postgres',
		"SELECT coalesce((SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('big_v')), 'none')"
	);
}

# Start CALL migrate_deploy() in a session of its own; returns it and the
# pid of its backend.
sub start_deploy
{
	my ($name, $settings) = @_;
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(
		qr/started/, qq{\\echo started
$settings
CALL migrate_deploy();
\\echo deployed
});
	return ($bg, $pid);
}

# Wait until the deploy's index build is in a phase like $phase
sub wait_for_phase
{
	my ($name, $pid, $phase) = @_;
	ok( $node->poll_query_until(
			'postgres', qq{
	SELECT EXISTS (SELECT FROM pg_stat_progress_create_index
	                WHERE pid = $pid AND phase LIKE '$phase')}),
		"$name: the build is in phase $phase");
	return;
}

# After a crash restart: wait until a new checkpointer runs
sub wait_for_restart
{
	my ($name, $checkpointer) = @_;
	ok( $node->poll_query_until(
			'postgres', qq{
	SELECT pid <> $checkpointer FROM pg_stat_activity
	 WHERE backend_type = 'checkpointer'}),
		"$name: server restarted");
	return;
}

sub checkpointer
{
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
}

# The next deploy resumes: it drops the invalid index and builds it again
sub resume
{
	my ($name, $crashed) = @_;
	my ($ret, $out, $err) =
	  $node->psql('postgres', 'CALL migrate_deploy()', on_error_stop => 1);
	is($ret, 0, "$name: the next deploy succeeds");
	like(
		$err,
		qr/resuming migration "0002_index_v" at statement 1 of 1 of its up script.*DROP INDEX CONCURRENTLY IF EXISTS public\.big_v \(left invalid by an interrupted build\).*applied 0002_index_v \(1 of 1\)/s,
		"$name: it resumes at statement 1, drops the invalid index and builds it again"
	);
	# a deploy that died could not record the drift reference; one that
	# failed did, before it reported the error
	if ($crashed)
	{
		like(
			$err,
			qr/the drift reference was recorded from the whole schema\nDETAIL:  A deploy that started at .* stopped before it recorded what it committed\./,
			"$name: the reference is recorded anew from the whole schema");
	}
	else
	{
		unlike($err, qr/recorded from the whole schema/,
			"$name: the reference is recorded object by object");
	}
	is($node->safe_psql('postgres', 'SELECT count(*) FROM migrate_drift()'),
		'0', "$name: no drift");
	is(status(), 'applied|||', "$name: 0002_index_v applied");
	is(index_state(), 'true', "$name: big_v is valid");
	is( $node->safe_psql(
			'postgres',
			"SELECT count(*) FILTER (WHERE action = 'apply') - count(*) FILTER (WHERE action = 'rollback') FROM migrate.history WHERE id = '0002_index_v'"
		),
		'1',
		"$name: applied once (one apply more than rollbacks in the history)");
	is( $node->safe_psql(
			'postgres',
			"SELECT count(*) FROM pg_locks WHERE relation = 'migrate.writer_lock'::regclass"
		),
		'0',
		"$name: no writers' lock left");
	$node->safe_psql('postgres',
		"SET client_min_messages = warning; CALL migrate_undeploy('-1')");
	is(status(), 'pending|||', "$name: rolled back for the next case");
	is(index_state(), 'none', "$name: big_v dropped");
	return;
}

# (a) SIGKILL of the deploying backend in the middle of the build
my ($bg, $pid) = start_deploy('kill -9 backend', '');
wait_for_phase('kill -9 backend', $pid, 'building index%');
like(
	$node->safe_psql(
		'postgres', "SELECT query FROM pg_stat_activity WHERE pid = $pid"),
	qr/^migrate_deploy: 0002_index_v \(2 of 2\), statement 1 of 1$/,
	'kill -9 backend: pg_stat_activity names the migration and the statement'
);
my $cp = checkpointer();
is(kill('KILL', $pid), 1, 'kill -9 backend: SIGKILL sent');
$bg->{run}->finish;
wait_for_restart('kill -9 backend', $cp);
is(status(), 'partial|up|1|',
	'kill -9 backend: partial, stopped at statement 1 (no error recorded)');
is( $node->safe_psql(
		'postgres', "SELECT state FROM migrate_status() WHERE id = '0001_first'"),
	'applied',
	'kill -9 backend: the migration before it stays applied');
is(index_state(), 'false', 'kill -9 backend: the build left big_v invalid');
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT migrate_apply()');
like(
	$err,
	qr/1 migration was interrupted in the middle of a deploy/,
	'kill -9 backend: migrate_apply() refuses to run');
($ret, $out, $err) =
  $node->psql('postgres', 'SELECT count(*) FROM migrate_drift()');
like(
	$err,
	qr/the drift reference does not include a deploy that started at/,
	'kill -9 backend: migrate_drift() says the reference misses the deploy');
resume('kill -9 backend', 1);

# (b) SIGKILL of the postmaster while the build waits for an old snapshot;
# while it waits, the deploy holds no snapshot, and waits for the other
# session only
my $old = $node->background_psql('postgres');
$old->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$old->query_safe('SELECT count(*) FROM first');
my $old_pid = $old->query_safe('SELECT pg_backend_pid()');
($bg, $pid) =
  start_deploy('kill -9 postmaster', 'SET migrate.lock_timeout = 0;');
wait_for_phase('kill -9 postmaster', $pid, 'waiting for old snapshots');
is( $node->safe_psql(
		'postgres',
		"SELECT backend_xmin IS NULL FROM pg_stat_activity WHERE pid = $pid"),
	't',
	'kill -9 postmaster: the deploying backend holds no snapshot while it waits'
);
is( $node->safe_psql(
		'postgres', qq{
	SELECT string_agg(DISTINCT h.pid::text, ',')
	  FROM pg_locks w JOIN pg_locks h ON h.locktype = w.locktype
	   AND h.virtualxid = w.virtualxid AND h.granted
	 WHERE w.pid = $pid AND NOT w.granted}),
	$old_pid,
	'kill -9 postmaster: the build waits for the old transaction only');
my @old_pids = split /\n/,
  $node->safe_psql('postgres',
	'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
$node->kill9;
$bg->{run}->finish;
$old->{run}->finish;
foreach my $p (@old_pids)
{
	for (my $i = 0; $i < 300 && kill(0, $p); $i++)
	{
		select(undef, undef, undef, 0.1);
	}
}
$node->start;
is(status(), 'partial|up|1|', 'kill -9 postmaster: partial, stopped at statement 1');
is(index_state(), 'false', 'kill -9 postmaster: big_v left invalid');
resume('kill -9 postmaster', 1);

# (c) a cancel while the build waits: the error is recorded
$old = $node->background_psql('postgres');
$old->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$old->query_safe('SELECT count(*) FROM first');
($bg, $pid) = start_deploy('cancel', 'SET migrate.lock_timeout = 0;');
wait_for_phase('cancel', $pid, 'waiting for old snapshots');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$bg->{run}->finish;
like($bg->{stderr}, qr/canceling statement due to user request/,
	'cancel: the deploy reports the cancel');
like(
	$bg->{stderr},
	qr/migrate_deploy: 0 of 1 migration applied and committed before this error; the others are pending/,
	'cancel: and how far it got');
is( status(),
	'partial|up|1|canceling statement due to user request',
	'cancel: partial, with the error');
is( $node->safe_psql(
		'postgres',
		"SELECT action FROM migrate.history WHERE id = '0002_index_v' ORDER BY seq DESC LIMIT 1"
	),
	'interrupted',
	'cancel: the history says so');
$old->quit;
resume('cancel', 0);

# (d) lock timeouts: a session writing the table holds the build up; each
# try waits migrate.lock_timeout, then the deploy waits and tries again,
# cleaning up first; after the retries it gives up, partial
my $writer = $node->background_psql('postgres');
$writer->query_safe('BEGIN');
$writer->query_safe("UPDATE big SET v = v WHERE id = 1");
($ret, $out, $err) = $node->psql(
	'postgres',
	'SET migrate.lock_timeout = 200; SET migrate.lock_retries = 2; CALL migrate_deploy()'
);
isnt($ret, 0, 'lock timeout: the deploy fails');
like(
	$err,
	qr/statement 1 waited 200 ms for a lock, trying again in 200 ms \(retry 1 of 2\).*DROP INDEX CONCURRENTLY IF EXISTS public\.big_v.*statement 1 waited 200 ms for a lock, trying again in 400 ms \(retry 2 of 2\).*could not take its locks in 3 tries/s,
	'lock timeout: two retries, each after cleaning up, then it gives up');
like(status(), qr/^partial\|up\|1\|canceling statement due to lock timeout$/,
	'lock timeout: partial, with the error');
$writer->query_safe('COMMIT');
$writer->quit;
resume('lock timeout', 0);

# (e) SIGKILL of the postmaster in the middle of a deploy of many small
# transactional migrations (5 ms each), committed without waiting for the
# disk: after
# crash recovery each migration is applied with its table or pending
# without it, never one without the other, and the next deploy applies the
# rest, each once
$node->safe_psql(
	'postgres', q{
	SET client_min_messages = warning;
	SELECT count(migrate_register(format('1%s_small', lpad(g::text, 4, '0')),
	                              format('CREATE TABLE small_%s (id int PRIMARY KEY); SELECT pg_sleep(0.005);', g),
	                              format('DROP TABLE small_%s;', g)))
	  FROM generate_series(1, 1000) g;
});
($bg, $pid) = start_deploy('many', 'SET client_min_messages = warning;');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > 100 FROM migrate_status() WHERE id LIKE '1%_small' AND state = 'applied'"
	),
	'many: the deploy is under way');
@old_pids = split /\n/,
  $node->safe_psql('postgres',
	'SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
$node->kill9;
$bg->{run}->finish;
foreach my $p (@old_pids)
{
	for (my $i = 0; $i < 300 && kill(0, $p); $i++)
	{
		select(undef, undef, undef, 0.1);
	}
}
$node->start;
my $consistent = q{
	SELECT count(*) FILTER (WHERE (s.state = 'applied') <> (to_regclass('small_' || ltrim(substr(s.id, 2, 4), '0')) IS NOT NULL))
	  FROM migrate_status() s WHERE s.id LIKE '1%_small'};
is($node->safe_psql('postgres', $consistent), '0',
	'many: after the crash, every migration applied has its table and no pending one has');
my $applied = $node->safe_psql('postgres',
	"SELECT count(*) FROM migrate_status() WHERE id LIKE '1%_small' AND state = 'applied'");
cmp_ok($applied, '<', 1000, "many: $applied of 1000 were applied before the crash");
$node->safe_psql('postgres',
	'SET client_min_messages = warning; CALL migrate_deploy()');
is($node->safe_psql('postgres', $consistent), '0', 'many: still consistent');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*), count(*) FILTER (WHERE n = 1) FROM (
	  SELECT h.id, count(*) AS n FROM migrate.history h
	   WHERE h.id LIKE '1%_small' AND h.action = 'apply' GROUP BY h.id) c}),
	'1000|1000',
	'many: the next deploy applied the rest, each migration once');

$node->stop;
done_testing();
