"""rq job entry points (thin) and the worker command."""
