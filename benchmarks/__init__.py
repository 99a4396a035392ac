"""Reproducible speed comparisons of mediafeed against the field's tools."""
