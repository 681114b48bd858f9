"""Documents the app can read: their text (PDF text layer or OCR), the reading queue, search inside them,
records that fill themselves in from it, and the identity check."""
