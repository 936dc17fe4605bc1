"""Tests: templates."""
