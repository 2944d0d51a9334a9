"""The agent's desk: server-owned agent state, the call on their console, and their telephony actions."""
