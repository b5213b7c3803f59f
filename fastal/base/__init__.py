"""The pool (Dataset) and the interfaces every component implements."""
