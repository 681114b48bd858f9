"""The treatment history: each line of treatment with its dates and response."""
