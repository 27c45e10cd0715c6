"""pmo-report: a PMO's monthly portfolio workbook in, the board's highlight report and slides out."""

__version__ = "0.1.0"
