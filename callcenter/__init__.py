"""callcenter: contact handling for call centres that run Asterisk."""

__version__ = "0.1.0"
