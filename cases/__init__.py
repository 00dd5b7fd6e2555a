"""Cases for union staff: the schema (`cases.schema`), its Alembic migrations (`cases.migrations`, applied by
`cases.db.upgrade`), and the functions over it (`cases.repository`)."""
