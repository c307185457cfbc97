"""Development tools: `make bench` (run.py), and the synthetic-archive generator (synthetic/),
a Django app installed only outside production (config/settings.py)."""
