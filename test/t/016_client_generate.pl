# Generating migrations with the client (SPEC §13): a small application's
# schema, kept as one SQL file, evolves in five steps.  At each step
# pg_migrate generate writes the migration from the database's schema to
# the file's, proves it on a scratch database (down gives the database's
# schema, migrate_verify() passes, up gives the desired schema), and shows
# migrate_plan(); pg_migrate deploy applies it to the database, which holds
# rows; and the database's fingerprint must then be that of a database
# built from the file alone.  Then the steps are undone one by one with
# their down scripts, each compared with the schema of the step before,
# and deployed again.
use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use ClientTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('generate');
$node->safe_psql('postgres', 'CREATE ROLE app_reader');
my $app = fresh_db($node, 'app');
my $tmp = PostgreSQL::Test::Utils::tempdir('generate');
my $dir = "$tmp/migrations";

# the schema file of each step
my @schema;
$schema[1] = q{
CREATE TYPE role AS ENUM ('member', 'staff');
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  role role NOT NULL DEFAULT 'member'
);
};
# a column with a default, a table referencing another, an index, a view,
# an enum value
$schema[2] = q{
CREATE TYPE role AS ENUM ('member', 'staff', 'admin');
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  role role NOT NULL DEFAULT 'member',
  created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users,
  amount numeric(10,2) NOT NULL CHECK (amount >= 0)
);
CREATE INDEX orders_user_id ON orders (user_id);
CREATE VIEW order_totals AS SELECT user_id, sum(amount) AS total FROM orders GROUP BY user_id;
};
# a column and its unique constraint renamed (given, never guessed), a
# column with a volatile default on a table with rows, an index on it, a
# comment, row-level security, a policy, a grant
$schema[3] = q{
CREATE TYPE role AS ENUM ('member', 'staff', 'admin');
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login text NOT NULL UNIQUE,
  role role NOT NULL DEFAULT 'member',
  created timestamptz NOT NULL DEFAULT now(),
  token uuid NOT NULL DEFAULT gen_random_uuid()
);
COMMENT ON TABLE users IS 'who may log in';
CREATE INDEX users_login_lower ON users (lower(login));
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users,
  amount numeric(10,2) NOT NULL CHECK (amount >= 0),
  note text
);
CREATE INDEX orders_user_id ON orders (user_id);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT TO app_reader USING (user_id > 0);
CREATE VIEW order_totals AS SELECT user_id, sum(amount) AS total FROM orders GROUP BY user_id;
GRANT SELECT ON order_totals TO app_reader;
};
# a column's type changes under a view that reads it; a function used by
# a new column's (volatile) default; a trigger
$schema[4] = q{
CREATE TYPE role AS ENUM ('member', 'staff', 'admin');
CREATE FUNCTION next_ref() RETURNS text LANGUAGE sql AS $$SELECT 'R' || floor(random() * 1000000)::text$$;
CREATE FUNCTION touch_order() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login text NOT NULL UNIQUE,
  role role NOT NULL DEFAULT 'member',
  created timestamptz NOT NULL DEFAULT now(),
  token uuid NOT NULL DEFAULT gen_random_uuid()
);
COMMENT ON TABLE users IS 'who may log in';
CREATE INDEX users_login_lower ON users (lower(login));
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users,
  amount numeric(14,2) NOT NULL CHECK (amount >= 0),
  note text,
  ref text DEFAULT next_ref()
);
CREATE INDEX orders_user_id ON orders (user_id);
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_order();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT TO app_reader USING (user_id > 0);
CREATE VIEW order_totals AS SELECT user_id, sum(amount) AS total FROM orders GROUP BY user_id;
GRANT SELECT ON order_totals TO app_reader;
};
# a table renamed (its constraints, index and sequence keep their names),
# a column dropped, an enum that loses a value, an index dropped: what
# destroys data is written only with --allow-drop
$schema[5] = q{
CREATE TYPE role AS ENUM ('member', 'admin');
CREATE FUNCTION next_ref() RETURNS text LANGUAGE sql AS $$SELECT 'R' || floor(random() * 1000000)::text$$;
CREATE FUNCTION touch_order() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login text NOT NULL UNIQUE,
  role role NOT NULL DEFAULT 'member',
  token uuid NOT NULL DEFAULT gen_random_uuid()
);
COMMENT ON TABLE users IS 'who may log in';
CREATE TABLE purchases (
  id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME orders_id_seq),
  user_id bigint NOT NULL,
  amount numeric(14,2) NOT NULL,
  note text,
  ref text DEFAULT next_ref(),
  CONSTRAINT orders_pkey PRIMARY KEY (id),
  CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users,
  CONSTRAINT orders_amount_check CHECK (amount >= 0)
);
CREATE INDEX orders_user_id ON purchases (user_id);
CREATE TRIGGER orders_touch BEFORE INSERT ON purchases FOR EACH ROW EXECUTE FUNCTION touch_order();
ALTER TABLE purchases ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON purchases FOR SELECT TO app_reader USING (user_id > 0);
CREATE VIEW order_totals AS SELECT user_id, sum(amount) AS total FROM purchases GROUP BY user_id;
GRANT SELECT ON order_totals TO app_reader;
};

# what each step passes besides, and the rows the application writes after
my @name = (undef, 'users', 'orders', 'login_token', 'amount_ref', 'purchases');
my @options = (
	undef, [], [],
	[ '--rename', 'column:users.email=login', '--rename', 'constraint:users.users_email_key=users_login_key' ],
	[],
	[ '--rename', 'table:orders=purchases', '--allow-drop' ]);
my @rows = (
	undef,
	q{INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 500) g},
	q{INSERT INTO orders (user_id, amount) SELECT 1 + g % 500, g FROM generate_series(1, 2000) g;
	  UPDATE users SET role = 'admin' WHERE id % 10 = 0},
	q{INSERT INTO users (login) VALUES ('late@example.com')},
	q{INSERT INTO orders (user_id, amount) VALUES (1, 1.5)},
	q{INSERT INTO purchases (user_id, amount) VALUES (2, 2.5)});

# the fingerprint of a database built from schema N alone
my @fingerprint = ($node->safe_psql('app', 'SELECT migrate_fingerprint()'));
my @shape;
foreach my $n (1 .. 5)
{
	write_file("$tmp/schema$n.sql", $schema[$n]);
	fresh_db($node, "ref$n");
	$node->safe_psql("ref$n", $schema[$n]);
	$fingerprint[$n] = $node->safe_psql("ref$n", 'SELECT migrate_fingerprint()');
}

# migrate_schema() without the columns' positions, for a down script that
# adds a column back at the end
sub shape
{
	my ($db) = @_;
	return $node->safe_psql(
		$db, q{
		SELECT kind || ' ' || identity || ': ' || regexp_replace(definition, '^position \d+; ', '')
		  FROM migrate_schema() ORDER BY kind COLLATE "C", identity COLLATE "C"});
}
$shape[0] = shape('app');
$shape[$_] = shape("ref$_") foreach 1 .. 5;

# step 5 without --allow-drop first: what destroys data is written as a
# comment, the proof says the up script falls short, the files are there
{
	my ($ret, $out, $err);
	foreach my $n (1 .. 4)
	{
		my $id = sprintf('%04d_%s', $n, $name[$n]);

		($ret, $out, $err) = run_pgm('-D', $dir, 'generate', $id,
			'--schema', "$tmp/schema$n.sql", @{ $options[$n] }, $app);
		is($ret, 0, "step $n: generate") or diag($err);
		like($out,
			qr/^proven on the scratch database: the down script gives the database's schema: yes; migrate_verify\(\): ok; the up script gives the desired schema: yes$/m,
			"step $n: proven on the scratch database");
		like($out, qr/^migrate_plan\(\) of \Q$id\E on database "app":$/m, "step $n: the plan shown");
		($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', $app);
		is($ret, 0, "step $n: deploy") or diag($err);
		is($node->safe_psql('app', 'SELECT migrate_fingerprint()'), $fingerprint[$n],
			"step $n: the database's schema is the one the file makes");
		$node->safe_psql('app', $rows[$n]);
	}
	is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname LIKE 'pg_migrate_generate_%'}),
		'0', 'the scratch databases are dropped');

	my @no_drop = grep { $_ ne '--allow-drop' } @{ $options[5] };
	($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0005_purchases',
		'--schema', "$tmp/schema5.sql", @no_drop, $app);
	is($ret, 3, 'step 5 without --allow-drop: generate finds the up script short');
	like($out, qr/the up script gives the desired schema: NO$/m,
		'step 5 without --allow-drop: the up script does not give the desired schema');
	like(slurp_file("$dir/0005_purchases.up.sql"),
		qr/^-- not written, allow_drop => true writes it: ALTER TABLE public.users DROP COLUMN created;$/m,
		'step 5 without --allow-drop: the column drop is a comment in the file');
	like($err, qr/^pg_migrate: hint: The files are written for review/m,
		'step 5 without --allow-drop: the files are written for review');
	unlink "$dir/0005_purchases.up.sql", "$dir/0005_purchases.down.sql";
}

# the files: what the layout reads of them
{
	my $up2 = slurp_file("$dir/0002_orders.up.sql");
	like($up2, qr/\A-- description: generated from schema2\.sql\n/,
		'step 2: a transactional migration, described');
	like($up2, qr/^CREATE INDEX orders_user_id ON public\.orders/m,
		'step 2: the index on a new table is built at once');
	like($up2, qr/^CREATE TABLE public\.orders \(.*^ALTER TABLE public\.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY \(user_id\) REFERENCES public\.users\(id\);$/ms,
		'step 2: the foreign key after the table it belongs to');
	unlike($up2, qr/^-- data_loss_ok/m, 'step 2: destroys no data');
	my $up3 = slurp_file("$dir/0003_login_token.up.sql");
	like($up3, qr/\A-- morph:nontransactional\n-- description: generated from schema3\.sql\n/,
		'step 3: a non-transactional migration (an index built concurrently), described');
	like($up3, qr/^CREATE INDEX CONCURRENTLY users_login_lower ON public\.users/m,
		'step 3: the index on a table with rows is built concurrently');
	like($up3, qr/^ALTER TABLE public\.users RENAME COLUMN email TO login;$/m, 'step 3: the rename given is a RENAME');
	like($up3, qr/^UPDATE public\.users SET token = DEFAULT WHERE token IS NULL;$/m,
		'step 3: the volatile default fills the existing rows without a rewrite');
	my $up4 = slurp_file("$dir/0004_amount_ref.up.sql");
	like($up4, qr/^DROP VIEW public\.order_totals;\n.*^ALTER TABLE public\.orders ALTER COLUMN amount TYPE numeric\(14,2\);\n.*^CREATE VIEW public\.order_totals AS\n/ms,
		'step 4: the view is dropped and made again around the type change');
	like($up4, qr/^CREATE OR REPLACE FUNCTION public\.next_ref\(\).*^ALTER TABLE public\.orders ADD COLUMN ref text;$/ms,
		'step 4: the function a default calls comes before the column');
}

# step 5, with --allow-drop
{
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0005_purchases',
		'--schema', "$tmp/schema5.sql", @{ $options[5] }, $app);
	is($ret, 0, 'step 5: generate') or diag($err);
	like($out,
		qr/^proven on the scratch database: the down script gives the database's schema: yes, but for the order of columns; migrate_verify\(\): ok; the up script gives the desired schema: yes$/m,
		'step 5: proven, the column dropped going back at the end of its table');
	my $up5 = slurp_file("$dir/0005_purchases.up.sql");
	like($up5, qr/^-- data_loss_ok: true$/m, 'step 5: marked data_loss_ok: it destroys data');
	like($up5, qr/^ALTER TABLE public\.orders RENAME TO purchases;$/m, 'step 5: the table renamed');
	like($up5, qr/^ALTER TYPE public\.role RENAME TO role_migrate_old;$/m, 'step 5: the enum rewritten');
	($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', $app);
	is($ret, 0, 'step 5: deploy') or diag($err);
	is($node->safe_psql('app', 'SELECT migrate_fingerprint()'), $fingerprint[5],
		"step 5: the database's schema is the one the file makes");
	$node->safe_psql('app', $rows[5]);
	is($node->safe_psql('app', q{SELECT count(*) FILTER (WHERE token IS NULL) || ' ' || count(*) FILTER (WHERE role = 'admin') FROM users}),
		'0 50', 'the rows went through: every user has a token, the admins are admins');
	is($node->safe_psql('app', 'SELECT count(*) FROM purchases'), '2002', 'the orders are the purchases');
}

# back, one step at a time, by the down scripts, and forth again
foreach my $n (reverse 1 .. 5)
{
	# step 2 added the enum value admin, which users hold: not any more
	$node->safe_psql('app', q{UPDATE users SET role = 'member' WHERE role = 'admin'}) if $n == 2;
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'undeploy', '-1', '--allow-data-loss', $app);
	is($ret, 0, "undo step $n") or diag($err);
	is(shape('app'), $shape[$n - 1], "undo step $n: the schema of step " . ($n - 1) . ' (column order aside)');
}
{
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', $app);
	is($ret, 0, 'deploy every step again') or diag($err);
	is($node->safe_psql('app', 'SELECT migrate_fingerprint()'), $fingerprint[5],
		'deployed again: the schema of step 5');
}

# nothing left to generate: nothing is written; with --json, one object
{
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0006_nothing', '--json',
		'--schema', "$tmp/schema5.sql", $app);
	is($ret, 0, 'the schema is the desired one: generate succeeds');
	my $j = json_of($out);
	is_deeply([ $j->{command}, $j->{id}, scalar(@{ $j->{up} }), $j->{exit_status} ],
		[ 'generate', '0006_nothing', 0, 0 ], 'generate --json: no statement');
	ok(!-e "$dir/0006_nothing.up.sql", 'nothing to generate: no file written');
}

# a migration of the directory not deployed yet: said, since the new one
# is written from the database's schema as it is
{
	write_file("$dir/0006_pending.up.sql", "CREATE TABLE pending_t (a int);\n");
	my ($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0007_x',
		'--schema', "$tmp/schema5.sql", $app);
	is($ret, 0, 'a migration not deployed yet: generate');
	like($err, qr/^pg_migrate: warning: 1 migration of ".*" is not applied to database "app": the new one is written from its schema as it is$/m,
		'a migration not deployed yet: said');
	unlink "$dir/0006_pending.up.sql";
}

# the command line
{
	my ($ret, $out, $err) = run_pgm('generate', '0006_x', $app);
	is($ret, 2, 'generate without --schema: bad usage');
	like($err, qr/generate needs the files of the desired schema: --schema FILE\.\.\./, 'generate without --schema: says why');
	($ret, $out, $err) = run_pgm('-D', $dir, 'deploy', '--allow-drop', $app);
	is($ret, 2, '--allow-drop with deploy: bad usage');
	($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0001_users', '--schema', "$tmp/schema1.sql", $app);
	is($ret, 1, 'an id the directory has already: refused');
	like($err, qr/migration "0001_users" exists already/, 'an id the directory has already: says so');
	($ret, $out, $err) = run_pgm('-D', $dir, 'generate', '0006_x', '--schema', "$tmp/schema5.sql",
		'--rename', 'view:order_totals=x', $app);
	is($ret, 1, 'a rename of a kind that is not renamed: refused by the server');
	like($err, qr/invalid rename "view:order_totals=x"/, 'a bad rename: the server says why');
	ok(!-e "$dir/0006_x.up.sql", 'a bad rename: nothing written');
}

$node->stop;
done_testing();
