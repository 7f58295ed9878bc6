"""Event Grid: typed read-only views of the events the app reacts to (both schemas), with no Azure import."""
