"""Database triggers that make the audit table append-only (installed by core migration 0002)."""

SQLITE_NO_UPDATE = """
CREATE TRIGGER IF NOT EXISTS core_auditrecord_no_update BEFORE UPDATE ON core_auditrecord
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""
SQLITE_NO_DELETE = """
CREATE TRIGGER IF NOT EXISTS core_auditrecord_no_delete BEFORE DELETE ON core_auditrecord
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
"""

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION core_auditrecord_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('openmsp.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER core_auditrecord_guard BEFORE UPDATE OR DELETE ON core_auditrecord
FOR EACH ROW EXECUTE FUNCTION core_auditrecord_guard()
"""

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditrecord_no_update",
    "DROP TRIGGER IF EXISTS core_auditrecord_no_delete",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_auditrecord_guard ON core_auditrecord",
    "DROP FUNCTION IF EXISTS core_auditrecord_guard()",
]
