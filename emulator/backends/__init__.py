"""Service backends: state plus the rules each Azure service enforces."""
