"""Watching the platform: tenant sites' health and uptime, alert rules and incidents."""
