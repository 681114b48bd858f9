"""Building, previewing, saving and printing the PDF packet."""
