"""SQL building blocks shared by the reports (portable between SQLite and PostgreSQL)."""
