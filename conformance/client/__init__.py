"""The reference client: builds archives byte for byte and uploads them over FTP/FTPS."""
