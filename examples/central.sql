-- The central store's roles, with least privilege (fetchipac(8),
-- CENTRAL STORE).  Run it once as the owner of the ipac database, after
-- the first shipment made the schema (ship once from any router with a
-- "central store" URI whose user owns the database):
--
--	psql -d ipac -f central.sql
--
-- Then, for each router, a role named as its host (ipac-settings.conf
-- "hostname"), member of ipac_routers, with a password in the router's
-- ~/.pgpass (or passfile=), never in the URI:
--
--	CREATE ROLE "gw1" LOGIN PASSWORD '...' IN ROLE ipac_routers;
--
-- and for the reports (ipacsum -d postgresql://reports@.../ipac):
--
--	CREATE ROLE reports LOGIN PASSWORD '...' IN ROLE ipac_readers;
--
-- A router's role sees and writes its own host's rows only (row level
-- security on every table), and cannot make, drop or change tables;
-- the samples' day partitions are made by ipac_sample_days(), which
-- runs as the owner.  Readers read everything and write nothing.
--
-- SPDX-License-Identifier: GPL-2.0-or-later

CREATE ROLE ipac_routers NOLOGIN;
CREATE ROLE ipac_readers NOLOGIN;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ipac_routers, ipac_readers;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO ipac_readers;

GRANT SELECT ON meta TO ipac_routers;
GRANT SELECT, INSERT, UPDATE ON host, rule, run, sample, hourly, daily,
	monthly, ruleset, session TO ipac_routers;
GRANT SELECT, INSERT, UPDATE, DELETE ON gap TO ipac_routers;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ipac_routers;
GRANT EXECUTE ON FUNCTION ipac_sample_days(bigint, bigint) TO ipac_routers;

-- A router's own host: the one named as its role.
ALTER TABLE host ENABLE ROW LEVEL SECURITY;
CREATE POLICY router ON host TO ipac_routers
	USING (name = current_user) WITH CHECK (name = current_user);
CREATE POLICY reader ON host FOR SELECT TO ipac_readers USING (true);

CREATE FUNCTION ipac_own_host() RETURNS bigint LANGUAGE sql STABLE
	AS $$ SELECT id FROM host WHERE name = current_user $$;

DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['rule', 'run', 'sample', 'hourly', 'daily',
	    'monthly', 'gap', 'ruleset', 'session'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY router ON %I TO ipac_routers '
		    'USING (host_id = ipac_own_host()) '
		    'WITH CHECK (host_id = ipac_own_host())', t);
		EXECUTE format('CREATE POLICY reader ON %I FOR SELECT '
		    'TO ipac_readers USING (true)', t);
	END LOOP;
END $$;
