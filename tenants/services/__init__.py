"""Domain services: each takes explicit arguments, flushes, and never commits."""
