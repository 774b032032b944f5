"""The plan rules: the catalog, entitlements (features and limits) and the access policy.

Below tenants/ and billing/; imports only db/."""
