// The test kit: shared helpers for the unit tests.
