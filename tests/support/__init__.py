"""Real servers and helpers the tests run against."""
