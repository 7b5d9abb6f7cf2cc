"""The agent's tool modules the server checks before it lets turns run at once (see hermes_constants)."""
