"""acr-cache-autopilot: the product code shared by every function."""
