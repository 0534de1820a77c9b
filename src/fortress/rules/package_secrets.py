"""Package rules (package_secrets): being built."""
