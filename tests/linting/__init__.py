"""Tests: linting."""
