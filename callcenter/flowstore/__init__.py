"""Versions of IVR flows in the database: drafts, human diffs, publishing and rollback."""
