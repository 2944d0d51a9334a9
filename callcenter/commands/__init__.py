"""The `callcenter` sub-commands, one module per area."""
