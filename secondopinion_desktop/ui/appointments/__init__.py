"""The Appointments tab: consults, the questions to ask there, the notes taken, and the directory dialogs."""
