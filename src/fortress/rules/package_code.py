"""Package rules (package_code): being built."""
