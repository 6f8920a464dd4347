# test/t/ClientTest.pm: what the TAP tests of the client pg_migrate share
# (test/t/01*_client_*.pl).  Not a test itself: prove runs test/t/*.pl.
#
# The fixtures are test/fixtures/client/ (test/fixtures/<tool>/ are TAP 008's).
# The tests run from the top of the tree (PGXS runs prove there), with the
# installed pg_migrate first on PATH, against clusters of their own.
package ClientTest;

use strict;
use warnings;

use Exporter 'import';
use File::Copy;
use File::Find;
use File::Path qw(make_path remove_tree);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(new_node fresh_db run_pgm json_of fixture copy_fixture
  drop_last_migration server_has schema_of tool_path last_of
  write_file %LAST_TX %IDS);

# the id of the last transactional migration of each fixture (the history
# ends with a CREATE INDEX CONCURRENTLY that needs CALL migrate_deploy())
our %LAST_TX = (
	updown => '000007_backfill_display_name',
	dbmate => '20240107120000_backfill_display_name',
	flyway => '10',
	diesel => '2024-01-07-120000_backfill_display_name',
	sqitch => '0007_backfill_display_name',
	graphile => '000007');

# the ids each layout's fixture gives, in version order
our %IDS = (
	updown => [
		qw(000001_create_users 000002_create_orders 000003_seed_users
		  000004_add_shipped_status 000005_user_order_totals
		  000006_widen_order_amount 000007_backfill_display_name
		  000008_index_orders_user_id)
	],
	dbmate => [
		qw(20240101120000_create_users 20240102120000_create_orders
		  20240103120000_seed_users 20240104120000_add_shipped_status
		  20240105120000_user_order_totals 20240106120000_widen_order_amount
		  20240107120000_backfill_display_name
		  20240108120000_index_orders_user_id)
	],
	flyway => [qw(1 1.1 1.2 2 2.1 2.10 10 10.1)],
	diesel => [
		qw(00000000000000_diesel_initial_setup 2024-01-01-120000_create_users
		  2024-01-02-120000_create_orders 2024-01-03-120000_seed_users
		  2024-01-04-120000_add_shipped_status
		  2024-01-05-120000_user_order_totals
		  2024-01-06-120000_widen_order_amount
		  2024-01-07-120000_backfill_display_name
		  2024-01-08-120000_index_orders_user_id)
	],
	sqitch => [
		qw(0001_create_users 0002_create_orders 0003_seed_users
		  0004_add_shipped_status 0005_user_order_totals
		  0006_user_order_totals 0007_backfill_display_name
		  0008_index_orders_user_id)
	],
	graphile => [qw(000001 000002 000003 000004 000005 000006 000007 000008)]);

# new_node(NAME, [CONF]): a started cluster, UTF8 and C locale
sub new_node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
	$node->append_conf('postgresql.conf', $conf) if defined $conf;
	$node->start;
	return $node;
}

# fresh_db(NODE, NAME, [NO_EXTENSION]): a new database with the extension;
# its conninfo
sub fresh_db
{
	my ($node, $db, $bare) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	$node->safe_psql($db, 'CREATE EXTENSION migrate') unless $bare;
	return $node->connstr($db);
}

# run_pgm(ARGS...): run pg_migrate; (exit status, stdout, stderr)
sub run_pgm
{
	my @cmd = ('pg_migrate', @_);
	my ($out, $err) = ('', '');
	print("# Running: " . join(' ', @cmd) . "\n");
	IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	die "pg_migrate died of signal " . ($? & 127) if $? & 127;
	return ($? >> 8, $out, $err);
}

# json_of(TEXT): the JSON object pg_migrate --json wrote
sub json_of
{
	my ($text) = @_;
	my $v = eval { JSON::PP->new->decode($text) };
	diag("not JSON: $@\n$text") unless defined $v;
	return $v;
}

# fixture(LAYOUT): the directory pg_migrate reads for that fixture
sub fixture
{
	my ($layout) = @_;
	return "test/fixtures/client/graphile/migrations" if $layout eq 'graphile';
	return "test/fixtures/client/$layout";
}

# copy_fixture(LAYOUT): a copy of the fixture's whole tree in a temporary
# directory (to edit, or for a tool that writes beside it); the directory
# pg_migrate reads, and the copy's top
sub copy_fixture
{
	my ($layout) = @_;
	my $top = PostgreSQL::Test::Utils::tempdir("fixture_$layout");
	my $src = "test/fixtures/client/$layout";
	find(
		{
			no_chdir => 1,
			wanted => sub {
				my $rel = substr($File::Find::name, length($src));
				if (-d $_) { make_path("$top$rel"); }
				else { copy($_, "$top$rel") or die "copy $_: $!"; }
			}
		},
		$src);
	return ($layout eq 'graphile' ? "$top/migrations" : $top, $top);
}

# drop_last_migration(LAYOUT, TOP): take the last migration (the
# non-transactional index build) out of a copy, as each tool would see it
sub drop_last_migration
{
	my ($layout, $top) = @_;
	if ($layout eq 'updown')
	{
		unlink glob("$top/000008_*");
	}
	elsif ($layout eq 'dbmate') { unlink glob("$top/20240108120000_*"); }
	elsif ($layout eq 'flyway')
	{
		unlink glob("$top/V10_1__*"), glob("$top/U10_1__*");
	}
	elsif ($layout eq 'diesel')
	{
		remove_tree(glob("$top/2024-01-08-120000_*"));
	}
	elsif ($layout eq 'graphile')
	{
		unlink "$top/migrations/committed/000008.sql";
	}
	elsif ($layout eq 'sqitch')
	{
		my $plan = slurp_file("$top/sqitch.plan");
		$plan =~ s/^index_orders_user_id .*\n//m;
		write_file("$top/sqitch.plan", $plan);
		unlink glob("$top/*/index_orders_user_id.sql");
	}
	return;
}

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	binmode($fh);
	print $fh $text;
	close($fh);
	return;
}

# server_has(NODE, DB, SIGNATURE): does the extension have that function?
sub server_has
{
	my ($node, $db, $signature) = @_;
	return $node->safe_psql($db,
		"SELECT to_regprocedure('pg_catalog.$signature') IS NOT NULL") eq
	  't';
}

# schema_of(NODE, DB, [EXCLUDE]): migrate_schema() as text, one row a line,
# without what the tools keep of their own (dbmate's schema_migrations,
# the schemas sqitch and graphile_migrate) and the objects whose identity
# matches the regular expression EXCLUDE
sub schema_of
{
	my ($node, $db, $exclude) = @_;
	$exclude //= '^$';
	return $node->safe_psql(
		$db, qq{
		SELECT kind || ' ' || identity || ': ' || coalesce(definition, '')
		  FROM migrate_schema()
		 WHERE identity !~ '^(sqitch|graphile_migrate)(\\.|\$)'
		   AND identity !~ '^public\\.schema_migrations'
		   AND identity !~ '$exclude'
		 ORDER BY kind COLLATE "C", identity COLLATE "C"});
}

# tool_path(NAME): a peer tool's program (dbmate, graphile-migrate,
# sqitch), or undef if it is not installed.  test/lib.sh ensure_peer_tools
# installs them and exports MIGRATE_DBMATE, MIGRATE_GRAPHILE_MIGRATE and
# MIGRATE_SQITCH; with MIGRATE_PEER_TOOLS_REQUIRED set (run-tests.sh) a
# missing tool fails the test instead of skipping it.
sub tool_path
{
	my ($name) = @_;
	my $var = 'MIGRATE_' . uc($name =~ s/-/_/gr);
	my $path = $ENV{$var};
	return $path if defined $path && $path ne '' && -x $path;
	fail("$name is not installed (\$$var)") if $ENV{MIGRATE_PEER_TOOLS_REQUIRED};
	return undef;
}

# last_of(LAYOUT): the id of the fixture's last migration
sub last_of
{
	my ($layout) = @_;
	return $IDS{$layout}[-1];
}

1;
