"""Pure domain: models, validation, health evaluation and errors. Never imports ``azure.*``."""
