// Relay module.
