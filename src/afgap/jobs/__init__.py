"""The user jobs: one module per command, wiring the engine, the store and the pure stages together."""
