"""The reads on the screen-pop path: who is calling, and their history as one JSON document.

The screen-pop reads a caller's history on every ringing call, so these reads are built for
latency: a single round trip each, no ORM objects, every part served by an index led by
``customer_id`` (or ``contact_id`` / ``case_id``). The database assembles the document
(SQLite ``json_object``/``json_group_array``, PostgreSQL ``json_build_object``/``json_agg``);
Python only parses it and restores the types JSON cannot carry (timestamps, booleans).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter.contacts.models import Callback, Case, Contact, Customer, Identity, Note
from callcenter.db import JSON_TYPES, UTCDateTime


class _Dialect:
    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def obj(self, pairs: list[str]) -> str:
        return ("json_object(" if self.sqlite else "json_build_object(") + ", ".join(pairs) + ")"

    def array(self, element: str, source: str, order: str) -> str:
        """A JSON array of ``element`` over the rows of ``source`` (alias ``r``), in ``order``."""
        if self.sqlite:
            return f"(SELECT json_group_array({element}) FROM (SELECT * FROM {source} ORDER BY {order}) r)"
        return f"(SELECT COALESCE(json_agg({element} ORDER BY {order}), '[]'::json) FROM {source} r)"

    def param(self, name: str, sql_type: str) -> str:
        return f":{name}" if self.sqlite else f"CAST(:{name} AS {sql_type})"

    def fields(self, table: Table, alias: str, extra: list[str] | None = None) -> str:
        pairs = []
        for column in table.columns:
            value = f"{alias}.{column.name}"
            if self.sqlite and isinstance(column.type, JSON_TYPES):
                value = f"json({value})"
            pairs += [f"'{column.name}'", value]
        return self.obj(pairs + (extra or []))


def _contact_source(d: _Dialect) -> str:
    before_ts, before_id = d.param("before_ts", "TIMESTAMPTZ"), d.param("before_id", "INTEGER")
    order = "started_at DESC, id DESC"
    return (
        f"(SELECT * FROM contacts WHERE customer_id = :cid AND ({before_id} IS NULL OR "
        f"(started_at, id) < ({before_ts}, {before_id})) ORDER BY {order} LIMIT :lim)"
    )


@cache
def history_statement(dialect_name: str) -> TextClause:
    d = _Dialect(dialect_name)
    viewer = d.param("viewer", "INTEGER")
    visible = f"({viewer} IS NULL OR private = {'0' if d.sqlite else 'false'} OR author_id = {viewer})"
    identities = d.array(d.fields(Identity.__table__, "r"), "(SELECT * FROM identities WHERE customer_id = c.id)", "id")
    customer_fields = d.fields(Customer.__table__, "c", ["'identities'", identities])
    customer = f"(SELECT {customer_fields} FROM customers c WHERE c.id = :cid)"
    notes_of_contact = d.array(
        d.fields(Note.__table__, "r"), f"(SELECT * FROM notes WHERE contact_id = k.id AND {visible})", "id"
    )
    contact = d.fields(Contact.__table__, "r", ["'notes'", notes_of_contact.replace("k.id", "r.id")])
    contacts = d.array(contact, _contact_source(d), "started_at DESC, id DESC")
    first_page = d.param("before_id", "INTEGER") + " IS NULL"
    customer_notes = d.array(
        d.fields(Note.__table__, "r"),
        f"(SELECT * FROM notes WHERE customer_id = :cid AND contact_id IS NULL AND {visible} AND {first_page} "
        "ORDER BY created_at DESC, id DESC LIMIT 20)",
        "created_at DESC, id DESC",
    )
    linked = d.array("r.contact_id", "(SELECT * FROM case_contacts WHERE case_id = cs.id)", "contact_id")
    case = d.fields(Case.__table__, "r", ["'contact_ids'", linked.replace("cs.id", "r.id")])
    cases = d.array(
        case, "(SELECT * FROM cases WHERE customer_id = :cid AND status IN ('open', 'pending'))", "reply_due_at, id"
    )
    callbacks = d.array(
        d.fields(Callback.__table__, "r"),
        "(SELECT * FROM callbacks WHERE customer_id = :cid AND status = 'pending')",
        "window_start, id",
    )
    document = d.obj(
        [
            "'customer'",
            customer,
            "'contacts'",
            contacts,
            "'customer_notes'",
            customer_notes,
            "'open_cases'",
            cases,
            "'pending_callbacks'",
            callbacks,
        ]
    )
    return text(f"SELECT {document}")


def _restorers(table: Table) -> tuple[frozenset[str], frozenset[str]]:
    times = frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))
    flags = frozenset(c.name for c in table.columns if isinstance(c.type, Boolean))
    return times, flags


_TYPES = {
    name: _restorers(model.__table__)
    for name, model in {
        "customer": Customer,
        "identity": Identity,
        "contact": Contact,
        "note": Note,
        "case": Case,
        "callback": Callback,
    }.items()
}


def _restore(row: dict[str, Any], kind: str) -> dict[str, Any]:
    times, flags = _TYPES[kind]
    for name in times:
        value = row[name]
        if value is not None:
            moment = datetime.fromisoformat(value)
            row[name] = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    for name in flags:
        row[name] = bool(row[name])
    return row


_CUSTOMER_BY_IDENTITY = text(
    "SELECT c.id, c.merged_into_id FROM identities i JOIN customers c ON c.id = i.customer_id "
    "WHERE i.kind = :kind AND i.value = :value"
)


def _dialect(db: AsyncSession | AsyncConnection) -> str:
    return db.bind.dialect.name if isinstance(db, AsyncSession) else db.dialect.name


@cache
def _sql(statement: TextClause) -> str:
    return str(statement)


async def _first_row(db: AsyncSession | AsyncConnection, statement: TextClause, params: dict[str, Any]) -> Any:
    if isinstance(db, AsyncConnection) and _dialect(db) == "sqlite":
        # On a held connection, hand the whole read to aiosqlite's thread at once: one thread hop
        # instead of three (execute, fetch, close), which were most of the cost of this read.
        driver = (await db.get_raw_connection()).driver_connection
        rows = await driver.execute_fetchall(_sql(statement), params)
        return rows[0] if rows else None
    return (await db.execute(statement, params)).first()


async def customer_id_by_identity(db: AsyncSession | AsyncConnection, *, kind: str, value: str) -> int | None:
    """The customer owning a normalised identity (its merge target when it was merged), or None."""
    row = await _first_row(db, _CUSTOMER_BY_IDENTITY, {"kind": kind, "value": value})
    if row is None:
        return None
    customer_id, merged_into_id = row
    return merged_into_id or customer_id


async def read_history(
    db: AsyncSession | AsyncConnection,
    *,
    customer_id: int,
    viewer_id: int | None,
    limit: int,
    before: tuple[datetime, int] | None = None,
) -> dict[str, Any] | None:
    """The history document of ``customer_id`` (None when no such customer).

    ``viewer_id`` is the author whose private notes may be read, None to read them all.
    Contacts come newest first, ``limit`` of them, older than ``before`` when paging.
    """
    dialect = _dialect(db)
    before_ts = before[0] if before else None
    if before_ts is not None and dialect == "sqlite":
        before_ts = before_ts.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    params = {
        "cid": customer_id,
        "viewer": viewer_id,
        "lim": limit,
        "before_ts": before_ts,
        "before_id": before[1] if before else None,
    }
    raw = (await _first_row(db, history_statement(dialect), params))[0]
    document = json.loads(raw) if isinstance(raw, str) else raw
    if document["customer"] is None:
        return None
    customer = _restore(document["customer"], "customer")
    customer["identities"] = [_restore(i, "identity") for i in customer["identities"]]
    for contact in document["contacts"]:
        _restore(contact, "contact")
        contact["notes"] = [_restore(n, "note") for n in contact["notes"]]
    document["customer_notes"] = [_restore(n, "note") for n in document["customer_notes"]]
    document["open_cases"] = [_restore(c, "case") for c in document["open_cases"]]
    document["pending_callbacks"] = [_restore(c, "callback") for c in document["pending_callbacks"]]
    return document
