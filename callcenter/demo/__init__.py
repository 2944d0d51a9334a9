"""`callcenter demo`: the whole service on SQLite with the PBX simulator calling in, demo people and customers."""
