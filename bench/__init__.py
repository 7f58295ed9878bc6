"""Benchmarks: each module's ``main()`` prints its figures as one JSON line (``make bench`` runs them all)."""
