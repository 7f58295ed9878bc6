"""ARM framework (routing, LRO, paging, errors, throttling) and the thin ARM handlers per provider."""
