"""Helpers for IVR tests: build a catalog from YAML text, run a scripted call."""

from __future__ import annotations

import datetime as dt
import textwrap

from callcenter.ivr.catalog import CompiledFlow, FlowCatalog, compile_flow
from callcenter.ivr.loader import load_flow_text
from callcenter.ivr.validate import check_loaded

TUESDAY_10_NY = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def compiled(text: str, version: str = "test") -> CompiledFlow:
    """Load, check and compile one flow; fail loudly if it has problems."""
    loaded = load_flow_text(textwrap.dedent(text), "<test>")
    problems = check_loaded(loaded)
    assert problems == [], [str(p) for p in problems]
    assert loaded.flow is not None
    return compile_flow(loaded.flow, version)


def catalog(*texts: str) -> FlowCatalog:
    """A catalog of the given flows."""
    return FlowCatalog(compiled(text) for text in texts)
