# Describing the schema while other sessions change it (SPEC §14): three
# sessions create and drop tables with indexes, constraints and views,
# routines, types, domains and policies, materialized views, sequences and
# triggers, and add and drop columns, each iteration committed, while the
# main session calls migrate_schema(), migrate_fingerprint(),
# migrate_drift(), and migrate_describe_json() (the structured description,
# with each object's dependencies) and migrate_diff() over and over.  No call may fail (the PL/pgSQL version of
# 0.2 failed with "cache lookup failed" and the like, XX000), no DDL may
# fail, and the DDL must go on while the calls run.
#
# Every loop has a fixed number of iterations; nothing here is timed.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# iterations of each churning session, and calls of each function
my $iterations = 600;
my $calls = 200;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(extra => [ '--locale=C', '--encoding=UTF8' ]);
$node->start;

# Each session churns on relations of its own, so that the sessions cannot
# deadlock with one another: only the describing session meets them all.
$node->safe_psql(
	'postgres', q{
SET client_min_messages = warning;
CREATE EXTENSION migrate;
CREATE TABLE churn_log (session text, i int);
CREATE TABLE base_t (id int PRIMARY KEY, v text);
CREATE TABLE base_r (id int PRIMARY KEY, v text);
ALTER TABLE base_r ENABLE ROW LEVEL SECURITY;
CREATE TABLE fact_v (id int PRIMARY KEY, x int);

-- tables with a key, a default, a CHECK, a foreign key, an expression and
-- partial index and a view; a column added and dropped; the previous
-- iteration's table dropped with its view (CASCADE)
CREATE PROCEDURE churn_tables(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE TABLE ct_%s (id int PRIMARY KEY, v text NOT NULL DEFAULT %L CHECK (v <> %L), b int REFERENCES base_t (id))', i, 'x', '');
        EXECUTE format('CREATE INDEX ct_%s_v ON ct_%s (lower(v)) WHERE b > 0', i, i);
        EXECUTE format('CREATE VIEW cv_%s AS SELECT t.id, t.v, b.v AS bv FROM ct_%s t JOIN base_t b ON b.id = t.b', i, i);
        COMMIT;
        EXECUTE format('ALTER TABLE ct_%s ADD COLUMN extra int DEFAULT %s', i, i);
        COMMIT;
        IF i > 1 THEN
            EXECUTE format('DROP TABLE ct_%s CASCADE', i - 1);
        END IF;
        INSERT INTO churn_log VALUES ('tables', i);
        COMMIT;
        EXECUTE format('ALTER TABLE ct_%s DROP COLUMN extra', i);
        COMMIT;
    END LOOP;
END
$$;

-- routines (one with an SQL body), enums, composite types, domains with
-- constraints, policies; the previous iteration's dropped
CREATE PROCEDURE churn_routines(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE FUNCTION cf_%s(x int) RETURNS int LANGUAGE sql IMMUTABLE AS %L', i, 'SELECT x + 1');
        EXECUTE format('CREATE FUNCTION cfa_%s(x int) RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) + x FROM base_r; END', i);
        EXECUTE format('CREATE TYPE ce_%s AS ENUM (%L, %L)', i, 'a', 'b');
        EXECUTE format('CREATE TYPE cc_%s AS (a int, b text)', i);
        EXECUTE format('CREATE DOMAIN cd_%s AS int CONSTRAINT cd_%s_pos CHECK (VALUE > 0)', i, i);
        EXECUTE format('CREATE POLICY cp_%s ON base_r USING (id > %s)', i, i);
        COMMIT;
        EXECUTE format('ALTER DOMAIN cd_%s ADD CONSTRAINT cd_%s_small CHECK (VALUE < 1000)', i, i);
        COMMIT;
        IF i > 1 THEN
            EXECUTE format('DROP POLICY cp_%s ON base_r', i - 1);
            EXECUTE format('DROP FUNCTION cf_%s(int), cfa_%s(int)', i - 1, i - 1);
            EXECUTE format('DROP TYPE ce_%s, cc_%s', i - 1, i - 1);
            EXECUTE format('DROP DOMAIN cd_%s', i - 1);
        END IF;
        INSERT INTO churn_log VALUES ('routines', i);
        COMMIT;
        EXECUTE format('ALTER DOMAIN cd_%s DROP CONSTRAINT cd_%s_small', i, i);
        COMMIT;
    END LOOP;
END
$$;

-- views and materialized views (with an index), sequences, triggers and
-- indexed columns on one table; the previous iteration's dropped
CREATE PROCEDURE churn_views(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE VIEW cvf_%s AS SELECT f.id, f.x FROM fact_v f WHERE f.x > %s', i, i);
        EXECUTE format('CREATE MATERIALIZED VIEW cm_%s AS SELECT count(*) AS n FROM fact_v', i);
        EXECUTE format('CREATE INDEX cm_%s_n ON cm_%s (n)', i, i);
        EXECUTE format('CREATE SEQUENCE cs_%s', i);
        EXECUTE format('CREATE TRIGGER ctr_%s BEFORE UPDATE ON fact_v FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()', i);
        COMMIT;
        EXECUTE format('ALTER TABLE fact_v ADD COLUMN c_%s int DEFAULT %s', i, i);
        EXECUTE format('CREATE INDEX fact_v_c_%s ON fact_v (c_%s)', i, i);
        COMMIT;
        IF i > 1 THEN
            EXECUTE format('DROP VIEW cvf_%s', i - 1);
            EXECUTE format('DROP MATERIALIZED VIEW cm_%s', i - 1);
            EXECUTE format('DROP SEQUENCE cs_%s', i - 1);
            EXECUTE format('DROP TRIGGER ctr_%s ON fact_v', i - 1);
            EXECUTE format('ALTER TABLE fact_v DROP COLUMN c_%s', i - 1);
        END IF;
        INSERT INTO churn_log VALUES ('views', i);
        COMMIT;
    END LOOP;
END
$$;
});

# That DDL already made the schema drift, so the churning sessions' event
# triggers only find it recorded; the calls below describe it each time.
my @sessions = qw(tables routines views);
my %churn;
foreach my $s (@sessions)
{
	$churn{$s} = $node->background_psql('postgres', on_error_stop => 0);
	$churn{$s}->query_until(qr/churning $s/,
		"SET client_min_messages = warning;\n"
		  . "\\echo churning $s\nCALL churn_$s($iterations);\n");
}

# the calls start once every session has committed an iteration
$node->poll_query_until('postgres',
	"SELECT count(DISTINCT session) = 3 FROM churn_log")
  or die "the churning sessions did not start";
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM churn_log');

my $script = '';
foreach my $i (1 .. $calls)
{
	$script .=
	    "SELECT 'schema ' || count(*) FILTER (WHERE definition LIKE 'not described:%') FROM migrate_schema();\n"
	  . "SELECT 'fingerprint ' || length(migrate_fingerprint());\n"
	  . "SELECT 'drift ' || (count(*) >= 0) FROM migrate_drift();\n"
	  . "SELECT 'json ' || (jsonb_array_length(d->'objects') > 0) || ' diff ' || "
	  . "(SELECT count(*) >= 0 FROM migrate_diff(d, d)) FROM (SELECT migrate_describe_json() AS d) s;\n";
}
my ($ret, $out, $err) =
  $node->psql('postgres', $script, on_error_stop => 0);
my $during = $node->safe_psql('postgres', 'SELECT count(*) FROM churn_log');

my @errors = $err =~ /^.*ERROR:.*$/mg;
is(scalar(@errors), 0, 'no call failed while other sessions ran DDL')
  or diag(join("\n", @errors[ 0 .. ($#errors < 9 ? $#errors : 9) ]));
my @lines = split /\n/, $out;
is(scalar(grep { /^schema \d+$/ } @lines),
	$calls, "migrate_schema() answered $calls times");
is(scalar(grep { /^fingerprint 64$/ } @lines),
	$calls, "migrate_fingerprint() answered $calls times");
is(scalar(grep { /^drift true$/ } @lines),
	$calls, "migrate_drift() answered $calls times");
is(scalar(grep { /^json true diff true$/ } @lines),
	$calls, "migrate_describe_json() and migrate_diff() answered $calls times");
my $busy = 0;
$busy += $_ foreach map { /^schema (\d+)$/ ? $1 : 0 } @lines;
note("objects described as busy, over all calls: $busy");
note("iterations committed before the calls: $before, when they ended: $during, "
	  . "in all: " . (3 * $iterations));
cmp_ok($during, '>', $before,
	'the other sessions went on with their DDL during the calls');

# the churn was real: each session ran all its iterations, without an error
foreach my $s (@sessions)
{
	my $n = $churn{$s}
	  ->query("SELECT count(*) FROM churn_log WHERE session = '$s'");
	is($churn{$s}->{stderr}, '', "session $s: no DDL failed");
	is($n, $iterations, "session $s ran its $iterations iterations");
	$churn{$s}->quit;
}

# and once it is over, the description is complete again
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM migrate_schema() WHERE definition LIKE 'not described:%'"
	),
	'0',
	'nothing is busy once the other sessions are done');

$node->stop;
done_testing();
