"""Asterisk configuration files: a parser for their syntax and a check against the service's settings."""
