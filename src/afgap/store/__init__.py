"""All SQL: the SQLite store, its typed rows, migrations, and the writer with its child process."""
