"""The leads' side: everything that touches Excel."""
