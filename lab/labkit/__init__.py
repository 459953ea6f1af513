"""The built-in lab, one concern per module; lab/labctl.py is its command line (see lab/README.md)."""
