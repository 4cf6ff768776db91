"""What the platform itself needs: accounts, roles, sessions (no HTTP here: the API maps errors)."""
