"""Adapters that speak Asterisk's wire protocols (AMI, FastAGI); they import no domain room."""
