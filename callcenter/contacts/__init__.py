"""The customer contact repository: customers, identities, contacts on every channel, cases, callbacks."""
