# The layouts are read as the tools read them (SPEC §11): the real dbmate,
# graphile-migrate and Sqitch migrate one database from a fixture
# directory, pg_migrate deploys the same directory into another, and both
# databases end with the same schema (migrate_schema(), and pg_dump
# --schema-only) and the same rows.  Without CALL migrate_deploy() the
# fixtures' last migration (a concurrent index build) is left out of the
# copy both read.  test/lib.sh ensure_peer_tools installs the tools.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('tools');
my $user = getpwuid($<);
my $host = $node->host;
my $port = $node->port;
my $deploy;

sub dump_of
{
	my ($db) = @_;
	my ($out, $err);
	IPC::Run::run(
		[
			'pg_dump', '--schema-only', '--no-owner',
			'--exclude-table=public.schema_migrations',
			'--exclude-schema=sqitch', '--exclude-schema=graphile_migrate',
			$node->connstr($db)
		],
		'>', \$out, '2>', \$err) or die "pg_dump: $err";
	# comments, and the random key of \restrict (pg_dump 15.14 and later)
	$out =~ s/^(--.*|\\(un)?restrict .*)\n//mg;
	return $out;
}

# run(NAME, DIR, ENV, CMD...): run a tool in DIR with ENV added
sub run_tool
{
	my ($name, $dir, $env, @cmd) = @_;
	my ($out, $err);
	local %ENV = (%ENV, %$env);
	print("# Running: @cmd (in $dir)\n");
	my $ok = IPC::Run::run(\@cmd, '>', \$out, '2>', \$err,
		init => sub { chdir $dir or die "chdir $dir: $!" });
	ok($ok, "$name: the tool migrates its database") or diag("$out\n$err");
	return $ok;
}

# compare(LAYOUT, TOOL-DB, PG_MIGRATE-DB)
sub compare
{
	my ($layout, $tool_db, $pgm_db) = @_;
	is(schema_of($node, $tool_db), schema_of($node, $pgm_db),
		"$layout: migrate_schema() of both databases alike");
	is(dump_of($tool_db), dump_of($pgm_db),
		"$layout: pg_dump --schema-only of both databases alike");
	my $rows = 'SELECT string_agg(email || \' \' || coalesce(display_name, \'-\'), \', \' ORDER BY email) FROM users';
	is($node->safe_psql($tool_db, $rows), $node->safe_psql($pgm_db, $rows),
		"$layout: the same rows");
	return;
}

# a copy of the fixture both read, and the database pg_migrate deploys it to
sub prepare
{
	my ($layout) = @_;
	my ($dir, $top) = copy_fixture($layout);
	fresh_db($node, "tool_$layout");
	my $conn = fresh_db($node, "pgm_$layout");
	$deploy //= server_has($node, "pgm_$layout", 'migrate_deploy(text,boolean)');
	drop_last_migration($layout, $top) unless $deploy;
	my ($ret, $out, $err) = run_pgm('-D', $dir, '-q', 'deploy', $conn);
	is($ret, 0, "$layout: pg_migrate deploys the same directory") or diag($err);
	return ($dir, $top);
}

SKIP:
{
	my $dbmate = tool_path('dbmate');
	skip 'dbmate is not installed', 4 unless $dbmate;
	my ($dir) = prepare('dbmate');
	run_tool('dbmate', $dir, {}, $dbmate, '--url',
		"postgres://$user\@:$port/tool_dbmate?socket=$host&sslmode=disable",
		'--migrations-dir', $dir, '--no-dump-schema', 'migrate');
	compare('dbmate', 'tool_dbmate', 'pgm_dbmate');
}

SKIP:
{
	my $gm = tool_path('graphile-migrate');
	skip 'graphile-migrate is not installed', 4 unless $gm;
	my (undef, $top) = prepare('graphile');
	run_tool('graphile-migrate', $top,
		{ DATABASE_URL => "postgres://$user\@/tool_graphile?host=$host&port=$port" },
		$gm, 'migrate');
	compare('graphile', 'tool_graphile', 'pgm_graphile');
}

SKIP:
{
	my $sqitch = tool_path('sqitch');
	skip 'sqitch is not installed', 4 unless $sqitch;
	my ($psql) = grep { -x "$_/psql" } split /:/, $ENV{PATH};
	my ($dir) = prepare('sqitch');
	run_tool(
		'sqitch', $dir,
		{
			PGHOST => $host,
			PGPORT => $port,
			PGUSER => $user,
			SQITCH_FULLNAME => 'Test Runner',
			SQITCH_EMAIL => 'test@example.com'
		},
		$sqitch, 'deploy', '--db-client', "$psql/psql", 'db:pg:tool_sqitch');
	compare('sqitch', 'tool_sqitch', 'pgm_sqitch');
}

$node->stop;
done_testing();
