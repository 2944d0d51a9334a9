"""Users of the service (agents, supervisors, admins), passwords and sign-in."""
