"""The change history of every record: who changed what, when, field by field.

The historical tables (django-simple-history's) are declared with the records in
`cooperation/models.py` but belong to this app of their own, so that `dumpdata cooperation`,
the project's export and fixture format, keeps holding the records alone: a history row
names accounts and database ids that mean nothing in another installation.
"""
