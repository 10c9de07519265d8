"""The knowledge base (YAML under kb/) and the engine that evaluates it."""
