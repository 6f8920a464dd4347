# Adopting a database with the client (SPEC §12): pg_migrate baseline
# --check proves on a scratch database that the database is what the
# migrations make, then baselines, or refuses and lists the differences
# (exit status 3); pg_migrate import takes over the history that the real
# dbmate, Sqitch and graphile-migrate left, from the same directories they
# read, after which deploy has nothing to do but what is new.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('adopt');
my $user = getpwuid($<);
my $host = $node->host;
my $port = $node->port;

# a database made by hand: the up scripts of the first seven migrations,
# run by psql
sub by_hand
{
	my ($db, $extra) = @_;
	my $conn = fresh_db($node, $db);
	my $sql = join('', map { slurp_file($_) } sort glob('test/fixtures/client/updown/00000[1-7]_*.up.sql'));
	$node->safe_psql($db, $sql . ($extra // ''));
	return $conn;
}

sub applied
{
	my ($db) = @_;
	return $node->safe_psql($db, q{SELECT count(*) FROM migrate_status() WHERE state = 'applied'});
}

my $dir = fixture('updown');
my $target = '000007_backfill_display_name';

# proven, then baselined
{
	my $conn = by_hand('hand');
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'baseline', '--check', $target, $conn ],
		0,
		[qr/^7 migrations marked as applied without running them \(baseline up to \Q$target\E\)$/m],
		[
			qr/^pg_migrate: checking: applying the migrations up to \Q$target\E on the scratch database "pg_migrate_check_\d+_\d+"$/m,
			qr/^pg_migrate: checked: the database's schema is what the migrations up to \Q$target\E make$/m,
			qr/^baselined 000001_create_users \(1 of 7\)/m
		],
		'baseline --check: the database is what the migrations make');
	is(applied('hand'), '7', 'baseline --check: 7 applied');
	is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname LIKE 'pg_migrate_check_%'}),
		'0', 'baseline --check: the scratch database is dropped');
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', $conn);
	is($ret, 0, 'baselined: deploy');
	like($err, qr/^applied 000008_index_orders_user_id \(1 of 1\)/m,
		'baselined: deploy applies only what the baseline left pending');
}

# a database that differs: refused, listed, nothing baselined
{
	my $conn = by_hand('differs',
		"ALTER TABLE users DROP COLUMN display_name;\nCREATE INDEX users_created_at ON users (created_at);\n");
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'baseline', '--check', $target, $conn ],
		3,
		[
			qr/^ +kind +\| +identity +\| +difference +\| +database +\| +migrations/m,
			qr/^ column +\| public\.users\.display_name +\| only from the migrations +\| +\| position 4; text/m,
			qr/^ index +\| public\.users_created_at +\| only in the database +\| CREATE INDEX users_created_at ON public\.users/m
		],
		[
			qr/^pg_migrate: error: the database's schema differs from what the migrations up to \Q$target\E make \(2 differences\); nothing was baselined$/m
		],
		'baseline --check: differences listed, exit status 3');
	is(applied('differs'), '0', 'baseline --check refused: nothing baselined');
	is($node->safe_psql('differs', 'SELECT count(*) FROM migrate.migration'),
		'0', 'baseline --check refused: nothing registered');
	my ($ret, $out) = run_pgm('-D', $dir, 'baseline', '--check', '--json', $target, $conn);
	is($ret, 3, 'baseline --check --json: exit status 3');
	my $j = json_of($out);
	is(scalar @{ $j->{differences} }, 2, 'baseline --check --json: the differences');
}

# --scratch-db: an existing empty database, kept; a database not empty
# is refused
{
	my $conn = by_hand('hand2');
	fresh_db($node, 'scratch', 1);
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'baseline', '--check',
		'--scratch-db', 'scratch', $target, $conn);
	is($ret, 0, 'baseline --check --scratch-db: done') or diag($err);
	is(applied('scratch'), '7', '--scratch-db: the migrations applied there');
	($ret, $out, $err) = run_pgm('-D', $dir, 'baseline', '--check',
		'--scratch-db', 'hand', $target, by_hand('hand3'));
	is($ret, 1, '--scratch-db not empty: exit status 1');
	like($err, qr/^pg_migrate: error: the scratch database "hand" is not empty: it holds \d+ objects and 8 migrations$/m,
		'--scratch-db not empty: says so');
	is(applied('hand3'), '0', '--scratch-db not empty: nothing baselined');
}

# without --check: the server's baseline alone; its refusals unchanged
{
	my $conn = by_hand('plain');
	command_checks_all([ 'pg_migrate', '-D', $dir, '--json', 'baseline', $target, $conn ],
		0, [qr/"baselined": 7/], [], 'baseline without --check');
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'baseline', 'head', $conn ],
		1, [qr/^$/], [qr/^ERROR:  /m],
		'baseline again: refused by the server');
}

# import: the real tools migrate a database from a copy of a fixture, then
# pg_migrate imports their history from the same copy
sub imported
{
	my ($layout, $tool, $dir, $db) = @_;
	my $conn = $node->connstr($db);
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'import', $tool, $conn);
	is($ret, 0, "import $tool: exit status 0") or diag($err);
	like($out, qr/^8 migrations: 8 registered, 0 updated, 0 unchanged; 8 baselined from the history$/m,
		"import $tool: every migration registered and baselined");
	like($err, qr/^baselined \S+ \(1 of 8\)/m, "import $tool: the server's notices");
	($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', $conn);
	is($ret, 0, "import $tool: deploy afterwards");
	unlike($err, qr/^applied /m, "import $tool: deploy afterwards applies nothing");
	is(applied($db), '8', "import $tool: all 8 applied");
	return;
}

SKIP:
{
	my $dbmate = tool_path('dbmate');
	skip 'dbmate is not installed', 6 unless $dbmate;
	my ($copy) = copy_fixture('dbmate');
	fresh_db($node, 'imp_dbmate');
	my ($o, $e);
	IPC::Run::run([ $dbmate, '--url', "postgres://$user\@:$port/imp_dbmate?socket=$host&sslmode=disable",
		'--migrations-dir', $copy, '--no-dump-schema', 'migrate' ], '>', \$o, '2>', \$e)
	  or die "dbmate: $e";
	imported('dbmate', 'dbmate', $copy, 'imp_dbmate');
}

SKIP:
{
	my $sqitch = tool_path('sqitch');
	skip 'sqitch is not installed', 6 unless $sqitch;
	my ($psql) = grep { -x "$_/psql" } split /:/, $ENV{PATH};
	my ($copy) = copy_fixture('sqitch');
	fresh_db($node, 'imp_sqitch');
	local %ENV = (%ENV, PGHOST => $host, PGPORT => $port, PGUSER => $user,
		SQITCH_FULLNAME => 'Test Runner', SQITCH_EMAIL => 'test@example.com');
	my ($o, $e);
	IPC::Run::run([ $sqitch, 'deploy', '--db-client', "$psql/psql", 'db:pg:imp_sqitch' ],
		'>', \$o, '2>', \$e, init => sub { chdir $copy })
	  or die "sqitch: $o $e";
	imported('sqitch', 'sqitch', $copy, 'imp_sqitch');
}

SKIP:
{
	my $gm = tool_path('graphile-migrate');
	skip 'graphile-migrate is not installed', 6 unless $gm;
	my ($copy, $top) = copy_fixture('graphile');
	fresh_db($node, 'imp_graphile');
	local $ENV{DATABASE_URL} = "postgres://$user\@/imp_graphile?host=$host&port=$port";
	my ($o, $e);
	IPC::Run::run([ $gm, 'migrate' ], '>', \$o, '2>', \$e, init => sub { chdir $top })
	  or die "graphile-migrate: $e";
	imported('graphile', 'graphile-migrate', $copy, 'imp_graphile');
}

$node->stop;
done_testing();
