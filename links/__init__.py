"""Every absolute address the platform hands out, built from configuration, never a request."""
