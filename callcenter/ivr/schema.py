"""The JSON Schema of flow files, shipped beside the flows so editors complete and check them."""

from __future__ import annotations

import json

from callcenter.ivr.model import Flow

SCHEMA_FILE = "ivr-flow.schema.json"


def flow_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a flow file."""
    schema = Flow.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def flow_schema_text() -> str:
    """The schema as the shipped file holds it: indented JSON ending with a newline."""
    return json.dumps(flow_schema(), indent=2, sort_keys=True) + "\n"
