"""Metric gates (query, window, threshold, on_empty) and the baseline snapshot of PST-09."""
