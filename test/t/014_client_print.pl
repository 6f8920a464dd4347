# pg_migrate print (SPEC §11): the psql script it writes, run by the real
# psql, does what pg_migrate deploy (or apply) does; the scripts reach the
# server as written, whatever psql would read into them; and the psql
# recipes in README.md are what print writes.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('print');
my $deploy;

# psql_file(DB, FILE): run a script as a deploy job would
sub psql_file
{
	my ($db, $file) = @_;
	my ($out, $err);
	my $ok = IPC::Run::run([ 'psql', '-X', '-f', $file, $node->connstr($db) ],
		'>', \$out, '2>', \$err);
	return ($ok, $out, $err);
}

# what a database holds of its migrations: registration and state
sub state_of
{
	my ($db) = @_;
	return $node->safe_psql(
		$db, q{
		SELECT s.id, s.state, s.reversible, s.transactional, m.description,
		       m.data_loss_ok, md5(m.up_sql), md5(coalesce(m.down_sql, 'NULL'))
		  FROM migrate_status() s JOIN migrate.migration m USING (id)});
}

for my $layout (qw(updown dbmate sqitch graphile))
{
	my $dir = fixture($layout);
	my $a = fresh_db($node, "pgm_$layout");
	fresh_db($node, "psql_$layout");
	$deploy //= server_has($node, "pgm_$layout", 'migrate_deploy(text,boolean)');
	my @target = $deploy ? () : ('--target', $LAST_TX{$layout});
	my @apply = $deploy ? () : ('--apply');

	my ($ret, $out, $err) = run_pgm('-D', $dir, '-q', 'deploy', @target, $a);
	is($ret, 0, "$layout: pg_migrate deploy");

	($ret, $out, $err) = run_pgm('-D', $dir, 'print', @apply, @target);
	is($ret, 0, "$layout: print: exit status 0");
	like($out, qr/\A-- The psql script of "pg_migrate (deploy|apply)" for \Q$dir\E \($layout layout\)/,
		"$layout: print: says what it is");
	like($out, qr/^\\set ON_ERROR_STOP on$/m, "$layout: print: stops at the first error");
	my $file = PostgreSQL::Test::Utils::tempdir('script') . "/deploy.psql";
	write_file($file, $out);

	my ($ok, $pout, $perr) = psql_file("psql_$layout", $file);
	ok($ok, "$layout: psql runs the script") or diag($perr);
	is(state_of("psql_$layout"), state_of("pgm_$layout"),
		"$layout: the same migrations registered and applied");
	is(schema_of($node, "psql_$layout"), schema_of($node, "pgm_$layout"),
		"$layout: the same schema");

	# run again: nothing changes
	($ok, $pout, $perr) = psql_file("psql_$layout", $file);
	ok($ok, "$layout: psql runs the script again");
	is(state_of("psql_$layout"), state_of("pgm_$layout"),
		"$layout: run again, nothing changed");
}

# the script as written reaches the server: dollar-quote tags it holds,
# psql variables and backslash commands inside it, quotes in descriptions
{
	my $dir = PostgreSQL::Test::Utils::tempdir('tricky');
	my $up = "-- description: it's got \$up\$ and :vars\nSELECT ':not_a_var', \$up\$\n\\echo not a meta-command\n\$up\$, \$up1\$x\$up1\$;\n";
	write_file("$dir/0001_tricky.up.sql", $up);
	write_file("$dir/0001_tricky.down.sql", "SELECT E'\\\\';\n");
	my ($ret, $out) = run_pgm('-D', $dir, 'print', '--apply');
	is($ret, 0, 'tricky: print');
	like($out, qr/\$up2\$-- description/, 'tricky: a dollar-quote tag the script does not hold');
	my $file = "$dir/deploy.psql";
	write_file($file, $out);
	fresh_db($node, 'tricky');
	my ($ok, $pout, $perr) = psql_file('tricky', $file);
	ok($ok, 'tricky: psql runs it') or diag($perr);
	unlike($pout, qr/not a meta-command/, 'tricky: no backslash command was run');
	is($node->safe_psql('tricky', q{SELECT up_sql || '|' || down_sql || '|' || description FROM migrate.migration}),
		$up . "|SELECT E'\\\\';\n|it's got \$up\$ and :vars",
		'tricky: the scripts and description as written');
}

# the psql recipes README.md shows are what print writes: each block
# after a line "<!-- pg_migrate ARGS -->"
{
	my $readme = slurp_file('README.md');
	my $n = 0;
	while ($readme =~ /^<!-- (pg_migrate [^\n]*?) -->\n```[a-z]*\n(.*?)^```$/msg)
	{
		my ($cmd, $shown) = ($1, $2);
		my @args = split / /, $cmd;
		shift @args;
		my ($ret, $out) = run_pgm(@args);
		is($ret, 0, "README.md: $cmd runs");
		is($shown, $out, "README.md: the block after \"$cmd\" is its output");
		$n++;
	}
	ok($n > 0, 'README.md shows what pg_migrate print writes');
}

$node->stop;
done_testing();
