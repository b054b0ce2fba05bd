"""Shared building blocks of the apps: the error shape, client IP, limits, API docs helpers.

Nothing here imports an app; the apps import from here.
"""
