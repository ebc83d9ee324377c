"""PostgreSQL row-level security for tenant tables: the second wall behind ORM scoping.

A migration that creates a tenant-owned table calls `enable_tenant_rls(op, "table")`. A test
checks that every TenantOwned table has it.
"""

POLICY = (
    "current_setting('amparo.across_tenants', true) = 'on' "
    "OR tenant_id = NULLIF(current_setting('amparo.tenant_id', true), '')::integer"
)


def ensure_app_role(op, role: str) -> None:
    """The role the app switches to on connect: not a superuser, so RLS applies to it."""
    if not role:
        return
    quoted = '"' + role.replace('"', '""') + '"'
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {quoted} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT {quoted} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}"
    )


def enable_tenant_rls(op, table: str, policy: str = POLICY) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({policy}) WITH CHECK ({policy})")


# A TenantOrPlatformOwned table (emails): a NULL tenant_id is the platform's row, seen and
# written only with no tenant set, as the ORM scoping does; `IS NOT DISTINCT FROM` makes NULL
# match NULL. The ORM's own `tenant_id = :t` still uses the index.
PLATFORM_OR_TENANT_POLICY = (
    "current_setting('amparo.across_tenants', true) = 'on' "
    "OR tenant_id IS NOT DISTINCT FROM "
    "NULLIF(current_setting('amparo.tenant_id', true), '')::integer"
)


def disable_tenant_rls(op, table: str) -> None:
    op.execute(f"DROP POLICY tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
