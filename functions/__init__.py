"""One blueprint per trigger family. Thin: binding input -> service call -> binding output."""
