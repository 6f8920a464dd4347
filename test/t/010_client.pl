# The client pg_migrate (SPEC §11): its command line, exit statuses,
# output (progress, psql's aligned tables, --json), the connection as psql
# takes it, and that a deploy with nothing to do sends no script.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

program_help_ok('pg_migrate');
program_version_ok('pg_migrate');
program_options_handling_ok('pg_migrate');

my $fixture = fixture('updown');

# bad usage: exit status 2, and the reason
for my $case (
	[ [], qr/no command given/ ],
	[ ['frobnicate'], qr/unknown command "frobnicate"/ ],
	[ ['rollback'], qr/rollback needs a TARGET/ ],
	[ [ 'import' ], qr/import needs a TOOL/ ],
	[ [ 'status', '--target', 'head' ], qr/--target goes with deploy/ ],
	[ [ 'deploy', '--dry-run' ], qr/--dry-run goes with apply and rollback/ ],
	[ [ 'print', '--json' ], qr/--json does not go with it/ ],
	[ [ 'deploy', '-1' ], qr/deploy takes no argument \("-1"\)/ ],
	[ [ 'deploy', 'a', 'b' ], qr/too many arguments: "b"/ ],
	[ [ 'deploy', '-F', 'liquibase' ], qr/unknown layout "liquibase"/ ],
	[ [ 'baseline', 'head', '--scratch-db', 'x' ], qr/--scratch-db goes with --check/ ])
{
	my ($args, $re) = @$case;
	my ($ret, $out, $err) = run_pgm(@$args);
	is($ret, 2, "usage: @$args: exit status 2");
	like($err, $re, "usage: @$args: says why");
	like($err, qr/Try "pg_migrate --help"/, "usage: @$args: hint");
}

my $node = new_node('client', "log_statement = 'all'\n");
my $db = fresh_db($node, 'app');

# the database, as psql takes it: the last argument, -d, or PG* variables
{
	my ($ret, $out, $err) =
	  run_pgm('-D', $fixture, 'status', $node->connstr('nosuchdb'));
	is($ret, 1, 'a database that does not exist: exit status 1');
	like($err, qr/pg_migrate: error: .*database "nosuchdb" does not exist/,
		'and libpq says why');

	fresh_db($node, 'bare', 1);
	($ret, $out, $err) = run_pgm('-D', $fixture, 'deploy', $node->connstr('bare'));
	is($ret, 1, 'a database without the extension: exit status 1');
	like($err, qr/the extension "migrate" is not installed in database "bare"/,
		'and says so');
	like($err, qr/hint: A superuser installs it there with CREATE EXTENSION migrate/,
		'with a hint');

	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGDATABASE} = 'app';
	($ret, $out, $err) = run_pgm('-D', $fixture, 'status');
	is($ret, 0, 'PG* variables: exit status 0');
	like($out, qr/^ 000001_create_users +\| pending/m, 'PG* variables: the database of PGDATABASE');
	($ret, $out, $err) = run_pgm('-D', $fixture, '-d', 'app', 'status');
	is($ret, 0, '-d: exit status 0');
	($ret, $out, $err) =
	  run_pgm('-D', $fixture, '-h', $node->host, '-p', $node->port, '-U',
		'postgres', 'status', 'postgresql:///app');
	like($err, qr/is not installed/, 'the last argument as a URI') if $ret;
	is($ret, 0, '-h -p -U and a URI: exit status 0');
}

# registering: every migration the first time, then only what changed
my ($dir) = copy_fixture('updown');
my $offset = -s $node->logfile;
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'register', $db ],
	0,
	[qr/^8 migrations: 8 registered, 0 updated, 0 unchanged$/m],
	[
		qr/^registered 000001_create_users$/m,
		qr/^pg_migrate: migration 000007_backfill_display_name has no down script \(.*000007_backfill_display_name\.up\.sql\): it is registered as irreversible$/m
	],
	'register: the first time, all');
is($node->safe_psql('app', 'SELECT count(*) FROM migrate.migration'),
	'8', 'register: 8 registered');
is( $node->safe_psql(
		'app',
		q{SELECT string_agg(id || ' ' || transactional || ' ' || (down_sql IS NULL) || ' ' || coalesce(description, '-'), E'\n' ORDER BY id) FROM migrate.migration WHERE id IN ('000004_add_shipped_status', '000007_backfill_display_name', '000008_index_orders_user_id')}
	),
	"000004_add_shipped_status true false orders can be shipped
000007_backfill_display_name true true display names, from the email addresses (irreversible)
000008_index_orders_user_id false false index orders by user, without blocking writes",
	'register: an empty down file is a no-op, a missing one irreversible, the morph marker non-transactional, the description header read'
);
is($node->safe_psql('app', q{SELECT down_sql FROM migrate.migration WHERE id = '000004_add_shipped_status'}),
	'', 'register: the empty down script is empty');

$offset = -s $node->logfile;
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'register', $db ],
	0,
	[qr/^8 migrations: 0 registered, 0 updated, 8 unchanged$/m],
	[qr/^$/],
	'register again: nothing to do, nothing said');
my $log = substr(slurp_file($node->logfile), $offset);
like($log, qr/migrate_changed/, 'register again: the checksums are compared');
unlike($log, qr/migrate_register/, 'register again: no script is sent');

# a changed down script is sent again, alone
write_file("$dir/000003_seed_users.down.sql",
	"DELETE FROM users WHERE email IN ('ada\@example.com', 'alan\@example.com', 'grace\@example.com');\n");
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'register', $db ],
	0,
	[qr/^8 migrations: 0 registered, 1 updated, 7 unchanged$/m],
	[qr/^updated 000003_seed_users$/m],
	'register after an edit: the one changed');

# the checksum the client computes is the server's
{
	my $m = $node->safe_psql('app',
		q{SELECT count(*) FROM migrate_changed(ARRAY(SELECT id FROM migrate.migration ORDER BY id),
		  ARRAY(SELECT migrate_registration_checksum(up_sql, down_sql, description, data_loss_ok, transactional) FROM migrate.migration ORDER BY id))});
	is($m, '0', 'the registration checksums of the registered rows match');
}

# apply: registration and migrate_apply() in one transaction; progress
# from the server's NOTICEs
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'apply', '--target', '000002_create_orders', $db ],
	0,
	[qr/^8 migrations: 0 registered, 0 updated, 8 unchanged; 2 applied$/m],
	[
		qr/^applied 000001_create_users \(1 of 2\) in \d+\.\d ms$/m,
		qr/^applied 000002_create_orders \(2 of 2\) in \d+\.\d ms$/m
	],
	'apply --target: progress lines');

command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'apply', '--dry-run', '--target', '+1', $db ],
	0,
	[qr/\(dry run: nothing kept\); 1 would be applied$/m],
	[qr/^applied 000003_seed_users \(1 of 1\)/m, qr/^dry run: 1 migration would be applied; nothing was changed$/m],
	'apply --dry-run');

# status: psql's aligned format, the files' pending migrations included
command_like(
	[ 'pg_migrate', '-D', $dir, 'status', $db ],
	qr/^ +id +\| +state +\| +applied_at +\| applied_by +\| +duration +\| reversible +\| stopped +\| +description +\n-+\+-+\+.*\n 000001_create_users +\| applied +\| \d{4}-\d\d-\d\d [\d:.]+\+00 +\| postgres +\| [\d:.]+ +\| t +\| +\| create the users table *\n.*\n 000003_seed_users +\| pending +\|.*\(8 rows\)\n+\z/s,
	'status: aligned table');

# a file added since: status shows it pending, and keeps nothing
write_file("$dir/000009_add_phone.up.sql", "ALTER TABLE users ADD COLUMN phone text;\n");
command_like([ 'pg_migrate', '-D', $dir, 'status', $db ],
	qr/^ 000009_add_phone +\| pending /m, 'status: a new file shows as pending');
is($node->safe_psql('app', q{SELECT count(*) FROM migrate.migration WHERE id = '000009_add_phone'}),
	'0', 'status: keeps nothing of the files');
unlink "$dir/000009_add_phone.up.sql";

# without a directory: the database's migrations alone
{
	my $empty = PostgreSQL::Test::Utils::tempdir('nodir');
	my ($out, $err);
	IPC::Run::run([ 'pg_migrate', 'status', $db ],
		'>', \$out, '2>', \$err, init => sub { chdir $empty });
	is($? >> 8, 0, 'status without a migrations directory: exit status 0');
	like($out, qr/\(8 rows\)/, 'status without a migrations directory: the registered ones');
}

# --json: typed values
{
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'status', '--json', $db);
	is($ret, 0, 'status --json: exit status 0');
	my $j = json_of($out);
	is($j->{command}, 'status', 'status --json: command');
	is($j->{layout}, 'updown', 'status --json: layout');
	is(scalar @{ $j->{rows} }, 8, 'status --json: 8 rows');
	is($j->{rows}[0]{id}, '000001_create_users', 'status --json: in version order');
	is($j->{rows}[0]{state}, 'applied', 'status --json: state');
	ok(JSON::PP::is_bool($j->{rows}[0]{reversible}) && $j->{rows}[0]{reversible},
		'status --json: booleans are JSON booleans');
	ok(!defined $j->{rows}[2]{applied_at}, 'status --json: NULL is null');
	is($j->{exit_status}, 0, 'status --json: exit_status');
}

# plan: the statements of the pending migrations, the advice under the table
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'plan', '--target', '000006_widen_order_amount', $db ],
	0,
	[
		qr/^ +id +\| statement \| line \| +command +\| +relation +\| +lock_mode +\| rewrites \| scans \| destroys \| est_rows \| +risk/m,
		qr/^ 000006_widen_order_amount +\| +2 \| +4 \| ALTER TABLE +\| orders +\| AccessExclusiveLock +\| f +\|/m,
		qr/^Advice:\n(  .*\n)*  000006_widen_order_amount, statement 2: .*ACCESS EXCLUSIVE/m
	],
	[],
	'plan: table and advice');

# verify: exit status 3 when a down script does not undo its up script
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'verify', '--target', '000003_seed_users', $db ],
	0,
	[qr/^ 000003_seed_users \| ok /m],
	[],
	'verify: all undone, exit status 0');
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'verify', '--target', '000006_widen_order_amount', $db ],
	3,
	[
		qr/^ 000004_add_shipped_status \| differs \| enum public.order_status \| enum \('pending', 'paid'\);/m,
		qr/^1 finding: a down script does not undo its up script, or a script failed$/m
	],
	[],
	'verify: the empty down file of an enum value is found, exit status 3');
{
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'verify', '--json', '--target',
		'000006_widen_order_amount', $db);
	is($ret, 3, 'verify --json: exit status 3');
	my $j = json_of($out);
	is($j->{found}, 1, 'verify --json: found');
	is((grep { $_->{result} eq 'differs' } @{ $j->{rows} })[0]{id},
		'000004_add_shipped_status', 'verify --json: the row');
}

# drift: exit status 3 when something changed outside migrations
command_checks_all([ 'pg_migrate', 'drift', $db ],
	0, [qr/\(0 rows\)/], [], 'drift: none');
$node->safe_psql('app', 'ALTER TABLE users ADD COLUMN nickname text');
command_checks_all(
	[ 'pg_migrate', 'drift', $db ],
	3,
	[ qr/^ added +\| column +\| public\.users\.nickname /m, qr/^1 change made outside migrations$/m ],
	[],
	'drift: a column added by hand, exit status 3');
{
	my ($ret, $out) = run_pgm('drift', '--json', $db);
	is($ret, 3, 'drift --json: exit status 3');
	is(json_of($out)->{found}, 1, 'drift --json: found');
}
$node->safe_psql('app', 'ALTER TABLE users DROP COLUMN nickname');

# the server's errors, unchanged, and nothing of the call kept
{
	my ($bad) = copy_fixture('updown');
	write_file("$bad/000003_seed_users.up.sql",
		"INSERT INTO users (email) VALUES ('x\@example.com');\nSELECT 1 / 0;\n");
	command_checks_all(
		[ 'pg_migrate', '-D', $bad, 'apply', '--target', '000003_seed_users', $db ],
		1,
		[qr/^$/],
		[qr/^updated 000003_seed_users\nERROR:  division by zero\nCONTEXT:  SQL statement "SELECT 1 \/ 0"\nmigration "000003_seed_users", up script, statement 2, line 2\n\z/],
		'apply: a failing statement, the error as the server sent it, exit status 1');
	is($node->safe_psql('app', q{SELECT description FROM migrate.migration WHERE id = '000003_seed_users'}),
		'the first two users', 'apply failed: the registration is not kept either');
	command_checks_all(
		[ 'pg_migrate', '-D', $bad, '--verbose', 'apply', '--target', '000003_seed_users', $db ],
		1, [],
		[qr/^ERROR:  22012: division by zero$/m, qr/^LOCATION:  /m],
		'--verbose: SQLSTATE and location');
	my ($ret, $out) = run_pgm('-D', $bad, 'apply', '--json', '--target', '000003_seed_users', $db);
	my $j = json_of($out);
	is($j->{errors}[0]{sqlstate}, '22012', 'apply --json: the error\'s SQLSTATE');
	is($j->{errors}[0]{message}, 'division by zero', 'apply --json: its message');
	like($j->{errors}[0]{context}, qr/migration "000003_seed_users", up script, statement 2, line 2/,
		'apply --json: its context');
	is($j->{exit_status}, 1, 'apply --json: exit_status 1');
}

# rollback: the target after the command, -N included; refusals unchanged
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'rollback', '-1', $db ],
	0,
	[qr/; 1 rolled back$/m],
	[qr/^rolled back 000002_create_orders \(1 of 1\) in \d+\.\d ms$/m],
	'rollback -1');
$node->safe_psql('app', q{SELECT migrate_apply('000007_backfill_display_name')});
command_checks_all(
	[ 'pg_migrate', '-D', $dir, 'rollback', 'base', $db ],
	1,
	[qr/^$/],
	[qr/^ERROR:  cannot roll back to target "base": 1 migration in the range is irreversible\nDETAIL:  Migration "000007_backfill_display_name" has no down script\.\nHINT:  /m],
	'rollback base over an irreversible migration: refused by the server');

# deploy: registration, then CALL migrate_deploy() (or, on a server
# without it, migrate_apply() in the registration's transaction)
if (server_has($node, 'app', 'migrate_deploy(text,boolean)'))
{
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'deploy', $db ],
		0,
		[qr/^8 migrations: 0 registered, 0 updated, 8 unchanged$/m],
		[qr/^applied 000008_index_orders_user_id/m],
		'deploy: the non-transactional migration too');
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'undeploy', '-1', $db ],
		0,
		[qr/^8 migrations: 0 registered, 0 updated, 8 unchanged$/m],
		[qr/^rolled back 000008_index_orders_user_id \(1 of 1\)/m],
		'undeploy -1: the concurrent index dropped by CALL migrate_undeploy()');
	command_ok([ 'pg_migrate', '-D', $dir, '-q', 'deploy', $db ],
		'deploy again after the undeploy');
	command_fails_like(
		[ 'pg_migrate', '-D', $dir, 'undeploy', 'base', $db ],
		qr/^ERROR:  cannot roll back to target "base": 1 migration in the range is irreversible$/m,
		'undeploy base: refused by the server');
}
else
{
	command_checks_all(
		[ 'pg_migrate', '-D', $dir, 'deploy', $db ],
		1,
		[qr/^$/],
		[
			qr/has no migrate_deploy\(\): applying in one transaction/,
			qr/^ERROR:  cannot apply 1 non-transactional migration in one transaction$/m,
			qr/^HINT:  Run CALL migrate_deploy\(\)/m
		],
		'deploy on a server without migrate_deploy(): the server refuses the non-transactional migration');
}
command_checks_all([ 'pg_migrate', '-D', $dir, '-q', 'register', $db ],
	0, [qr/^$/], [qr/^$/], '-q: nothing said');
{
	my $db2 = fresh_db($node, 'app2');
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', '--json', '--target',
		'000007_backfill_display_name', $db2);
	my $j = json_of($out);
	is($ret, 0, 'deploy --json: exit status 0');
	is(scalar @{ $j->{registered} }, 8, 'deploy --json: registered');
	is($j->{unchanged}, 0, 'deploy --json: unchanged');
	is(scalar(grep { /^applied / } @{ $j->{notices} }), 7, 'deploy --json: the server\'s notices');
	like($err, qr/^applied 000007_backfill_display_name \(7 of 7\)/m,
		'deploy --json: progress still on standard error');
}

$node->stop;
done_testing();
