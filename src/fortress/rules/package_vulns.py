"""Package rules (package_vulns): being built."""
