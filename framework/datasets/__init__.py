"""Datasets shipped inside the package (see each folder's README.md)."""
