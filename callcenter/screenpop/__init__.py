"""What the agent sees the moment their phone rings: who calls, why, and everything before."""
