"""A development-only app: `manage.py generate_records`, a deterministic synthetic archive
for `make bench` and the tests. config/settings.py installs it only when DEBUG is on."""
