"""The embedded default stack: a real PostgreSQL and a real Redis shipped as Python packages.

Used when no ``DATABASE_URL``/``REDIS_URL`` is configured (development) and by the test run.
"""
