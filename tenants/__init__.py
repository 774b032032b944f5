"""Tenant rules: signups, provisioning, sites, users. Plain functions that take a session."""
