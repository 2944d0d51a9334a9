"""Telephony adapters: the AMI client and the FastAGI server (they know the wire, nothing past it)."""
