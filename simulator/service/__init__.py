"""The running platform: clock, FTP server, upload journal, poller, SQLite store."""
