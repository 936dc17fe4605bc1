"""Tests: the kits (the YAML reader, Kubernetes name, git and cron rules)."""
