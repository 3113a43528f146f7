"""whootd on PostgreSQL: a throwaway cluster of its own (scripts/pg-cluster.sh), the
daemon configured with `store` / `store_owner`, a real call through it, and raw SQL with
psql through the application's role, which row-level security confines."""

import asyncio
import os
import subprocess
import tempfile

import pytest

from conftest import REPO, daemon_configured
from peer import connected_pair

CLUSTER = os.path.join(REPO, "scripts", "pg-cluster.sh")


@pytest.fixture(scope="module")
def cluster():
    """The socket directory of a running throwaway cluster; stopped and removed after."""
    directory = tempfile.mktemp(prefix="whoot-pg.", dir="/tmp")
    subprocess.run([CLUSTER, "start", directory], check=True, capture_output=True, timeout=60)
    try:
        yield directory
    finally:
        subprocess.run([CLUSTER, "stop", directory], capture_output=True, timeout=60)


def uri(cluster: str, role: str, database: str) -> str:
    return f"postgresql://{role}@/{database}?host={cluster}"


def psql(cluster: str, role: str, database: str, *sql: str) -> list[str]:
    """Runs each statement in one session, in order; returns the output lines."""
    command = ["psql", uri(cluster, role, database), "-X", "-q", "-A", "-t",
               "-v", "ON_ERROR_STOP=1"]
    for statement in sql:
        command += ["-c", statement]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.fixture
def pg_daemon(cluster, tmp_path):
    """whootd on a fresh database of the cluster, with the seeded demo tenant."""
    database = "whoot_e2e_" + os.urandom(4).hex()
    psql(cluster, "whoot_owner", "postgres", f"CREATE DATABASE {database}")
    config = (f'store = "{uri(cluster, "whoot_app", database)}"\n'
              f'store_owner = "{uri(cluster, "whoot_owner", database)}"\n')
    with daemon_configured(config, tmp_path) as running:
        yield running, database


def test_call_and_admin_work_with_the_database_on_postgres(pg_daemon, cluster):
    daemon, database = pg_daemon
    assert not os.path.exists(os.path.join(daemon.state_dir, "whoot.db"))

    async def call():
        async with connected_pair(daemon.base_url, daemon.token("demo", "lobby", "alice"),
                                  daemon.token("demo", "lobby", "bob"), frames=50):
            pass

    asyncio.run(call())
    daemon.ctl("channel", "create", "--tenant", "demo", "--name", "backstage")
    verify = daemon.ctl("audit", "verify", "--tenant", "demo")
    assert "ok" in verify.stdout.lower(), verify.stdout

    demo = psql(cluster, "whoot_app", database, "SELECT id FROM tenants WHERE slug = 'demo'")[0]
    scoped = psql(cluster, "whoot_app", database,
                  "BEGIN", f"SELECT set_config('whoot.tenant', '{demo}', true)",
                  "SELECT name FROM channels ORDER BY name", "COMMIT")
    assert scoped[-2:] == ["backstage", "lobby"]


def test_raw_sql_through_the_application_role_sees_and_changes_nothing(pg_daemon, cluster):
    daemon, database = pg_daemon
    daemon.ctl("tenant", "create", "--slug", "other", "--name", "Other")
    other = psql(cluster, "whoot_app", database, "SELECT id FROM tenants WHERE slug = 'other'")[0]
    demo = psql(cluster, "whoot_app", database, "SELECT id FROM tenants WHERE slug = 'demo'")[0]

    def snapshot():
        return psql(cluster, "whoot_owner", database,
                    "BEGIN", f"SELECT set_config('whoot.tenant', '{demo}', true)",
                    "SELECT handle || ':' || role FROM members ORDER BY handle",
                    "SELECT name FROM channels ORDER BY name",
                    "SELECT count(*) FROM channel_assignments", "COMMIT")[1:]

    before = snapshot()
    assert len(before) >= 4, before

    # Forgetting the tenant: nothing visible, nothing changed.
    assert psql(cluster, "whoot_app", database,
                "SELECT count(*) FROM members", "SELECT count(*) FROM join_tokens",
                "SELECT count(*) FROM audit_events") == ["0", "0", "0"]
    psql(cluster, "whoot_app", database, "UPDATE members SET role = 'owner'",
         "DELETE FROM channel_assignments")

    # Naming another tenant's ids while scoped to one's own: no rows, no change.
    assert psql(cluster, "whoot_app", database,
                "BEGIN", f"SELECT set_config('whoot.tenant', '{other}', true)",
                f"SELECT count(*) FROM members WHERE tenant_id = {demo}",
                f"UPDATE members SET role = 'owner' WHERE tenant_id = {demo}",
                f"DELETE FROM channels WHERE tenant_id = {demo}",
                "COMMIT")[1:] == ["0"]
    assert snapshot() == before

    # Planting a row in another tenant is refused by the policy's WITH CHECK.
    planted = subprocess.run(
        ["psql", uri(cluster, "whoot_app", database), "-X", "-v", "ON_ERROR_STOP=1",
         "-c", "BEGIN", "-c", f"SELECT set_config('whoot.tenant', '{other}', true)",
         "-c", f"INSERT INTO channels (tenant_id, name, created_at_ms) "
               f"VALUES ({demo}, 'planted', 0)"],
        capture_output=True, text=True, timeout=30)
    assert planted.returncode != 0 and "row-level security" in planted.stderr
