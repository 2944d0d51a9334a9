"""IVR: flow model, YAML loading with positions, validation, engine, simulation."""
