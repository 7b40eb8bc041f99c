"""The web side: the HTTP API and the cabinet; they only read the service."""
