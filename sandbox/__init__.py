"""Runs untrusted analysis code in a child process and streams its events back.

This package imports nothing from `bot` or `handlers`: it is the innermost layer.
"""
