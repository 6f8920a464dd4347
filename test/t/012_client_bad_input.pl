# Bad migration files (SPEC §11): each is refused with a message that names
# the file, every problem of the directory at once, exit status 1, and
# nothing registered.  The fixtures are in test/fixtures/client/bad/; the files
# git cannot keep (unreadable, not UTF-8, with a NUL byte) are made here.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('bad');
my $conn = fresh_db($node, 'bad');
my $bad = 'test/fixtures/client/bad';

sub registered
{
	return $node->safe_psql('bad', 'SELECT count(*) FROM migrate.migration');
}

# refused(NAME, DIR, [ERROR REGEXES], [OPTIONS])
sub refused
{
	my ($name, $dir, $errs, @opts) = @_;
	command_checks_all([ 'pg_migrate', '-D', $dir, @opts, 'deploy', $conn ],
		1, [qr/^$/], $errs, $name);
	is(registered(), '0', "$name: nothing registered");
	return;
}

refused(
	'a directory mixing layouts',
	"$bad/mixed",
	[
		qr/^pg_migrate: error: "\Q$bad\E\/mixed" mixes layouts: updown \(0001_create_users\.up\.sql\), flyway \(V2__add_email\.sql\)$/m,
		qr/^pg_migrate: hint: Keep one layout in a directory, or name the layout with --format\.$/m
	]);
refused(
	'two files with one id',
	"$bad/duplicate",
	[qr/^pg_migrate: error: \Q$bad\E\/duplicate\/V1__create_users\.sql: defines migration "1", which \Q$bad\E\/duplicate\/V1__create_accounts\.sql defines already$/m]);
refused(
	'two Flyway versions Flyway takes for one',
	"$bad/same_version",
	[qr/V1__create_users\.sql: has version 1, which Flyway takes for the version 1\.0 of .*V1_0__create_accounts\.sql$/m]);
refused(
	'invalid ids, each reported',
	"$bad/invalid_id",
	[
		qr/^pg_migrate: error: .*\/0001 create users\.up\.sql: "0001 create users" is not a valid migration id: 1 to 200 characters from A-Z a-z 0-9 _ \. -/m,
		qr/0002_café\.up\.sql: "0002_café" is not a valid migration id/m,
		qr/head\.up\.sql: "head" is not a valid migration id/m,
		qr/^pg_migrate: error: 3 problems in the migration files of "\Q$bad\E\/invalid_id"; nothing was registered$/m
	]);
refused(
	'a down file without its up file',
	"$bad/orphan_down",
	[qr/0002_add_email\.down\.sql: has no up file: 0002_add_email\.up\.sql is missing$/m]);
refused(
	'a .sql file that is not a migration',
	"$bad/stray",
	[qr/\/notes\.sql: is not a migration file of the updown layout, whose files are <id>\.up\.sql and <id>\.down\.sql$/m]);
refused(
	'dbmate: no down section',
	"$bad/dbmate_no_down",
	[qr/20240101120000_create_users\.sql: the section at line 1 has no "-- migrate:down" line/m]);
refused(
	'dbmate: statements before the up section',
	"$bad/dbmate_before_up",
	[qr/20240101120000_create_users\.sql: has statements before "-- migrate:up" \(line 2\)/m]);
refused(
	'Flyway: a repeatable migration',
	"$bad/flyway_repeatable",
	[qr/R__user_view\.sql: is a Flyway repeatable migration, which migrate does not have/m]);
refused(
	'Flyway: a placeholder',
	"$bad/flyway_placeholder",
	[qr/V1__create_users\.sql: uses the Flyway placeholder \$\{schema\} \(line 1\), which pg_migrate does not replace/m]);
refused(
	'Flyway: an undo script without its migration',
	"$bad/flyway_orphan_undo",
	[qr/U2__add_email\.sql: undoes version 2, which no V2__\*\.sql file defines$/m]);
refused(
	'diesel: a migration without up.sql',
	"$bad/diesel_no_up",
	[qr/2024-01-01-120000_create_users: has no up\.sql$/m]);
refused(
	'Sqitch: a change without its deploy script',
	"$bad/sqitch_missing",
	[qr/\/deploy\/add_email\.sql: is missing: the change is in sqitch\.plan$/m]);
refused(
	'Sqitch: a change reworked without a tag that keeps its first version',
	"$bad/sqitch_rework_untagged",
	[qr/sqitch\.plan: line 4: change users is reworked later, but no tag follows it$/m]);
refused(
	'graphile-migrate: a committed file edited',
	"$bad/graphile_edited",
	[qr/committed\/000002\.sql: its hash does not match: the file says sha1:[0-9a-f]{40}, its contents give sha1:[0-9a-f]{40}; has the file been edited since it was committed\?$/m]);
refused(
	'graphile-migrate: a broken chain',
	"$bad/graphile_chain",
	[qr/committed\/000002\.sql: expects the previous migration's hash to be sha1:0{40}, but .*000001\.sql has sha1:/m]);
refused(
	'no migration files',
	"$bad/empty",
	[qr/^pg_migrate: error: found no migration files in "\Q$bad\E\/empty"$/m]);
refused(
	'a directory that does not exist',
	"$bad/nosuchdir",
	[qr/^pg_migrate: error: could not read the migrations directory "\Q$bad\E\/nosuchdir": No such file or directory$/m]);
refused('a layout named that the files are not in',
	"test/fixtures/client/updown", [qr/is not a Flyway migration/], '-F', 'flyway');

# what the server refuses: every migration's problems, nothing registered
refused(
	'the server refuses two of four migrations',
	"$bad/server_refuses",
	[
		qr/^ERROR:  syntax error at or near "amount"\nCONTEXT:  migration "0002_create_orders", up script, line 4, column 5$/m,
		qr/^ERROR:  CREATE INDEX CONCURRENTLY cannot run inside a transactional migration\n(.*\n)*CONTEXT:  migration "0003_index_orders", up script, statement 1, line 2$/m,
		qr/^pg_migrate: error: 2 of the 4 migrations to register could not be registered; nothing was registered$/m
	]);

# files git does not keep: made here
my $dir = PostgreSQL::Test::Utils::tempdir('made');
write_file("$dir/0001_create_users.up.sql", "CREATE TABLE users (id int);\n");
write_file("$dir/0002_latin1.up.sql",
	"-- written in LATIN1\nINSERT INTO users VALUES (1); -- caf\xe9\n");
write_file("$dir/0003_nul.up.sql", "SELECT 1;\n\nSELECT '\0';\n");
write_file("$dir/0004_secret.up.sql", "SELECT 2;\n");
chmod 0000, "$dir/0004_secret.up.sql";
write_file("$dir/0005_secret.down.sql", "SELECT 3;\n");
write_file("$dir/0005_secret.up.sql", "SELECT 3;\n");
chmod 0000, "$dir/0005_secret.down.sql";
my $readable = open(my $fh, '<', "$dir/0004_secret.up.sql");
close($fh) if $readable;
refused(
	'files not UTF-8, with a NUL byte, unreadable: each reported',
	$dir,
	[
		qr/^pg_migrate: error: \Q$dir\E\/0002_latin1\.up\.sql: is not valid UTF-8 \(line 2, byte 0xe9\); convert it, e\.g\. with iconv -f LATIN1 -t UTF-8$/m,
		qr/^pg_migrate: error: \Q$dir\E\/0003_nul\.up\.sql: line 3 holds a NUL byte: a migration file must be text$/m,
		$readable ? qr// : qr/^pg_migrate: error: \Q$dir\E\/0004_secret\.up\.sql: could not open: Permission denied$/m,
		$readable ? qr// : qr/^pg_migrate: error: \Q$dir\E\/0005_secret\.down\.sql: could not open: Permission denied$/m,
		qr/^pg_migrate: error: \d problems in the migration files of "\Q$dir\E"; nothing was registered$/m
	]);
chmod 0644, "$dir/0004_secret.up.sql", "$dir/0005_secret.down.sql";

# --json: the problems, each with its file
{
	my ($ret, $out) = run_pgm('-D', "$bad/invalid_id", '--json', 'deploy', $conn);
	is($ret, 1, '--json: exit status 1');
	my $j = json_of($out);
	is(scalar @{ $j->{errors} }, 3, '--json: the three problems');
	like($j->{errors}[0]{file}, qr/0001 create users\.up\.sql$/, '--json: each with its file');
	is($j->{exit_status}, 1, '--json: exit_status');
}

# a missing down file is no error: a notice that it is irreversible
{
	my $ok = PostgreSQL::Test::Utils::tempdir('irreversible');
	write_file("$ok/0001_backfill.up.sql", "SELECT 1;\n");
	command_checks_all(
		[ 'pg_migrate', '-D', $ok, 'register', $conn ],
		0,
		[qr/^1 migration: 1 registered, 0 updated, 0 unchanged$/m],
		[qr/^pg_migrate: migration 0001_backfill has no down script \(.*0001_backfill\.up\.sql\): it is registered as irreversible$/m],
		'a missing down file: a notice, and registered as irreversible');
	is($node->safe_psql('bad', 'SELECT down_sql IS NULL FROM migrate.migration'),
		't', 'a missing down file: down_sql is NULL');
}

$node->stop;
done_testing();
