"""Cogs: one extension per feature."""
