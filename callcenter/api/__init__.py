"""HTTP API: one router per area, mounted by the composition root."""
