"""Adapters that plug domain rooms into the telephony layer (used by the composition root)."""
