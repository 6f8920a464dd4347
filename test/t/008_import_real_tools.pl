# migrate_import() adopts databases that the real peer tools migrated
# (SPEC §12).  dbmate, Sqitch and graphile-migrate are run for real on the
# fixture directories under test/fixtures/ (test/run-tests.sh installs them:
# Sqitch from Debian, dbmate and graphile-migrate from npm, and exports
# their paths in MIGRATE_SQITCH, MIGRATE_DBMATE and MIGRATE_GRAPHILE_MIGRATE).
# golang-migrate, Flyway and diesel cannot be installed here (no Go, Java or
# Rust toolchain, and no package of them): their history tables are built
# from the tools' own documented schemas (golang-migrate's postgres driver,
# Flyway's createMetaDataTable.sql for PostgreSQL, diesel's
# setup_migration_table.sql), with the rows each writes, after their
# fixture migrations were run with psql as the tool would run them.
#
# For each tool: the tool migrates a database up to all but the last
# fixture migration; the fixture files are registered with the ids the
# README's id mapping gives them (read here in Perl, as the client will);
# migrate_import() baselines what the history lists; the last migration
# then applies with migrate_apply(); the tool's table is exactly as it was
# (no row written, none rewritten), and the tool still reads it.  For the
# real tools, the adopted schema is also compared with the schema the same
# migrations make when migrate deploys them on an empty database.
use strict;
use warnings;

use File::Basename qw(basename);
use File::Copy qw(copy);
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $fixtures = 'test/fixtures';
my $required = $ENV{MIGRATE_PEER_TOOLS_REQUIRED} // '';

my $node = PostgreSQL::Test::Cluster->new('import');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
$node->start;
my $bindir = $node->config_data('--bindir');
my $user = getpwuid($<);
my $tempdir = PostgreSQL::Test::Utils::tempdir;

# ---------------------------------------------------------------------------
# Files and the ids of the README's id mapping
# ---------------------------------------------------------------------------

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!";
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s;
}

sub spew
{
	my ($path, $s) = @_;
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $s;
	close($fh);
	return;
}

sub files_in
{
	my ($dir, $re) = @_;
	opendir(my $dh, $dir) or die "cannot list $dir: $!";
	my @f = sort grep { $_ =~ $re } readdir($dh);
	closedir($dh);
	return @f;
}

# dbmate: <version>_<name>.sql, "-- migrate:up [transaction:false]" and
# "-- migrate:down" sections; id: the file name without .sql
sub dbmate_migrations
{
	my ($dir) = @_;
	my @m;
	for my $f (files_in($dir, qr/^\d.*\.sql$/))
	{
		my $text = slurp("$dir/$f");
		$text =~ /^-- migrate:up([^\n]*)\n(.*?)(?:^-- migrate:down[^\n]*\n(.*))?\z/sm
		  or die "$f: no -- migrate:up";
		my ($options, $up, $down) = ($1, $2, $3);
		(my $id = $f) =~ s/\.sql$//;
		push @m,
		  {
			id => $id,
			up => $up,
			down => $down,
			transactional => ($options =~ /transaction:false/ ? 0 : 1)
		  };
	}
	return @m;
}

# golang-migrate: <version>_<title>.up.sql and .down.sql; id: the file name
# without .up.sql
sub golang_migrations
{
	my ($dir) = @_;
	my @m;
	for my $f (files_in($dir, qr/^\d+_.*\.up\.sql$/))
	{
		(my $id = $f) =~ s/\.up\.sql$//;
		my $down = -f "$dir/$id.down.sql" ? slurp("$dir/$id.down.sql") : undef;
		push @m, { id => $id, up => slurp("$dir/$f"), down => $down };
	}
	return @m;
}

# Flyway: V<version>__<description>.sql; id: the version, its parts joined
# by "." (V1_1__add_order_total.sql: 1.1), the description with spaces.
# Repeatable migrations (R__) are not versioned: not registered here.
sub flyway_migrations
{
	my ($dir) = @_;
	my @m;
	for my $f (files_in($dir, qr/^V[\d._]+__.*\.sql$/))
	{
		$f =~ /^V([\d._]+)__(.*)\.sql$/ or die;
		my ($version, $description) = ($1, $2);
		$version =~ s/_/./g;
		$description =~ s/_/ /g;
		push @m,
		  {
			id => $version,
			file => $f,
			description => $description,
			up => slurp("$dir/$f")
		  };
	}
	return sort { flyway_cmp($a->{id}, $b->{id}) } @m;
}

sub flyway_cmp
{
	my @a = split /\./, shift;
	my @b = split /\./, shift;
	while (@a || @b)
	{
		my $c = (shift(@a) // 0) <=> (shift(@b) // 0);
		return $c if $c;
	}
	return 0;
}

# diesel: <version>_<name>/up.sql and down.sql; id: the directory name
sub diesel_migrations
{
	my ($dir) = @_;
	my @m;
	for my $d (files_in($dir, qr/^[\d-]+_/))
	{
		my $down = -f "$dir/$d/down.sql" ? slurp("$dir/$d/down.sql") : undef;
		push @m, { id => $d, up => slurp("$dir/$d/up.sql"), down => $down };
	}
	return @m;
}

# Sqitch: the changes of sqitch.plan in order; id: the change's place among
# the plan's changes, four digits, "_", its name (0002_users).  A change
# reworked later in the plan has its scripts of that time in
# deploy/<name>@<the next tag>.sql.  The template's BEGIN; and COMMIT;
# lines are taken off: migrate runs each migration in its own transaction.
sub sqitch_migrations
{
	my ($dir) = @_;
	my @lines = grep { /\S/ && !/^[%#]/ } split /\n/, slurp("$dir/sqitch.plan");
	my @entries = map { /^(\@?[^\s\[]+)/ ? $1 : die "plan line $_" } @lines;
	my (@m, $pos);
	for my $i (0 .. $#entries)
	{
		my $name = $entries[$i];
		next if $name =~ /^\@/;
		$pos++;
		my $suffix = '';
		if (grep { $_ eq $name } @entries[ $i + 1 .. $#entries ])
		{
			my ($tag) = grep { /^\@/ } @entries[ $i + 1 .. $#entries ];
			$suffix = $tag;
		}
		my %script;
		for my $kind (qw(deploy revert))
		{
			my $s = slurp("$dir/$kind/$name$suffix.sql");
			$s =~ s/^\s*(BEGIN|COMMIT)\s*;[ \t]*\n//mgi;
			$script{$kind} = $s;
		}
		push @m,
		  {
			id => sprintf('%04d_%s', $pos, $name),
			up => $script{deploy},
			down => $script{revert}
		  };
	}
	return @m;
}

# graphile-migrate: migrations/committed/<number>[-<message>].sql; id: the
# file name without .sql.  The "--! " headers above the first blank line
# are taken off (graphile-migrate does); "--! no-transaction" at the top of
# the body makes it non-transactional.
sub graphile_migrations
{
	my ($dir) = @_;
	my @m;
	for my $f (files_in("$dir/migrations/committed", qr/^\d+(-[-\w]*)?\.sql$/))
	{
		my $text = slurp("$dir/migrations/committed/$f");
		$text =~ s/\A(?:--! [^\n]*\n)+\n//;
		(my $id = $f) =~ s/\.sql$//;
		push @m,
		  {
			id => $id,
			up => $text,
			transactional => ($text =~ /\A--! no-transaction/ ? 0 : 1)
		  };
	}
	return @m;
}

# ---------------------------------------------------------------------------
# SQL
# ---------------------------------------------------------------------------

sub dollar_quote
{
	my ($s) = @_;
	return 'NULL' unless defined $s;
	my $tag = '$migrate_fixture$';
	die "script holds $tag" if index($s, $tag) >= 0;
	return "$tag$s$tag";
}

sub register_sql
{
	my @sql = ('BEGIN;', 'SET LOCAL client_min_messages = warning;');
	for my $m (@_)
	{
		push @sql,
		  sprintf(
			'SELECT migrate_register(%s, %s, %s, %s, transactional => %s);',
			dollar_quote($m->{id}), dollar_quote($m->{up}),
			dollar_quote($m->{down}), dollar_quote($m->{description}),
			(($m->{transactional} // 1) ? 'true' : 'false'));
	}
	push @sql, 'COMMIT;';
	return join("\n", @sql);
}

# psql -c sql in db: (stdout, stderr), dying on an error
sub psql_notices
{
	my ($db, $sql) = @_;
	my ($out, $err);
	my $rc = $node->psql($db, $sql, stdout => \$out, stderr => \$err);
	die "psql failed in $db: $err" if $rc != 0;
	return ($out, $err);
}

# every row of a table, with its physical version (ctid, xmin), as text
sub table_rows
{
	my ($db, $table) = @_;
	return $node->safe_psql($db,
		"SELECT ctid, xmin, t::text FROM $table t ORDER BY ctid");
}

# the schema as migrate_schema() describes it, without what belongs to
# the tool (its registry): the same in both databases
sub schema_without
{
	my ($db, $exclude) = @_;
	return $node->safe_psql($db,
		    "SELECT kind, identity, definition FROM migrate_schema() "
		  . "WHERE identity !~ '$exclude' ORDER BY kind, identity");
}

# run a tool: (exit status, stdout and stderr)
sub run_tool
{
	my ($cmd, %opt) = @_;
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %{ $opt{env} // {} });
	my @init = $opt{dir} ? (init => sub { chdir $opt{dir} or die $! }) : ();
	IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err, @init);
	my $rc = $? >> 8;
	note(join(' ', @$cmd) . " exited $rc\n$out$err");
	return ($rc, "$out$err");
}

# what every tool's adoption checks, after the tool made db: register the
# migrations, import, the last pending applies, the tool's table untouched
sub adopt_ok
{
	my (%a) = @_;
	my ($tool, $db, $table, @m) = (@a{qw(tool db table)}, @{ $a{migrations} });
	my $n = @m - 1;

	$node->safe_psql($db, 'CREATE EXTENSION migrate');
	$node->safe_psql($db, register_sql(@m));
	my $before = table_rows($db, $table);

	my ($out, $err) = psql_notices($db, "SELECT migrate_import('$tool')");
	is($out, $n, "$tool: migrate_import() baselines the $n migrations it ran");
	my @notices = ($err =~ /NOTICE:  baselined (\S+) \(\d+ of $n\)/g);
	is_deeply(\@notices, [ map { $_->{id} } @m[ 0 .. $n - 1 ] ],
		"$tool: a NOTICE for each, in version order");
	is( $node->safe_psql(
			$db, "SELECT string_agg(id || ' ' || state, ', ' ORDER BY id COLLATE \"C\") "
			  . "FROM migrate_status() WHERE state <> 'applied'"),
		"$m[-1]{id} pending",
		"$tool: the last migration, which $tool did not run, is pending");
	is( $node->safe_psql(
			$db, "SELECT count(*) FROM migrate.history WHERE action = 'baseline' "
			  . "AND duration = '0' AND by = current_user"),
		$n,
		"$tool: a baseline history row each, by the caller, in no time");
	is($node->safe_psql($db, 'SELECT count(*) FROM migrate_drift()'),
		0, "$tool: no drift: the schema as it is is the reference");
	is($node->safe_psql($db, 'SELECT migrate_apply()'),
		1, "$tool: the next migration applies with migrate_apply()");
	is($node->safe_psql($db, 'SELECT count(*) FROM migrate_drift()'),
		0, "$tool: still no drift after it");
	is(table_rows($db, $table), $before,
		"$tool: its table $table is as it was, row for row");
	my ($rc, $again) = $node->psql($db, "SELECT migrate_import('$tool')");
	isnt($rc, 0, "$tool: a second import is refused");
	return;
}

# a fresh database where migrate deploys the same migrations: its schema
# is the schema the tool made, plus the last migration
sub same_schema_as_deployed
{
	my ($tool, $db, $exclude, $expect, @m) = @_;
	my $scratch = "${db}_scratch";
	my $adopted = schema_without($db, $exclude);
	$node->safe_psql('postgres', "CREATE DATABASE $scratch");
	$node->safe_psql($scratch, 'CREATE EXTENSION migrate');
	$node->safe_psql($scratch, register_sql(@m));
	$node->safe_psql($scratch, 'SET client_min_messages = warning; CALL migrate_deploy()');
	is((grep { $adopted =~ /^[a-z ]+\|\Q$_\E\|/m } @$expect), scalar(@$expect),
		"$tool: the adopted schema holds what the migrations made");
	unlike($adopted, qr/$exclude/m, "$tool: without the tool's own objects");
	is($adopted, schema_without($scratch, $exclude),
		"$tool: the adopted schema is the one migrate makes from the same files");
	return;
}

sub tool_or_skip
{
	my ($var, $name) = @_;
	my $path = $ENV{$var};
	return $path if $path && -x $path;
	fail("$name is missing: $var is not set to it (test/run-tests.sh installs it)")
	  if $required;
	return undef;
}

# ---------------------------------------------------------------------------
# dbmate, for real
# ---------------------------------------------------------------------------

SKIP:
{
	my $dbmate = tool_or_skip('MIGRATE_DBMATE', 'dbmate');
	skip 'dbmate is not installed (MIGRATE_DBMATE)', 1 unless $dbmate;

	my @m = dbmate_migrations("$fixtures/dbmate/db/migrations");
	my $dir = "$tempdir/dbmate";
	make_path($dir);
	# dbmate runs every migration but the last
	copy("$fixtures/dbmate/db/migrations/$_.sql", "$dir/$_.sql") or die $!
	  for map { $_->{id} } @m[ 0 .. $#m - 1 ];
	$node->safe_psql('postgres', 'CREATE DATABASE dm');
	my $url = sprintf('postgres://%s@:%d/dm?socket=%s&sslmode=disable',
		$user, $node->port, $node->host);
	my @dbmate = ($dbmate, '--url', $url, '--migrations-dir', $dir, '--no-dump-schema');
	my ($rc, $out) = run_tool([ @dbmate, 'up' ]);
	is($rc, 0, 'dbmate: dbmate up ran the fixture migrations');
	is($node->safe_psql('dm', 'SELECT count(*) FROM public.schema_migrations'),
		scalar(@m) - 1, 'dbmate: its history lists them');

	adopt_ok(tool => 'dbmate', db => 'dm', table => 'public.schema_migrations',
		migrations => \@m);
	is($node->safe_psql('dm', "SELECT string_agg(email || ' ' || mood, ', ' ORDER BY email) FROM users"),
		'ann@example.com ok, bob@example.com ok',
		'dbmate: the seed rows, with the enum value dbmate added as their default');
	($rc, $out) = run_tool([ @dbmate, 'status' ]);
	is($rc, 0, 'dbmate: dbmate still reads its history');
	like($out, qr/\[X\] 20240105090000_create_active_users\.sql/,
		'dbmate: and finds its migrations applied');
	same_schema_as_deployed('dbmate', 'dm', '^public\.schema_migrations',
		[qw(public.active_users public.users_mood_idx public.users.mood public.mood)], @m);
}

# ---------------------------------------------------------------------------
# Sqitch, for real
# ---------------------------------------------------------------------------

SKIP:
{
	my $sqitch = tool_or_skip('MIGRATE_SQITCH', 'sqitch');
	skip 'sqitch is not installed (MIGRATE_SQITCH)', 1 unless $sqitch;

	my @m = sqitch_migrations("$fixtures/sqitch");
	my $dir = "$tempdir/sqitch";
	make_path("$dir/$_") for qw(deploy revert verify);
	for my $kind (qw(deploy revert verify))
	{
		copy("$fixtures/sqitch/$kind/$_", "$dir/$kind/$_") or die $!
		  for files_in("$fixtures/sqitch/$kind", qr/\.sql$/);
	}
	# Sqitch deploys every change but the last; psql is the one under test
	my @plan = split /\n/, slurp("$fixtures/sqitch/sqitch.plan");
	pop @plan;
	spew("$dir/sqitch.plan", join("\n", @plan) . "\n");
	spew("$dir/sqitch.conf",
		slurp("$fixtures/sqitch/sqitch.conf") . "[engine \"pg\"]\n\tclient = $bindir/psql\n");
	spew("$tempdir/sqitch-user.conf", '');
	my %env = (
		SQITCH_USER_CONFIG => "$tempdir/sqitch-user.conf",
		SQITCH_FULLNAME => 'Deploy Bot',
		SQITCH_EMAIL => 'deploy@example.com',
		HOME => $tempdir,
		PGHOST => $node->host,
		PGPORT => $node->port,
		PGUSER => $user);
	$node->safe_psql('postgres', 'CREATE DATABASE sq');
	my ($rc, $out) = run_tool([ $sqitch, 'deploy', '--verify', 'db:pg:sq' ],
		dir => $dir, env => \%env);
	is($rc, 0, 'sqitch: sqitch deploy ran and verified the fixture changes');
	is($node->safe_psql('sq', 'SELECT count(*) FROM sqitch.changes'),
		scalar(@m) - 1, 'sqitch: its registry lists them, the reworked change twice');

	adopt_ok(tool => 'sqitch', db => 'sq', table => 'sqitch.changes',
		migrations => \@m);
	($rc, $out) = run_tool([ $sqitch, 'status', 'db:pg:sq' ],
		dir => $dir, env => \%env);
	is($rc, 0, 'sqitch: sqitch still reads its registry');
	like($out, qr/Change:\s+\w+\n.*Name:\s+users/s, 'sqitch: and finds users deployed last');
	same_schema_as_deployed('sqitch', 'sq', '^sqitch(\.|$)',
		[qw(flipr.flips_nickname_idx flipr.users.twitter flipr.flips)], @m);
}

# ---------------------------------------------------------------------------
# graphile-migrate, for real
# ---------------------------------------------------------------------------

SKIP:
{
	my $gm = tool_or_skip('MIGRATE_GRAPHILE_MIGRATE', 'graphile-migrate');
	skip 'graphile-migrate is not installed (MIGRATE_GRAPHILE_MIGRATE)', 1
	  unless $gm;

	my @m = graphile_migrations("$fixtures/graphile-migrate");
	my $dir = "$tempdir/graphile";
	make_path("$dir/migrations/committed");
	my @files = files_in("$fixtures/graphile-migrate/migrations/committed", qr/\.sql$/);
	pop @files;
	copy("$fixtures/graphile-migrate/migrations/committed/$_",
		"$dir/migrations/committed/$_")
	  or die $!
	  for @files;
	$node->safe_psql('postgres', 'CREATE DATABASE gr');
	spew("$dir/.gmrc",
		sprintf(qq({ "connectionString": "postgres://%s\@localhost:%d/gr?host=%s" }\n),
			$user, $node->port, $node->host));
	my ($rc, $out) = run_tool([ $gm, 'migrate' ], dir => $dir);
	is($rc, 0, 'graphile-migrate: graphile-migrate migrate ran the committed migrations');
	is($node->safe_psql('gr', 'SELECT count(*) FROM graphile_migrate.migrations'),
		scalar(@m) - 1, 'graphile-migrate: its history lists them');

	adopt_ok(tool => 'graphile-migrate', db => 'gr',
		table => 'graphile_migrate.migrations', migrations => \@m);
	is($node->safe_psql('gr', "SELECT transactional FROM migrate_status() WHERE id = '000003-users-name-index'"),
		'f', 'graphile-migrate: a --! no-transaction migration is baselined too');
	same_schema_as_deployed('graphile-migrate', 'gr', '^graphile_migrate(\.|$)',
		[qw(public.app_users_name_idx public.app_users.nick public.app_users.name)], @m);
}

# ---------------------------------------------------------------------------
# golang-migrate, Flyway and diesel: the history tables as the tools make
# them (they cannot be installed here), after psql ran their migrations
# ---------------------------------------------------------------------------

# run the up scripts of migrations in db, each in its own transaction, as
# the tool does
sub run_ups
{
	my ($db, @m) = @_;
	for my $m (@m)
	{
		my $file = "$tempdir/up.sql";
		spew($file, $m->{up});
		my ($out, $err) = ('', '');
		IPC::Run::run([ "$bindir/psql", '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1',
				'-d', $node->connstr($db), '-f', $file ],
			'>', \$out, '2>', \$err)
		  or die "$m->{id}: $err";
	}
	return;
}

# golang-migrate's postgres driver: one row, TRUNCATE and INSERT after each
# migration (database/postgres/postgres.go, SetVersion)
{
	my @m = golang_migrations("$fixtures/golang-migrate");
	$node->safe_psql('postgres', 'CREATE DATABASE gm');
	$node->safe_psql('gm',
		'CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)');
	for my $m (@m[ 0 .. $#m - 1 ])
	{
		my ($version) = $m->{id} =~ /^(\d+)/;
		$node->safe_psql('gm',
			"BEGIN; TRUNCATE \"schema_migrations\"; INSERT INTO \"schema_migrations\" (version, dirty) VALUES ($version + 0, true); COMMIT;");
		run_ups('gm', $m);
		$node->safe_psql('gm',
			"BEGIN; TRUNCATE \"schema_migrations\"; INSERT INTO \"schema_migrations\" (version, dirty) VALUES ($version + 0, false); COMMIT;");
	}
	adopt_ok(tool => 'golang-migrate', db => 'gm',
		table => 'public.schema_migrations', migrations => \@m);
}

# Flyway (flyway-database-postgresql, createMetaDataTable.sql): one row per
# migration run, repeatable ones with version NULL
{
	my @m = flyway_migrations("$fixtures/flyway");
	$node->safe_psql('postgres', 'CREATE DATABASE fw');
	$node->safe_psql(
		'fw', q{
CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
});
	my $rank = 0;
	my $record = sub {
		my ($version, $description, $script) = @_;
		$rank++;
		$node->safe_psql('fw',
			sprintf(
				q{INSERT INTO "public"."flyway_schema_history" (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (%d, %s, '%s', 'SQL', '%s', %d, current_user, 3, true)},
				$rank, defined $version ? "'$version'" : 'NULL',
				$description, $script, 1000 + $rank));
	};
	for my $m (@m[ 0 .. $#m - 1 ])
	{
		run_ups('fw', $m);
		$record->($m->{id}, $m->{description}, $m->{file});
	}
	# the repeatable migration runs after the versioned ones
	run_ups('fw', { id => 'R__order_totals', up => slurp("$fixtures/flyway/R__order_totals.sql") });
	$record->(undef, 'order totals', 'R__order_totals.sql');
	adopt_ok(tool => 'flyway', db => 'fw',
		table => 'public.flyway_schema_history', migrations => \@m);
	is($node->safe_psql('fw', "SELECT id FROM migrate_status() WHERE state = 'applied' ORDER BY applied_at DESC, id DESC LIMIT 1"),
		'10', 'flyway: version 10 applies after 2, as Flyway orders them');
}

# diesel (diesel_migrations, setup_migration_table.sql): one row per
# migration run, the version without "-"
{
	my @m = diesel_migrations("$fixtures/diesel");
	$node->safe_psql('postgres', 'CREATE DATABASE ds');
	$node->safe_psql('ds',
		'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)');
	for my $m (@m[ 0 .. $#m - 1 ])
	{
		run_ups('ds', $m);
		(my $version = $m->{id}) =~ s/_.*//;
		$version =~ s/-//g;
		$node->safe_psql('ds',
			"INSERT INTO __diesel_schema_migrations (version) VALUES ('$version')");
	}
	adopt_ok(tool => 'diesel', db => 'ds',
		table => 'public.__diesel_schema_migrations', migrations => \@m);
}

$node->stop;
done_testing();
