"""Planners: turn a question and a dataset profile into a typed `Plan`."""
