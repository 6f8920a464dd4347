# The capture of DDL run outside migrations (SPEC §9, §14).
#
# Up to 0.2 it was the superuser-only setting migrate.capture_ddl.  With it
# on in postgresql.conf, a plain role connecting with
# PGOPTIONS='-c migrate.capture_ddl=off' got a WARNING and its DDL was not
# logged: the placeholder its connection set before the library was loaded
# displaced the file's value.  The setting is now kept in the extension's
# catalog: no connection option, ALTER ROLE ... SET or SET reaches it.
#
# The capture's event triggers must never raise an internal error because
# another session dropped a relation meanwhile (0.2 raised "cache lookup
# failed for relation" under CREATE/DROP churn): bounded churn in several
# sessions, then the server log is searched for internal errors.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('capture');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
# what 0.2 documented: the capture on for the whole cluster
$node->append_conf('postgresql.conf', "migrate.capture_ddl = on\n");
$node->start;

$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION migrate;
	SELECT migrate_capture_ddl(true);
	CREATE ROLE plain LOGIN;
	GRANT CREATE ON SCHEMA public TO plain;
});

sub logged
{
	my ($identity) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM migrate.ddl_log WHERE object_identity = '$identity'"
	);
}

# a plain role's connection options cannot turn it off
{
	local $ENV{PGOPTIONS} = '-c migrate.capture_ddl=off';
	my ($ret, $out, $err) = $node->psql(
		'postgres',
		'CREATE TABLE by_plain_options (a int)',
		extra_params => [ '-U', 'plain' ]);
	is($ret, 0, 'the plain role connected with -c migrate.capture_ddl=off');
}
is(logged('public.by_plain_options'), '1',
	'its DDL was logged all the same');

# nor can its own SET, before or after the library is loaded
my ($ret, $out, $err) = $node->psql(
	'postgres', q{
	SET migrate.capture_ddl = off;
	CREATE TABLE by_plain_set (a int);
	SET migrate.capture_ddl = off;
	CREATE TABLE by_plain_set_again (a int);
},
	on_error_stop => 0,
	extra_params => [ '-U', 'plain' ]);
is(logged('public.by_plain_set'), '1', 'DDL after SET before loading is logged');
is(logged('public.by_plain_set_again'),
	'1', 'DDL after SET once loaded is logged');
like(
	$err,
	qr/invalid configuration parameter name "migrate.capture_ddl"/,
	'SET migrate.capture_ddl is refused once the library is loaded');

# nor a setting for the role, made by a superuser who thinks it still works
$node->safe_psql('postgres',
	'ALTER ROLE plain SET migrate.capture_ddl = off');
$node->psql(
	'postgres',
	'CREATE TABLE by_plain_role_setting (a int)',
	extra_params => [ '-U', 'plain' ]);
is(logged('public.by_plain_role_setting'),
	'1', 'DDL under ALTER ROLE ... SET migrate.capture_ddl = off is logged');
$node->safe_psql('postgres', 'ALTER ROLE plain RESET ALL');

# only a superuser can turn it off, even with EXECUTE granted
$node->safe_psql('postgres',
	'GRANT EXECUTE ON FUNCTION migrate_capture_ddl(boolean) TO plain');
($ret, $out, $err) = $node->psql(
	'postgres',
	'SELECT migrate_capture_ddl(false)',
	extra_params => [ '-U', 'plain' ]);
like(
	$err,
	qr/only a superuser can turn the capture of DDL on or off/,
	'a plain role cannot turn it off');
is($node->safe_psql('postgres', 'SELECT migrate_capture_ddl()'),
	't', 'still on');

# churn: sessions creating, altering and dropping the same tables, so that
# the event triggers look up relations another session drops meanwhile
my $iterations = 300;
my @churn;
for my $i (1 .. 3)
{
	my $sql = '';
	for my $j (1 .. $iterations)
	{
		$sql .= "CREATE TABLE IF NOT EXISTS churn_$j (a int);\n";
		$sql .= "ALTER TABLE IF EXISTS churn_$j ADD COLUMN IF NOT EXISTS b_$i int;\n";
		$sql .= "CREATE INDEX IF NOT EXISTS churn_${j}_idx_$i ON churn_$j (a);\n";
		$sql .= "DROP TABLE IF EXISTS churn_$j;\n";
	}
	# errors of the churn itself (a table dropped between two of its
	# statements) are expected; they must never be internal errors
	$sql = "\\set ON_ERROR_STOP 0\n$sql\\echo done\n";
	my ($stdout, $stderr) = ('', '');
	push @churn,
	  {
		sql => $sql,
		handle => IPC::Run::start(
			[ 'psql', '-X', '-q', '-d', $node->connstr('postgres') ],
			'<', \$sql, '>', \$stdout, '2>', \$stderr),
		out => \$stdout,
		err => \$stderr
	  };
}
for my $c (@churn)
{
	$c->{handle}->finish;
	like(${ $c->{out} }, qr/done/, 'a churn session ran all its iterations');
	unlike(${ $c->{err} }, qr/cache lookup failed|could not open relation/,
		'a churn session saw no internal error');
}
ok( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate.ddl_log WHERE object_identity LIKE 'public.churn_%'"
	) > $iterations,
	'the churn was captured');

my $log = slurp_file($node->logfile);
unlike($log, qr/ERROR:  (cache lookup failed|could not open relation with OID)/,
	'no internal error in the server log');

$node->stop;
done_testing();
