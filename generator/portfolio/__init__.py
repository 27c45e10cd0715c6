"""The portfolio domain: pure, no Office library, no files."""
