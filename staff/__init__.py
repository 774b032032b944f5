"""The agency's back office rules: staff accounts, the audit log, revenue figures."""
