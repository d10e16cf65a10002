"""Building blocks of the Sigillo sample corpus generator (see ../generate.py)."""
