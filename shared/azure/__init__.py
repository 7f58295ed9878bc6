"""The only package that touches Azure SDKs. Imports inside are lazy so cold starts stay small."""
