"""gunicorn settings for the benchmark: none, on purpose.

Every option is on the command line (bench/run.py), so the project's gunicorn.conf.py (access
log, max_requests ...) does not change what is compared with granian.
"""
