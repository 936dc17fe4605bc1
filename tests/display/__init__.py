"""Tests: display."""
